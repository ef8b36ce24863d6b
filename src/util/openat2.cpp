// SPDX-License-Identifier: MIT
#include "openat2.h"

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace fileserver {

int openat2_fd(int dirfd, const std::string &path, std::uint64_t flags, std::uint64_t mode,
               std::uint64_t resolve)
{
	struct open_how how = {};
	how.flags = flags;
	how.mode = mode;
	how.resolve = resolve;
	for (;;) {
		long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how));
		if (fd >= 0)
			return static_cast<int>(fd);
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

} // namespace fileserver
