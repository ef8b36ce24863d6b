// SPDX-License-Identifier: MIT
#pragma once

// Reply queues that clients of this uid left behind: a client killed before
// the server's CHALLENGE (SIGKILL, a crash) cannot unlink its queue's name,
// and each such queue holds part of the uid's RLIMIT_MSGQUEUE budget for
// ever. The next client removes those of processes that are gone.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fileserver {

// The queue name (without the leading '/') a client gives its reply queue:
// fileserver-client-PID-XXXXXXXXXXXXXXXX.
std::string reply_queue_name(pid_t pid, std::uint64_t random_bits);

// The pid of the process that created a client's reply queue, from its
// name: fileserver-client-PID-X... as above, fileserver-client-PID-
// STARTTIME-X... (0.1), fileserverctl-PID-X... (protocol 1). nullopt for a
// name that is not a client's reply queue.
std::optional<pid_t> reply_queue_creator(std::string_view name);

// Where this IPC namespace's queues can be listed: /dev/mqueue, or, on a
// system that mounts the file system elsewhere (or only in a container),
// the first mqueue mount of /proc/self/mountinfo. "" if there is none.
std::string mqueue_mount();

// One entry of the mqueue file system: a name without '/', its owner and
// the inode that identifies the queue.
struct QueueEntry {
	std::string name;
	uid_t owner = 0;
	dev_t dev = 0;
	ino_t ino = 0;
};

// Whether process @pid has queue @q open. A client holds its reply queue
// open from its creation to the CHALLENGE, the only time it has a name: a
// named queue no live process holds is stale, whoever has the pid now.
// True when it cannot be told (/proc/PID/fd not readable): kept.
bool process_holds_queue(pid_t pid, const QueueEntry &q);

// The seams of reclaim_stale_queues(), replaced in tests.
struct StaleQueueOps {
	// Every queue of the mqueue mount; empty if it is not one.
	std::function<std::vector<QueueEntry>()> list;
	std::function<bool(pid_t, const QueueEntry &)> holds;
	std::function<void(const std::string &)> unlink; // a name with its '/'
};
StaleQueueOps system_stale_queue_ops();

// Unlinks the reply queues owned by @uid that their creating process does
// not hold (it is gone). Best effort and silent: returns how many names it
// removed.
int reclaim_stale_queues(uid_t uid, const StaleQueueOps &ops = system_stale_queue_ops());

} // namespace fileserver
