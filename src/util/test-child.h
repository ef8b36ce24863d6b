// SPDX-License-Identifier: MIT
#pragma once

// For unit tests of what changes the whole process (descriptors, signal
// dispositions, the mask): run it in a child.

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

namespace fileserver::test {

// Runs @fn in a child process; returns its exit status (fn's result).
template<typename Fn>
int in_child(Fn &&fn)
{
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int st = 0;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	REQUIRE(WIFEXITED(st));
	return WEXITSTATUS(st);
}

} // namespace fileserver::test
