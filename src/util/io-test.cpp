// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "util/io.h"
#include "util/unique-fd.h"

using namespace fileserver;

TEST_CASE("write_all writes everything, in chunks the pipe takes")
{
	int fds[2];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
	UniqueFD rd(fds[0]), wr(fds[1]);
	// More than a pipe buffer: the writer blocks until the reader drains.
	std::vector<std::uint8_t> data(200000);
	for (std::size_t i = 0; i < data.size(); i++)
		data[i] = static_cast<std::uint8_t>(i * 7);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		rd.reset();
		_exit(write_all(wr.get(), data) == 0 ? 0 : 1);
	}
	wr.reset();
	std::vector<std::uint8_t> got;
	std::uint8_t buf[8192];
	ssize_t n;
	while ((n = read(rd.get(), buf, sizeof(buf))) > 0)
		got.insert(got.end(), buf, buf + n);
	int st = 0;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK(WEXITSTATUS(st) == 0);
	CHECK(got == data);
}

TEST_CASE("write_all returns -errno")
{
	CHECK(write_all(-1, std::string_view("x")) == -EBADF);
	int fds[2];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
	UniqueFD rd(fds[0]), wr(fds[1]);
	rd.reset();
	struct sigaction ignore = {}, old = {};
	ignore.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ignore, &old);
	CHECK(write_all(wr.get(), std::string_view("x")) == -EPIPE);
	sigaction(SIGPIPE, &old, nullptr);
	CHECK(write_all(wr.get(), std::string_view()) == 0); // nothing to write
}

TEST_CASE("read_proc_long reads a number or gives the fallback")
{
	CHECK(read_proc_long("/proc/sys/fs/mqueue/msg_max", -1) > 0);
	CHECK(read_proc_long("/proc/self/no-such-file", -7) == -7);

	char path[] = "/tmp/fstest-io-XXXXXX";
	UniqueFD fd(mkostemp(path, O_CLOEXEC));
	REQUIRE(fd.valid());
	REQUIRE(write_all(fd.get(), std::string_view("  42\n")) == 0);
	CHECK(read_proc_long(path, -1) == 42);
	REQUIRE(ftruncate(fd.get(), 0) == 0);
	CHECK(read_proc_long(path, -3) == -3); // empty
	REQUIRE(pwrite(fd.get(), "abc", 3, 0) == 3);
	CHECK(read_proc_long(path, -4) == -4); // not a number
	unlink(path);
}
