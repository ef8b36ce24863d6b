// SPDX-License-Identifier: MIT
#include "path-resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>

#include <cerrno>

#include "protocol/wire.h"
#include "util/errno-util.h"
#include "util/openat2.h"

namespace fileserver {

int check_client_path(std::string_view path, std::string &why)
{
	if (path.find('\0') != std::string_view::npos) {
		why = "path contains a NUL byte";
		return -EINVAL;
	}
	if (path.size() >= PATH_MAX || path.size() > protocol::kMaxPathSize) {
		why = "path too long";
		return -ENAMETOOLONG;
	}
	if (!path.empty() && path[0] == '/') {
		why = "absolute paths are refused: paths are relative to the served root";
		return -EPERM;
	}
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view component = path.substr(start, end - start);
		if (component == "..") {
			why = "'..' is refused in paths";
			return -EPERM;
		}
		if (component.size() > NAME_MAX) {
			why = "path component too long";
			return -ENAMETOOLONG;
		}
		start = end + 1;
	}
	return 0;
}

int resolve_beneath(int root_fd, std::string_view path, OpenPurpose purpose, ResolvedPath &out,
                    std::string &why)
{
	int r = check_client_path(path, why);
	if (r < 0)
		return r;

	std::uint64_t flags = O_CLOEXEC;
	switch (purpose) {
	case OpenPurpose::Read:
		// O_NONBLOCK: a FIFO planted under the root must not block a worker.
		flags |= O_RDONLY | O_NONBLOCK | O_NOCTTY;
		break;
	case OpenPurpose::Directory: flags |= O_RDONLY | O_DIRECTORY; break;
	case OpenPurpose::Inspect:
		// openat2 refuses O_PATH with any flag but O_DIRECTORY/O_NOFOLLOW/O_CLOEXEC.
		flags |= O_PATH;
		break;
	}

	std::string p = path.empty() ? std::string(".") : std::string(path);
	int fd = openat2_fd(root_fd, p, flags, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		switch (-fd) {
		case ENOENT: why = "no such file or directory"; break;
		case ENOTDIR:
			why = purpose == OpenPurpose::Directory ? "not a directory"
			                                        : "a path component is not a directory";
			break;
		case EXDEV: why = "path escapes the served root"; return -EPERM;
		case ELOOP: why = "too many levels of symbolic links"; return -EPERM;
		case EACCES: why = "permission denied"; break;
		case ENAMETOOLONG: why = "path too long"; break;
		case ENXIO: why = "not a regular file"; return -EPERM;
		default: why = "cannot open: " + errno_string(fd); break;
		}
		return fd;
	}
	out.fd.reset(fd);
	if (fstat(fd, &out.st) < 0) {
		int err = errno;
		why = "cannot stat";
		return -err;
	}
	if (purpose == OpenPurpose::Read && !S_ISREG(out.st.st_mode)) {
		out.fd.reset();
		if (S_ISDIR(out.st.st_mode)) {
			why = "is a directory";
			return -EISDIR;
		}
		why = "not a regular file";
		return -EPERM;
	}
	return 0;
}

} // namespace fileserver
