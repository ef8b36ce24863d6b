// SPDX-License-Identifier: MIT
#include "fd-hygiene.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <vector>

#include "unique-fd.h"

namespace fileserver {

namespace {

// The descriptors this process inherited have no owner to close them: this
// is the one place that closes descriptors it does not own.
void close_inherited(int fd)
{
	::close(fd);
}

void close_range_fallback(unsigned lo, unsigned hi)
{
	// Walk what is open rather than every possible number.
	if (DIR *d = opendir("/proc/self/fd")) {
		std::vector<int> open_fds;
		int self = dirfd(d);
		while (struct dirent *e = readdir(d)) {
			int fd = 0;
			auto [p, ec] = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), fd);
			if (ec == std::errc() && *p == '\0' && fd != self)
				open_fds.push_back(fd);
		}
		closedir(d);
		for (int fd : open_fds)
			if (static_cast<unsigned>(fd) >= lo && static_cast<unsigned>(fd) <= hi)
				close_inherited(fd);
		return;
	}
	struct rlimit rl;
	unsigned max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, 1u << 20));
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close_inherited(static_cast<int>(fd));
}

void close_between(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	close_range_fallback(lo, hi);
}

} // namespace

int ensure_std_fds()
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		// The lowest free number: @fd itself, as the lower ones are open.
		int n = open("/dev/null", O_RDWR | O_NOCTTY);
		if (n < 0)
			return -errno;
		if (n != fd) {
			UniqueFD extra(n);
			if (dup2(n, fd) < 0)
				return -errno;
		}
	}
	return 0;
}

void close_fds_except(std::span<const int> keep)
{
	std::vector<int> k(keep.begin(), keep.end());
	std::sort(k.begin(), k.end());
	unsigned lo = 3;
	for (int fd : k) {
		if (fd < 3 || static_cast<unsigned>(fd) < lo)
			continue;
		close_between(lo, static_cast<unsigned>(fd) - 1);
		lo = static_cast<unsigned>(fd) + 1;
	}
	close_between(lo, UINT_MAX);
}

int redirect_std_fds_to_devnull()
{
	// 0-2 are open (ensure_std_fds()), so this one is above them.
	UniqueFD null(open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (!null)
		return -errno;
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(null.get(), fd) < 0)
			return -errno;
	return 0;
}

int set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -errno;
	flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

} // namespace fileserver
