// SPDX-License-Identifier: MIT
#pragma once

// What the kernel says about a process: CPU time, context switches, memory.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace fileserver::bench {

// CLOCK_MONOTONIC in seconds: every time the benchmark measures.
double now_sec();

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or -1.
long proc_status_kib(pid_t pid, const char *field);

// CPU time (user + system) of @pid so far, in seconds (clock-tick resolution).
double proc_cpu_sec(pid_t pid);

// Context switches (voluntary + involuntary) of all threads of @pid so far.
std::uint64_t proc_context_switches(pid_t pid);

// The same for this process.
std::uint64_t self_context_switches();
double self_cpu_sec();

// The 1-minute load average, or -1.
double load_average();

// Samples the daemon's VmRSS while a phase runs.
class RssSampler
{
public:
	explicit RssSampler(pid_t pid);
	~RssSampler() { stop(); }
	RssSampler(const RssSampler &) = delete;
	RssSampler &operator=(const RssSampler &) = delete;

	// Stops sampling; the peak in KiB, -1 if none was read.
	long stop();

private:
	pid_t pid_;
	std::atomic<bool> stop_{false};
	std::atomic<long> peak_{-1};
	std::thread thread_;
};

} // namespace fileserver::bench
