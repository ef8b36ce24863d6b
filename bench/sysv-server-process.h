// SPDX-License-Identifier: MIT
#pragma once

// The classic fork-per-request SysV server (fileserver-sysv-server) as a
// process of the benchmark: the baseline of the CLI phase and of the
// small-file phase (baseline-classic.cpp).

#include <sys/ipc.h>
#include <sys/types.h>

#include <string>

namespace fileserver::bench {

struct WorkDir;

struct SysvServer {
	pid_t pid = -1;
	key_t key = 0;
};

// Starts the classic server on a key of its own, serving w.root, its
// standard error appended to @err_log; dies if it cannot.
SysvServer start_sysv_server(const WorkDir &w, const std::string &err_log);

// Stops it and removes its queue.
void stop_sysv_server(const SysvServer &s);

} // namespace fileserver::bench
