// SPDX-License-Identifier: MIT
// LIST: a directory's entries, those the patterns refuse left out.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <vector>

#include "operations.h"
#include "server/object-access.h"
#include "util/errno-util.h"
#include "util/unique-fd.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

using DirStream = std::unique_ptr<DIR, int (*)(DIR *)>;

// A directory stream of its own over @dir_fd, which stays ours for fstatat.
Result<DirStream> open_stream(int dir_fd)
{
	UniqueFD copy(fcntl(dir_fd, F_DUPFD_CLOEXEC, 0));
	DIR *d = copy ? fdopendir(copy.get()) : nullptr;
	if (!d) {
		int err = errno;
		return Error::from_errno(err, "cannot read directory: " + errno_string(err));
	}
	(void)copy.release(); // the stream owns it now
	return DirStream(d, closedir);
}

protocol::Entry entry_for(int dir_fd, const struct dirent &de)
{
	protocol::Entry e;
	e.name = de.d_name;
	e.type = de.d_type;
	struct stat st;
	if (fstatat(dir_fd, de.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		e.mode = st.st_mode;
		e.size = static_cast<std::uint64_t>(st.st_size);
		e.mtime_sec = st.st_mtim.tv_sec;
	}
	return e;
}

// META of the directory, then ENTRIES as full as a message allows, then
// END with the count. An entry read but not yet sent waits in the payload
// being built, so next() can make the same message again.
class ListSource : public ReplySource
{
public:
	ListSource(const AccessPolicy &policy, OpenedObject dir, DirStream stream, std::size_t max_payload)
	        : policy_(policy), dir_(std::move(dir)), stream_(std::move(stream)), max_payload_(max_payload)
	{}

	Result<Piece> next(std::span<std::uint8_t> payload) override
	{
		if (stage_ == Stage::Meta)
			return put_payload(payload, ReplyType::Meta,
			                   protocol::encode_meta(meta_from_stat(dir_.st, max_payload_)));
		if (stage_ == Stage::Done)
			return Piece{.done = true};
		if (pending_.empty() && !eof_)
			if (auto r = fill(); !r)
				return r.take_error();
		if (!pending_.empty())
			return put_payload(payload, ReplyType::Entries, pending_);
		return put_payload(payload, ReplyType::End, protocol::encode_end({count_}));
	}

	void sent() override
	{
		if (stage_ == Stage::Meta)
			stage_ = Stage::Entries;
		else if (!pending_.empty()) {
			count_ += pending_count_;
			pending_.clear();
			pending_count_ = 0;
		} else
			stage_ = Stage::Done;
	}

private:
	enum class Stage {
		Meta,
		Entries,
		Done
	};

	// Reads entries until the next one would not fit in a message.
	Result<void> fill()
	{
		if (carry_) {
			(void)protocol::append_entry(pending_, *carry_, max_payload_);
			carry_.reset();
			pending_count_++;
		}
		for (;;) {
			errno = 0;
			struct dirent *de = readdir(stream_.get());
			if (!de) {
				if (errno != 0) {
					int err = errno;
					return Error::from_errno(err, "cannot read directory: " +
					                                      errno_string(err));
				}
				eof_ = true;
				return {};
			}
			std::string_view name = de->d_name;
			if (name == "." || name == ".." || !entry_permitted(policy_, dir_.real_path, name))
				continue;
			protocol::Entry e = entry_for(dir_.fd.get(), *de);
			if (!protocol::append_entry(pending_, e, max_payload_)) {
				carry_ = std::move(e); // cannot fail alone with kMinReplyMessageSize
				return {};
			}
			pending_count_++;
		}
	}

	const AccessPolicy &policy_; // the job's context outlives the source
	OpenedObject dir_;
	DirStream stream_;
	std::size_t max_payload_;
	Stage stage_ = Stage::Meta;
	std::vector<std::uint8_t> pending_; // the ENTRIES payload next() makes
	std::uint64_t pending_count_ = 0;
	std::optional<protocol::Entry> carry_;
	std::uint64_t count_ = 0;
	bool eof_ = false;
};

} // namespace

SourceResult start_list(const OpRequest &op)
{
	const AccessPolicy &policy = op.context.config.access;
	auto dir = open_checked(policy, op.context.root.get(), op.uid, op.request.path, AccessNeed::List);
	if (!dir)
		return dir.take_error();
	if (op.max_payload < protocol::kMetaSize)
		return Error{EMSGSIZE, "reply does not fit in the reply queue's messages"};
	auto stream = open_stream(dir->fd.get());
	if (!stream)
		return stream.take_error();
	return SourceResult(
	        std::make_unique<ListSource>(policy, std::move(*dir), std::move(*stream), op.max_payload));
}

} // namespace fileserver
