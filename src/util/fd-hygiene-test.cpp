// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/fd-hygiene.h"
#include "util/test-child.h"
#include "util/unique-fd.h"

using namespace fileserver;
using fileserver::test::in_child;

namespace {

bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

} // namespace

TEST_CASE("close_fds_except closes everything above 2 but what it keeps")
{
	int status = in_child([] {
		int a = open("/dev/null", O_RDONLY);
		int b = open("/dev/null", O_RDONLY);
		int c = open("/dev/null", O_RDONLY);
		int d = dup2(a, 200);
		if (a < 3 || b < 3 || c < 3 || d != 200)
			return 10;
		int keep[] = {c, 1};
		close_fds_except(keep);
		if (fcntl(0, F_GETFD) < 0 || fcntl(1, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
			return 11;
		if (fcntl(c, F_GETFD) < 0)
			return 12;
		if (fcntl(a, F_GETFD) >= 0 || fcntl(b, F_GETFD) >= 0 || fcntl(200, F_GETFD) >= 0)
			return 13;
		close_fds_except();
		return fcntl(c, F_GETFD) < 0 ? 0 : 14;
	});
	CHECK(status == 0);
}

TEST_CASE("ensure_std_fds opens /dev/null on a closed 0, 1 or 2")
{
	int status = in_child([] {
		close(1);
		if (ensure_std_fds() != 0 || !is_open(1))
			return 1;
		// The lowest free number now is above 2.
		UniqueFD next(open("/dev/null", O_RDONLY | O_CLOEXEC));
		return next.get() > 2 ? 0 : 2;
	});
	CHECK(status == 0);
}

TEST_CASE("redirect_std_fds_to_devnull points 0-2 at /dev/null")
{
	int status = in_child([] {
		if (redirect_std_fds_to_devnull() != 0)
			return 1;
		struct stat null_st, st;
		if (stat("/dev/null", &null_st) < 0)
			return 2;
		for (int fd = 0; fd <= 2; fd++)
			if (fstat(fd, &st) < 0 || st.st_rdev != null_st.st_rdev)
				return 3 + fd;
		return 0;
	});
	CHECK(status == 0);
}

TEST_CASE("set_cloexec sets and clears FD_CLOEXEC")
{
	UniqueFD fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	CHECK(set_cloexec(fd.get(), false) == 0);
	CHECK((fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) == 0);
	CHECK(set_cloexec(fd.get(), true) == 0);
	CHECK((fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
	CHECK(set_cloexec(-1, true) == -EBADF);
}
