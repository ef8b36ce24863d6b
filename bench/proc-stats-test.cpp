// SPDX-License-Identifier: MIT
#include "proc-stats.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <thread>

using namespace fileserver::bench;

TEST_CASE("bench context switches: thread by thread, never below zero")
{
	TaskSwitches before{{10, 100}, {11, 50}, {12, 7}};
	// 10 went on, 11 ended (its counts gone), 13 started; 12 is a new thread
	// with an id used before (fewer than before): nothing negative.
	TaskSwitches after{{10, 130}, {12, 5}, {13, 4}};
	CHECK(context_switches_between(before, after) == 30 + 0 + 4);
	CHECK(context_switches_between({}, {}) == 0);
	CHECK(context_switches_between(after, after) == 0);
}

TEST_CASE("bench proc stats: this process's threads")
{
	long alone = proc_thread_count(getpid());
	CHECK(alone >= 1);
	std::thread t([&] { CHECK(proc_thread_count(getpid()) == alone + 1); });
	t.join();
	TaskSwitches mine = proc_context_switches(getpid());
	CHECK(mine.count(getpid()) == 1);
	CHECK(proc_thread_count(-1) == -1);
}
