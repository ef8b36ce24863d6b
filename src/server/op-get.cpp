// SPDX-License-Identifier: MIT
// GET: a file's bytes, as a consistent snapshot or an error.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "operations.h"
#include "server/object-access.h"
#include "util/errno-util.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

// A parked transfer holds what it read ahead: bounded whatever the
// message size.
constexpr std::size_t kReadAheadMax = 16384;

bool same_time(const struct timespec &a, const struct timespec &b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Whether the file still is what META described: any write, truncation or
// metadata change moves the size, mtime or ctime (docs/protocol.md says
// where that falls short).
Result<void> check_unchanged(int fd, const struct stat &before)
{
	struct stat now;
	if (fstat(fd, &now) < 0) {
		int err = errno;
		return Error::from_errno(err, "cannot stat the file: " + errno_string(err));
	}
	if (now.st_dev != before.st_dev || now.st_ino != before.st_ino || now.st_size != before.st_size ||
	    !same_time(now.st_mtim, before.st_mtim) || !same_time(now.st_ctim, before.st_ctim))
		return Error{ESTALE, "file changed while it was sent"};
	return {};
}

// META, then DATA from the file until the requested range is sent, then END
// once the file is known to be unchanged.
class GetSource : public ReplySource
{
public:
	GetSource(OpenedObject file, const protocol::Meta &meta, ServerStats &stats)
	        : file_(std::move(file)), meta_(meta), pos_(meta.offset), end_(meta.offset + meta.length),
	          stats_(stats)
	{}

	// A range that one DATA message holds (and at most kReadAheadMax) is
	// read and checked before META goes out: the three messages then leave
	// back to back, and the client is woken once rather than between them.
	// ESTALE then comes in place of META. A short read leaves it to the
	// usual path, which finds out why.
	Result<void> read_ahead(std::size_t max_payload)
	{
		if (meta_.length == 0 || meta_.length > std::min(max_payload, kReadAheadMax))
			return {};
		ahead_.resize(static_cast<std::size_t>(meta_.length));
		ssize_t n;
		do
			n = pread(file_.fd.get(), ahead_.data(), ahead_.size(), static_cast<off_t>(pos_));
		while (n < 0 && errno == EINTR);
		if (n != static_cast<ssize_t>(ahead_.size())) {
			ahead_.clear();
			return {};
		}
		if (auto r = check_unchanged(file_.fd.get(), file_.st); !r)
			return r.take_error();
		checked_ = true;
		return {};
	}

	Result<Piece> next(std::span<std::uint8_t> payload) override
	{
		switch (stage_) {
		case Stage::Meta: return put_payload(payload, ReplyType::Meta, protocol::encode_meta(meta_));
		case Stage::Data: return data(payload);
		case Stage::End:
			if (!checked_) {
				if (auto r = check_unchanged(file_.fd.get(), file_.st); !r)
					return r.take_error();
				checked_ = true;
			}
			return put_payload(payload, ReplyType::End,
			                   protocol::encode_end({pos_ - meta_.offset}));
		case Stage::Done: break;
		}
		return Piece{.done = true};
	}

	void sent() override
	{
		switch (stage_) {
		case Stage::Meta: stage_ = pos_ < end_ ? Stage::Data : Stage::End; break;
		case Stage::Data:
			pos_ += last_;
			stats_.bytes.fetch_add(last_, std::memory_order_relaxed);
			if (pos_ == end_)
				stage_ = Stage::End;
			break;
		case Stage::End: stage_ = Stage::Done; break;
		case Stage::Done: break;
		}
	}

private:
	enum class Stage {
		Meta,
		Data,
		End,
		Done
	};

	Result<Piece> data(std::span<std::uint8_t> payload)
	{
		if (!ahead_.empty()) {
			std::memcpy(payload.data(), ahead_.data(), ahead_.size());
			last_ = ahead_.size();
			return Piece{ReplyType::Data, last_};
		}
		std::size_t want =
		        static_cast<std::size_t>(std::min<std::uint64_t>(payload.size(), end_ - pos_));
		ssize_t n;
		do
			n = pread(file_.fd.get(), payload.data(), want, static_cast<off_t>(pos_));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			int err = errno;
			return Error::from_errno(err, "read error: " + errno_string(err));
		}
		if (n == 0) {
			// Shorter than META said: the file changed, or (should it
			// not show) the filesystem lies.
			if (auto r = check_unchanged(file_.fd.get(), file_.st); !r)
				return r.take_error();
			return Error{EIO, "file shrank during transfer"};
		}
		last_ = static_cast<std::size_t>(n);
		return Piece{ReplyType::Data, last_};
	}

	OpenedObject file_; // st: the fstat of the opened fd, when META was made
	protocol::Meta meta_;
	std::uint64_t pos_, end_;
	ServerStats &stats_;
	Stage stage_ = Stage::Meta;
	std::size_t last_ = 0; // the DATA payload next() made
	bool checked_ = false;
	std::vector<std::uint8_t> ahead_; // the whole range, read before META
};

} // namespace

SourceResult start_get(const OpRequest &op)
{
	const protocol::Request &req = op.request;
	auto file = open_checked(op.context.config.access, op.context.root.get(), op.uid, req.path,
	                         AccessNeed::Read);
	if (!file)
		return file.take_error();
	protocol::Meta m = meta_from_stat(file->st, op.max_payload);
	if (req.offset > m.size)
		return Error{ERANGE, "offset " + std::to_string(req.offset) +
		                             " is beyond the end of the file (" + std::to_string(m.size) +
		                             " bytes)"};
	m.offset = req.offset;
	m.length = std::min(req.length, m.size - req.offset);
	auto source = std::make_unique<GetSource>(std::move(*file), m, op.stats);
	if (auto r = source->read_ahead(op.max_payload); !r)
		return r.take_error();
	return SourceResult(std::move(source));
}

} // namespace fileserver
