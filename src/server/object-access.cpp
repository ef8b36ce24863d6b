// SPDX-License-Identifier: MIT
#include "object-access.h"

#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>

#include "server/path-resolver.h"
#include "util/errno-util.h"
#include "util/openat2.h"

namespace fileserver {

namespace {

// The type @need serves, checked on the O_PATH stat before any real open:
// a FIFO's or a device's open() must never run.
Result<void> check_type(const struct stat &st, AccessNeed need)
{
	switch (need) {
	case AccessNeed::Read:
		if (S_ISDIR(st.st_mode))
			return Error{EISDIR, "is a directory"};
		if (!S_ISREG(st.st_mode))
			return Error{EPERM, "not a regular file"};
		return {};
	case AccessNeed::List:
		if (!S_ISDIR(st.st_mode))
			return Error{ENOTDIR, "not a directory"};
		return {};
	case AccessNeed::Inspect: return {};
	}
	return {};
}

Result<void> check_bits(const AccessPolicy &policy, uid_t uid, const std::vector<gid_t> &gids,
                        const struct stat &st, AccessNeed need)
{
	unsigned want = need == AccessNeed::Read ? 4 : need == AccessNeed::List ? 5 : 0;
	if ((client_bits(policy, uid, gids, st) & want) == want)
		return {};
	if (policy.mode == AccessMode::WorldReadable)
		return Error{EACCES,
		             "permission denied: not readable by others (access policy world-readable)"};
	return Error{EACCES, "permission denied for uid " + std::to_string(uid) + " (access policy owner)"};
}

Error changed()
{
	return Error{EAGAIN, "the file was replaced while it was opened; try again"};
}

// Reopens the O_PATH object @obj for reading, by its name in its parent and
// without following anything, and makes sure it is still the same inode.
// Fills @out's fd and st.
Result<void> reopen(int root_fd, const RealObject &obj, AccessNeed need, OpenedObject &out)
{
	std::uint64_t flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC;
	if (need == AccessNeed::List)
		flags |= O_DIRECTORY;
	int dir = obj.parent ? obj.parent->get() : root_fd;
	int fd = openat2_fd(dir, obj.name.empty() ? "." : obj.name, flags, 0,
	                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		if (fd == -EACCES)
			return Error{EACCES, "permission denied"};
		if (fd == -ENOENT || fd == -ELOOP || fd == -ENOTDIR)
			return changed();
		return Error::from_errno(fd, "cannot open: " + errno_string(fd));
	}
	out.fd.reset(fd);
	if (fstat(fd, &out.st) < 0)
		return Error::from_errno(errno, "cannot stat");
	if (out.st.st_dev != obj.st.st_dev || out.st.st_ino != obj.st.st_ino)
		return changed();
	return {};
}

} // namespace

Result<OpenedObject> open_checked(const AccessPolicy &policy, int root_fd, uid_t uid, std::string_view path,
                                  AccessNeed need)
{
	if (auto r = check_client_path(path); !r)
		return r.take_error();
	std::vector<gid_t> gids;
	if (policy.mode == AccessMode::Owner)
		gids = groups_of(uid);
	SearchCheck may_search;
	if (policy.mode != AccessMode::All)
		may_search = [&](const struct stat &dir, std::string_view real_dir) -> Result<void> {
			if (client_bits(policy, uid, gids, dir) & 1)
				return {};
			return Error{EACCES, "permission denied by the access policy (directory " +
			                             std::string(real_dir) + ")"};
		};
	// Only stat'ed, not opened: reopen() below opens it by name and checks
	// that it is the same inode, and a STAT needs no descriptor.
	auto found = resolve_real(root_fd, path, may_search, ObjectFd::None);
	if (!found)
		return found.take_error();
	RealObject &obj = found.value();

	if (!path_permitted(policy, obj.real_path))
		return Error{EACCES, "refused by the server's access policy"};
	if (auto r = check_type(obj.st, need); !r)
		return r.take_error();
	if (auto r = check_bits(policy, uid, gids, obj.st, need); !r)
		return r.take_error();

	OpenedObject out;
	out.st = obj.st;
	out.real_path = std::move(obj.real_path);
	if (need == AccessNeed::Inspect)
		return out; // without a descriptor
	if (auto r = reopen(root_fd, obj, need, out); !r)
		return r.take_error();
	return out;
}

bool entry_permitted(const AccessPolicy &policy, std::string_view real_dir, std::string_view name)
{
	std::string p(real_dir);
	if (!p.empty())
		p += '/';
	p += name;
	return path_permitted(policy, p);
}

} // namespace fileserver
