// SPDX-License-Identifier: MIT
// Reclaiming reply queues that dead clients left behind: against a fake
// listing (to cover other uids and dead pids at will), then one real queue.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

#include "client/stale-queues.h"
#include "util/mqueue.h"
#include "util/random.h"

using namespace fileserver;

TEST_CASE("stale queues: names made and parsed")
{
	std::string name = reply_queue_name(1234, 0xabcdef0123456789ULL);
	CHECK(name == "fileserver-client-1234-abcdef0123456789");
	CHECK(reply_queue_creator(name) == 1234);
	// 0.1 named its queues with the process start time too.
	CHECK(reply_queue_creator("fileserver-client-1234-98765-abcdef0123456789") == 1234);
	CHECK(reply_queue_creator("fileserverctl-77-0123456789abcdef") == 77);

	for (const char *bad :
	     {"fileserver", "fileserver-client-1-2-xyz", "fileserver-client-1-0123456789abcde",
	      "fileserver-client-0-0123456789abcdef", "fileserverctl-x-0123456789abcdef",
	      "fileserver-client-1-2-0123456789ABCDEF", "fileserverctl-5-0123456789abcdef0",
	      "fileserverctl-5-2-0123456789abcdef", "fileserver-client-1-2-3-0123456789abcdef",
	      "fileserver-unit-5-0123456789abcdef"})
		CHECK_MESSAGE(!reply_queue_creator(bad), bad);
}

namespace {

// A queue this process holds open, and its entry as the listing gives it.
struct HeldQueue {
	std::string name = "/fs-unit-held-" + std::to_string(getpid()) + "-" + std::to_string(random_u64());
	MessageQueue q;
	QueueEntry entry;

	HeldQueue()
	{
		REQUIRE(MessageQueue::create(name, O_RDONLY, 0600, 1, 64, q) == 0);
		struct stat st;
		REQUIRE(q.stat(st) == 0);
		entry = {name.substr(1), st.st_uid, st.st_dev, st.st_ino};
	}
	~HeldQueue() { mq_unlink(name.c_str()); }
};

} // namespace

TEST_CASE("stale queues: a process holds the queue it has open, not another, and a gone one none")
{
	HeldQueue held;
	CHECK(process_holds_queue(getpid(), held.entry));
	QueueEntry other = held.entry;
	other.ino++;
	CHECK_FALSE(process_holds_queue(getpid(), other));

	// A child holds it (inherited) until it exits; then the pid is gone.
	int go[2];
	REQUIRE(pipe(go) == 0);
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		char c = 0;
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	bool while_alive = process_holds_queue(child, held.entry);
	char c = 0;
	REQUIRE(write(go[1], &c, 1) == 1);
	waitpid(child, nullptr, 0);
	close(go[0]);
	close(go[1]);
	CHECK(while_alive);
	CHECK_FALSE(process_holds_queue(child, held.entry));
}

TEST_CASE("stale queues: only this uid's queues that their creator does not hold")
{
	const uid_t me = 1000, other = 1001;
	auto entry = [](std::string name, uid_t owner, ino_t ino) {
		return QueueEntry{std::move(name), owner, 7, ino};
	};
	// pid -> the queues (inodes) it holds open.
	std::map<pid_t, std::set<ino_t>> open = {{100, {1}}, {200, {9}}};
	std::vector<QueueEntry> queues = {
	        entry(reply_queue_name(100, 1), me, 1),                   // held: kept
	        entry(reply_queue_name(100, 2), me, 2),                   // pid reused since: removed
	        entry(reply_queue_name(300, 3), me, 3),                   // no such pid: removed
	        entry(reply_queue_name(300, 4), other, 4),                // another uid's: never touched
	        entry("fileserver-client-300-5-0123456789abcdef", me, 5), // 0.1 form, gone: removed
	        entry("fileserverctl-300-0123456789abcdef", me, 6),       // version 1, gone: removed
	        entry("fileserverctl-200-0123456789abcdef", me, 9),       // version 1, held: kept
	        entry("fileserverctl-300-0123456789abcdef", other, 10),   // another uid's
	        entry("fileserver", me, 11),                              // a server queue
	        entry("fileserver-client-300-junk", me, 12),              // not a name of ours
	};
	std::set<std::string> unlinked;
	StaleQueueOps ops;
	ops.list = [&] { return queues; };
	ops.holds = [&](pid_t pid, const QueueEntry &q) {
		auto it = open.find(pid);
		return it != open.end() && it->second.contains(q.ino);
	};
	ops.unlink = [&](const std::string &name) { unlinked.insert(name); };

	CHECK(reclaim_stale_queues(me, ops) == 4);
	CHECK(unlinked == std::set<std::string>{"/" + reply_queue_name(100, 2),
	                                        "/" + reply_queue_name(300, 3),
	                                        "/fileserver-client-300-5-0123456789abcdef",
	                                        "/fileserverctl-300-0123456789abcdef"});
}

namespace {

// A queue of a dead process and one of a live one, then a reclaim: 0 if
// only the dead one's went, else the step that failed.
int reclaim_real_queues()
{
	// A child that exits at once gives a pid that is gone (or reused by a
	// process that does not hold the queue).
	pid_t dead = fork();
	if (dead < 0)
		return 1;
	if (dead == 0)
		_exit(0);
	if (waitpid(dead, nullptr, 0) != dead)
		return 2;
	std::uint64_t bits = random_u64();
	std::string dead_name = "/" + reply_queue_name(dead, bits);
	std::string live_name = "/" + reply_queue_name(getpid(), bits);
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
