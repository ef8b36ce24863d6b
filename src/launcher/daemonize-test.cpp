// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "launcher/daemonize.h"

using namespace fileserver;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string &haystack, std::string_view needle)
{
	return haystack.find(needle) != std::string::npos;
}

int g_calls = 0;
std::vector<int> g_fork_results; // >= 0: a PID; < 0: -errno

pid_t fake_fork()
{
	int r = g_fork_results.at(static_cast<std::size_t>(g_calls++));
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

// A child that plays the intermediate process and the daemon at once:
// writes @records to the status pipe, then exits with @status.
LaunchOutcome launch_with(const std::string &records, int status, std::chrono::seconds timeout = 10s,
                          bool hang = false)
{
	int fds[2];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
	UniqueFD rd(fds[0]), wr(fds[1]);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		rd.reset();
		[[maybe_unused]] ssize_t n = write(wr.get(), records.data(), records.size());
		if (hang)
			pause();
		_exit(status);
	}
	wr.reset();
	return wait_for_daemon(std::move(rd), pid, timeout);
}

} // namespace

TEST_CASE("fork is retried on EAGAIN and ENOMEM only, a bounded number of times")
{
	g_calls = 0;
	g_fork_results = {-EAGAIN, -ENOMEM, 4242};
	CHECK(fork_retrying(fake_fork, 5, 0ms) == 4242);
	CHECK(g_calls == 3);

	g_calls = 0;
	g_fork_results = {0};
	CHECK(fork_retrying(fake_fork, 5, 0ms) == 0);

	g_calls = 0;
	g_fork_results = {-EAGAIN, -EPERM, 1};
	try {
		fork_retrying(fake_fork, 5, 0ms);
		FAIL("no exception");
	} catch (const std::system_error &e) {
		CHECK(e.code().value() == EPERM);
		CHECK(contains(e.what(), "cannot fork"));
	}
	CHECK(g_calls == 2);

	g_calls = 0;
	g_fork_results = {-EAGAIN, -EAGAIN, -EAGAIN, -EAGAIN};
	try {
		fork_retrying(fake_fork, 3, 0ms);
		FAIL("no exception");
	} catch (const std::system_error &e) {
		CHECK(e.code().value() == EAGAIN);
		CHECK(contains(e.what(), "3 attempts"));
	}
	CHECK(g_calls == 3);
}

TEST_CASE("the launching process reports what the daemon says")
{
	LaunchOutcome ok = launch_with("pid 1\nready\n", 0);
	CHECK(ok.exit_code == 0);
	CHECK(ok.message.empty());

	LaunchOutcome bad =
	        launch_with("pid 1\nerror 6\nconfiguration error: \"workers\": bad\nsecond line", 6);
	CHECK(bad.exit_code == 6);
	CHECK(bad.message == "configuration error: \"workers\": bad\nsecond line");

	LaunchOutcome early = launch_with("error 1\ncannot fork", 1);
	CHECK(early.exit_code == 1);
	CHECK(early.message == "cannot fork");

	LaunchOutcome silent = launch_with("pid 77\n", 0);
	CHECK(silent.exit_code == 1);
	CHECK(contains(silent.message, "(pid 77) exited during start-up without reporting why"));

	LaunchOutcome crashed = launch_with("", 3);
	CHECK(crashed.exit_code == 1);
	CHECK(contains(crashed.message, "exit status 3"));
}

TEST_CASE("the launching process returns once the daemon has closed the pipe, not at \"ready\"")
{
	int fds[2], side[2];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
	REQUIRE(pipe2(side, O_CLOEXEC | O_NONBLOCK) == 0); // read below without waiting
	UniqueFD rd(fds[0]), wr(fds[1]), side_rd(side[0]), side_wr(side[1]);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		// The intermediate process exits at once; its child, the daemon,
		// says "ready" and holds the pipe a while longer.
		if (fork() != 0)
			_exit(0);
		rd.reset();
		side_rd.reset();
		[[maybe_unused]] ssize_t n = write(wr.get(), "ready\n", 6);
		// Still holding the status pipe after "ready": a launcher that
		// returns now would see the side pipe empty.
		usleep(200000);
		n = write(side_wr.get(), "c", 1);
		_exit(0);
	}
	wr.reset();
	side_wr.reset();
	LaunchOutcome ok = wait_for_daemon(std::move(rd), pid, 10s);
	CHECK(ok.exit_code == 0);
	char c = 0;
	CHECK(read(side_rd.get(), &c, 1) == 1);
	CHECK(c == 'c');
}

TEST_CASE("the launching process gives up after its timeout")
{
	LaunchOutcome slow = launch_with("", 0, 1s, true);
	CHECK(slow.exit_code == 1);
	CHECK(contains(slow.message, "did not finish starting within 1 s"));
}

TEST_CASE("StartupReport writes records and closes after the last one")
{
	int fds[2];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
	UniqueFD rd(fds[0]);
	StartupReport r{UniqueFD(fds[1])};
	CHECK(r.active());
	r.started();
	r.failed(4, "no");
	CHECK_FALSE(r.active());
	r.ready(); // ignored once closed
	std::string got(256, '\0');
	ssize_t n = read(rd.get(), got.data(), got.size());
	REQUIRE(n > 0);
	got.resize(static_cast<std::size_t>(n));
	CHECK(got == "pid " + std::to_string(getpid()) + "\nerror 4\nno");
	char c;
	CHECK(read(rd.get(), &c, 1) == 0); // EOF: the write end is closed
}
