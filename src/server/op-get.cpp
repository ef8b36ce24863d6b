// SPDX-License-Identifier: MIT
// GET: a file's bytes, as a consistent snapshot or an error.
#include <unistd.h>

#include <cerrno>

#include "operations.h"
#include "server/object-access.h"
#include "util/errno-util.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

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

} // namespace

Result<void> serve_get(ReplyStream &out, const OpRequest &op)
{
	const protocol::Request &req = op.request;
	auto file = open_checked(op.context.config.access, op.context.root.get(), op.uid, req.path,
	                         AccessNeed::Read);
	if (!file)
		return file.take_error();
	const struct stat &start = file->st; // the fstat of the opened fd
	protocol::Meta m = meta_from_stat(start, out.max_payload());
	if (req.offset > m.size)
		return Error{ERANGE, "offset " + std::to_string(req.offset) +
		                             " is beyond the end of the file (" + std::to_string(m.size) +
		                             " bytes)"};
	m.offset = req.offset;
	m.length = std::min(req.length, m.size - req.offset);
	if (auto r = out.send(ReplyType::Meta, protocol::encode_meta(m)); !r)
		return r;

	std::uint64_t pos = m.offset, end = m.offset + m.length;
	auto area = out.payload_area();
	while (pos < end) {
		if (out.aborting())
			return shutting_down();
		std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(area.size(), end - pos));
		ssize_t n = pread(file->fd.get(), area.data(), want, static_cast<off_t>(pos));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			return Error::from_errno(err, "read error: " + errno_string(err));
		}
		if (n == 0) {
			// Shorter than META said: the file changed, or (should it
			// not show) the filesystem lies.
			if (auto r = check_unchanged(file->fd.get(), start); !r)
				return r;
			return Error{EIO, "file shrank during transfer"};
		}
		if (auto r = out.send_data(static_cast<std::size_t>(n)); !r)
			return r;
		pos += static_cast<std::uint64_t>(n);
		op.stats.bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
	}
	if (auto r = check_unchanged(file->fd.get(), start); !r)
		return r;
	return out.send(ReplyType::End, protocol::encode_end({out.data_bytes()}));
}

} // namespace fileserver
