// SPDX-License-Identifier: MIT
// Reclaiming reply queues that dead clients left behind: against a fake
// listing (to cover other uids and dead pids at will), then one real queue.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "client/stale-queues.h"
#include "util/mqueue.h"
#include "util/random.h"

using namespace fileserver;

TEST_CASE("stale queues: names made and parsed")
{
	std::string name = reply_queue_name(1234, 98765, 0xabcdef0123456789ULL);
	CHECK(name == "fileserver-client-1234-98765-abcdef0123456789");
	auto c = parse_reply_queue_name(name);
	REQUIRE(c);
	CHECK(c->pid == 1234);
	CHECK(c->start_time == 98765u);

	auto old = parse_reply_queue_name("fileserverctl-77-0123456789abcdef");
	REQUIRE(old);
	CHECK(old->pid == 77);
	CHECK_FALSE(old->start_time);

	for (const char *bad :
	     {"fileserver", "fileserver-client-1-2-xyz", "fileserver-client-1-0123456789abcdef",
	      "fileserver-client-0-5-0123456789abcdef", "fileserverctl-x-0123456789abcdef",
	      "fileserver-client-1-2-0123456789ABCDEF", "fileserverctl-5-0123456789abcdef0",
	      "fileserver-unit-5-0123456789abcdef"})
		CHECK_MESSAGE(!parse_reply_queue_name(bad), bad);
}

TEST_CASE("stale queues: this process's start time")
{
	auto self = process_start_time(getpid());
	REQUIRE(self);
	CHECK(*self > 0);
	CHECK(process_start_time(getpid()) == self);
}

TEST_CASE("stale queues: a start time behind a command name with spaces and parentheses")
{
	int go[2], ready[2];
	REQUIRE(pipe(go) == 0);
	REQUIRE(pipe(ready) == 0);
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		char c = 0;
		(void)!read(go[0], &c, 1);
		prctl(PR_SET_NAME, "x) 1 2 (y) 3");
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	auto before = process_start_time(child); // the name of this program
	char c = 0;
	REQUIRE(write(go[1], &c, 1) == 1);
	REQUIRE(read(ready[0], &c, 1) == 1);
	auto renamed = process_start_time(child);
	std::ifstream in("/proc/" + std::to_string(child) + "/comm");
	std::string comm;
	std::getline(in, comm);
	REQUIRE(write(go[1], &c, 1) == 1);
	waitpid(child, nullptr, 0);
	for (int fd : {go[0], go[1], ready[0], ready[1]})
		close(fd);
	CHECK(comm == "x) 1 2 (y) 3");
	REQUIRE(before);
	CHECK(renamed == before);
	CHECK_FALSE(process_start_time(child)); // reaped: gone
}

TEST_CASE("stale queues: only this uid's queues of processes that are gone")
{
	const uid_t me = 1000, other = 1001;
	// pid -> start time of the processes that run.
	std::map<pid_t, std::uint64_t> running = {{100, 500}, {200, 700}};
	std::vector<QueueEntry> queues = {
	        {reply_queue_name(100, 500, 1), me},           // live: kept
	        {reply_queue_name(100, 499, 2), me},           // pid reused since: removed
	        {reply_queue_name(300, 500, 3), me},           // no such pid: removed
	        {reply_queue_name(300, 500, 4), other},        // another uid's: never touched
	        {"fileserverctl-300-0123456789abcdef", me},    // old form, dead: removed
	        {"fileserverctl-200-0123456789abcdef", me},    // old form, pid in use: kept
	        {"fileserverctl-300-0123456789abcdef", other}, // another uid's
	        {"fileserver", me},                            // a server queue
	        {"fileserver-client-300-junk", me},            // not a name of ours
	};
	std::set<std::string> unlinked;
	StaleQueueOps ops;
	ops.list = [&] { return queues; };
	ops.start_time = [&](pid_t pid) -> std::optional<std::uint64_t> {
		auto it = running.find(pid);
		if (it == running.end())
			return std::nullopt;
		return it->second;
	};
	ops.unlink = [&](const std::string &name) { unlinked.insert(name); };

	CHECK(reclaim_stale_queues(me, ops) == 3);
	CHECK(unlinked == std::set<std::string>{"/" + reply_queue_name(100, 499, 2),
	                                        "/" + reply_queue_name(300, 500, 3),
	                                        "/fileserverctl-300-0123456789abcdef"});
}

namespace {

// A queue of a dead process and one of a live one, then a reclaim: 0 if
// only the dead one's went, else the step that failed.
int reclaim_real_queues()
{
	// A child that exits at once gives a pid that is gone (until reused,
	// which a start time check would still catch).
	pid_t dead = fork();
	if (dead < 0)
		return 1;
	if (dead == 0)
		_exit(0);
	if (waitpid(dead, nullptr, 0) != dead)
		return 2;
	std::uint64_t bits = random_u64();
	std::string dead_name = "/" + reply_queue_name(dead, 1, bits);
	std::string live_name = "/" + reply_queue_name(getpid(), *process_start_time(getpid()), bits);
	MessageQueue a, b;
	if (MessageQueue::create(dead_name, O_RDONLY, 0600, 1, 64, a) != 0)
		return 3;
	if (MessageQueue::create(live_name, O_RDONLY, 0600, 1, 64, b) != 0) {
		mq_unlink(dead_name.c_str());
		return 4;
	}
	int result = 0;
	MessageQueue probe;
	if (reclaim_stale_queues(geteuid()) < 1)
		result = 5;
	else if (MessageQueue::open(dead_name, O_RDONLY, probe) != -ENOENT)
		result = 6;
	else if (MessageQueue::open(live_name, O_RDONLY, probe) != 0)
		result = 7;
	mq_unlink(live_name.c_str());
	mq_unlink(dead_name.c_str());
	return result;
}

} // namespace

TEST_CASE("stale queues: a real queue of a dead process is removed, one of a live process kept")
{
	// In an IPC and mount namespace of its own where it can (root): the
	// host's queues are not touched, and a host that mounts no mqueue file
	// system is tested too. Else here, if this namespace's queues can be
	// listed somewhere.
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWIPC) < 0)
			_exit(100);
		char dir[] = "/tmp/fs-unit-mqueue-XXXXXX";
		if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 || !mkdtemp(dir))
			_exit(101);
		if (mount("mqueue", dir, "mqueue", 0, nullptr) < 0) {
			rmdir(dir);
			_exit(102);
		}
		int r = reclaim_real_queues();
		umount(dir);
		rmdir(dir);
		_exit(r);
	}
	int status = 0;
	REQUIRE(waitpid(child, &status, 0) == child);
	REQUIRE(WIFEXITED(status));
	int r = WEXITSTATUS(status);
	if (r >= 100) {
		// No namespace of our own (not root): the test needs a listable mount here.
		MESSAGE("no private namespace (" << r << "): reclaiming in this one");
		if (mqueue_mount().empty()) {
			MESSAGE("skipped: this IPC namespace's queues cannot be listed (no mqueue mount)");
			return;
		}
		r = reclaim_real_queues();
	}
	CHECK(r == 0);
}
