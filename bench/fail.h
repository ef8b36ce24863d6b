// SPDX-License-Identifier: MIT
#pragma once

// The benchmark's one way to fail: a run that cannot measure what it set out
// to stops, says why once, and removes what it started.

#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace fileserver::bench {

// What die() must not leave behind: the daemon, its queue, the work directory.
// Plain arrays: die() may run while these are being replaced.
struct Leftovers {
	std::atomic<pid_t> daemon{-1};
	// The daemon of a child process in a private IPC namespace
	// (ipc-namespace-child.h), in memory shared with it: the child may be
	// gone (killed) without having stopped it.
	std::atomic<pid_t> *child_daemon = nullptr;
	char queue[64] = {};
	char work_dir[4096] = {};
	bool keep_work_dir = false;
};
extern Leftovers g_leftovers;

[[noreturn]] void die(const std::string &why);

// "@what: <strerror>", for errno or -errno.
std::string sys_error(const std::string &what, int err = errno);

} // namespace fileserver::bench
