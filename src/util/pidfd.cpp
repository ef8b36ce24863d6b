// SPDX-License-Identifier: MIT
#include "pidfd.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace fileserver {

int pidfd_open_fd(pid_t pid)
{
	if (pid <= 0)
		return -EINVAL; // 0 and negative pids name groups or the caller, never a client
	// glibc's wrapper came with 2.36; the system call is older (Linux 5.3).
	// Its descriptors are always close-on-exec.
	long fd = syscall(SYS_pidfd_open, pid, 0);
	return fd < 0 ? -errno : static_cast<int>(fd);
}

bool pidfd_exited(int pidfd)
{
	struct pollfd p = {pidfd, POLLIN, 0};
	int r;
	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

} // namespace fileserver
