// SPDX-License-Identifier: MIT
#pragma once

// The clients of the small-file phase and of its floor, as real clients
// are: separate processes (forked), each under a uid of its own when the
// benchmark switched to a private one (isolation.h), each with its own reply
// queue (with fileserverd: its own session, kept for all its requests). The measured
// window lives in shared memory; each process sends its counts back through
// a pipe when the window has closed.

#include <sys/types.h>

#include <functional>
#include <vector>

#include "measure-window.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

class ClientProcesses
{
public:
	// What one client process runs: requests until the window closes,
	// counted in @stats. It runs in the child only.
	using Body = std::function<void(int t, const MeasureWindow &window, ThreadStats &stats)>;

	// Forks @clients processes that start at once, under the uids
	// client_uid(first_uid), client_uid(first_uid + 1), ...
	ClientProcesses(int clients, const Body &body, int first_uid = 0);
	~ClientProcesses(); // kills what is left (after a die())
	ClientProcesses(const ClientProcesses &) = delete;
	ClientProcesses &operator=(const ClientProcesses &) = delete;

	[[nodiscard]] MeasureWindow &window() { return *window_; }
	// After the window closed: each process's counts, CPU time and context
	// switches in the window (ThreadStats::cpu_sec, context_switches).
	std::vector<ThreadStats> collect();

private:
	MeasureWindow *window_ = nullptr; // a shared anonymous mapping
	std::vector<pid_t> pids_;
	std::vector<UniqueFD> pipes_; // read ends
};

} // namespace fileserver::bench
