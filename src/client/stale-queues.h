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

// The start time of process @pid (field 22 of /proc/PID/stat, clock ticks
// since boot), or nullopt if there is no such process.
std::optional<std::uint64_t> process_start_time(pid_t pid);

// The queue name (without the leading '/') a client gives its reply queue:
// fileserver-client-PID-STARTTIME-XXXXXXXXXXXXXXXX.
std::string reply_queue_name(pid_t pid, std::uint64_t start_time, std::uint64_t random_bits);

// What a queue name says about the process that created it: its pid and,
// for the current form of the name, its start time. nullopt for a name that
// is not a client's reply queue (the old form fileserverctl-PID-X... too).
struct QueueCreator {
	pid_t pid = 0;
	std::optional<std::uint64_t> start_time; // absent in the old form
};
std::optional<QueueCreator> parse_reply_queue_name(std::string_view name);

// Where this IPC namespace's queues can be listed: /dev/mqueue, or, on a
// system that mounts the file system elsewhere (or only in a container),
// the first mqueue mount of /proc/self/mountinfo. "" if there is none.
std::string mqueue_mount();

// One entry of the mqueue file system: a name without '/' and its owner.
struct QueueEntry {
	std::string name;
	uid_t owner = 0;
};

// The seams of reclaim_stale_queues(), replaced in tests.
struct StaleQueueOps {
	// Every queue of the mqueue mount; empty if it is not one.
	std::function<std::vector<QueueEntry>()> list;
	std::function<std::optional<std::uint64_t>(pid_t)> start_time;
	std::function<void(const std::string &)> unlink; // a name with its '/'
};
StaleQueueOps system_stale_queue_ops();

// Unlinks the reply queues owned by @uid whose creating process is gone (no
// such pid, or one that started at another time). Best effort and silent:
// returns how many names it removed.
int reclaim_stale_queues(uid_t uid, const StaleQueueOps &ops = system_stale_queue_ops());

} // namespace fileserver
