// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "launcher/exit-codes.h"
#include "launcher/reexec-handover.h"
#include "util/unique-fd.h"

using namespace fileserver;

TEST_CASE("take_fd_from_env")
{
	UniqueFD fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	setenv("FSTEST_FD", std::to_string(fd.get()).c_str(), 1);
	CHECK(take_fd_from_env("FSTEST_FD") == fd.get());
	CHECK(getenv("FSTEST_FD") == nullptr);
	CHECK(take_fd_from_env("FSTEST_FD") == -1);
	for (const char *bad : {"x", "1", "99999", "3x", ""}) {
		setenv("FSTEST_FD", bad, 1);
		CHECK_THROWS_AS(take_fd_from_env("FSTEST_FD"), StartupError);
	}
}

TEST_CASE("reexec returns -errno and puts FD_CLOEXEC back when execve fails")
{
	UniqueFD fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	int keep[] = {fd.get()};
	// Exists but cannot be executed: no fallback to /proc/self/exe.
	CHECK(reexec("/dev/null", {"x"}, {"FSTEST_VAR=1"}, keep) == -EACCES);
	CHECK((fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
	CHECK(getenv("FSTEST_VAR") == nullptr); // the extra variables are for the new image only
}
