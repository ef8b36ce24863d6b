// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "launcher/environment.h"

using namespace fileserver;

TEST_CASE("the environment keeps the locale and TZ, and gets a safe PATH")
{
	std::vector<std::string> in = {
	        "LANG=C.UTF-8",
	        "LC_ALL=C",
	        "LC_TIME=en_GB",
	        "TZ=UTC",
	        "PATH=/tmp/evil:/usr/bin",
	        "LD_PRELOAD=/tmp/x.so",
	        "LD_LIBRARY_PATH=/tmp",
	        "HOME=/root",
	        "IFS=x",
	        "NOTIFY_SOCKET=/run/x",
	        "LISTEN_FDS=1",
	        "LISTEN_PID=1",
	        "JOURNAL_STREAM=1:2",
	        "FILESERVER_REEXEC_QUEUE_FD=3",
	        "=odd",
	        "NOEQUALS",
	        "LANGX=1",
	};
	std::vector<char *> envp;
	for (auto &s : in)
		envp.push_back(s.data());
	envp.push_back(nullptr);
	std::vector<std::string> out = filter_environment(envp.data());
	CHECK(out == std::vector<std::string>{"LANG=C.UTF-8", "LC_ALL=C", "LC_TIME=en_GB", "TZ=UTC",
	                                      std::string("PATH=") + kSafePath});
	CHECK(filter_environment(nullptr) == std::vector<std::string>{std::string("PATH=") + kSafePath});
	// Filtering is idempotent: a re-executed launcher does not loop.
	std::vector<char *> again;
	for (auto &s : out)
		again.push_back(s.data());
	again.push_back(nullptr);
	CHECK(filter_environment(again.data()) == out);
}

TEST_CASE("absolute_path")
{
	char *cwd = getcwd(nullptr, 0);
	REQUIRE(cwd);
	std::string here(cwd);
	free(cwd);
	CHECK(absolute_path("/a/b") == "/a/b");
	CHECK(absolute_path("") == "");
	CHECK(absolute_path("x.pid") == (here == "/" ? "/x.pid" : here + "/x.pid"));
}

TEST_CASE("executable_path names this test binary")
{
	std::string exe = executable_path();
	CHECK_FALSE(exe.empty());
	CHECK(exe[0] == '/');
	CHECK(access(exe.c_str(), X_OK) == 0);
}
