// SPDX-License-Identifier: MIT
// LIST: a directory's entries, those the patterns refuse left out.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
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

} // namespace

Result<void> serve_list(ReplyStream &out, const OpRequest &op)
{
	const AccessPolicy &policy = op.context.config.access;
	auto dir = open_checked(policy, op.context.root.get(), op.uid, op.request.path, AccessNeed::List);
	if (!dir)
		return dir.take_error();
	if (auto r = out.send(ReplyType::Meta,
	                      protocol::encode_meta(meta_from_stat(dir->st, out.max_payload())));
	    !r)
		return r;
	auto stream = open_stream(dir->fd.get());
	if (!stream)
		return stream.take_error();

	std::vector<std::uint8_t> payload;
	payload.reserve(out.max_payload());
	std::uint64_t count = 0;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(stream->get());
		if (!de) {
			if (errno != 0) {
				int err = errno;
				return Error::from_errno(err, "cannot read directory: " + errno_string(err));
			}
			break;
		}
		std::string_view name = de->d_name;
		if (name == "." || name == ".." || !entry_permitted(policy, dir->real_path, name))
			continue;
		if (out.aborting())
			return shutting_down();
		protocol::Entry e = entry_for(dir->fd.get(), *de);
		if (!append_entry(payload, e, out.max_payload())) {
			if (auto r = out.send(ReplyType::Entries, payload); !r)
				return r;
			payload.clear();
			if (!append_entry(payload, e, out.max_payload()))
				continue; // cannot happen with kMinReplyMessageSize
		}
		count++;
	}
	if (!payload.empty())
		if (auto r = out.send(ReplyType::Entries, payload); !r)
			return r;
	return out.send(ReplyType::End, protocol::encode_end({count}));
}

} // namespace fileserver
