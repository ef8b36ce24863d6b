// SPDX-License-Identifier: MIT
#pragma once

// What the kernel says about a process: CPU time, context switches, memory.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <thread>

namespace fileserver::bench {

// CLOCK_MONOTONIC in seconds: every time the benchmark measures.
double now_sec();

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1.
long proc_status_kib(pid_t pid, const char *field);

// The threads of @pid (entries of /proc/PID/task), or -1.
long proc_thread_count(pid_t pid);

// CPU time (user + system) of @pid so far, in seconds (clock-tick resolution).
double proc_cpu_sec(pid_t pid);

// Context switches (voluntary + involuntary) of each thread of @pid so far,
// by thread id.
using TaskSwitches = std::map<pid_t, std::uint64_t>;
TaskSwitches proc_context_switches(pid_t pid);

// The context switches from @before to @after, thread by thread: a thread
// that started in between counts from 0; one that ended took its counts
// with it (the kernel keeps them only for the process itself), so a thread
// that comes and goes (the daemon's notification thread) is not counted.
std::uint64_t context_switches_between(const TaskSwitches &before, const TaskSwitches &after);

// The same for this process.
std::uint64_t self_context_switches();
double self_cpu_sec();

// The 1-minute load average, or -1.
double load_average();

// Samples the daemon's VmRSS and thread count while a phase runs.
class RssSampler
{
public:
	explicit RssSampler(pid_t pid);
	~RssSampler() { stop(); }
	RssSampler(const RssSampler &) = delete;
	RssSampler &operator=(const RssSampler &) = delete;

	// Stops sampling; the peak in KiB, -1 if none was read.
	long stop();
	// The most threads seen, -1 if none was read.
	[[nodiscard]] long peak_threads() const { return peak_threads_.load(); }

private:
	pid_t pid_;
	std::atomic<bool> stop_{false};
	std::atomic<long> peak_{-1};
	std::atomic<long> peak_threads_{-1};
	std::thread thread_;
};

} // namespace fileserver::bench
