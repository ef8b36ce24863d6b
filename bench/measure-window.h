// SPDX-License-Identifier: MIT
#pragma once

// What the small-file phase and its floor share: client threads that loop
// until the measured window closes, each with its own counts, added up at
// the end.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

struct Options;

// One client thread's requests in the window.
struct ThreadStats {
	std::vector<double> latencies_usec;
	std::uint64_t ok = 0;
	std::uint64_t failed = 0;
	std::string first_error;
	// The thread's CPU time and context switches from its first counted
	// request to stop_usage().
	double cpu_sec = 0;
	double context_switches = 0;

	// A request that ran from @t0 to @t1 (seconds).
	void add(bool succeeded, double t0, double t1);
	void stop_usage();
};

// Requests that start before the window opens (the warm-up) or end after it
// closes do not count.
class MeasureWindow
{
public:
	[[nodiscard]] bool closed() const { return state_.load(std::memory_order_relaxed) == kClosed; }
	// Whether a request from @t0 to @t1 falls in the window.
	[[nodiscard]] bool counts(double t0, double t1) const;
	// Whether a request that started at @t0 started in the window, however
	// long it took: where the slow ones are what is measured.
	[[nodiscard]] bool started_in(double t0) const;

	// Sleeps through the warm-up, while the threads run.
	void warm_up(const Options &o);
	// Opens the window, sleeps @seconds and closes it.
	void measure(double seconds);
	[[nodiscard]] double seconds() const { return end_ - start_; }
	[[nodiscard]] double opened_at() const { return start_; }

private:
	static constexpr int kWarmUp = 0, kOpen = 1, kClosed = 2;
	std::atomic<int> state_{kWarmUp};
	std::atomic<double> start_at_{0}, end_at_{0};
	double start_ = 0, end_ = 0;
};

// All threads' requests.
struct Totals {
	std::vector<double> latencies_usec;
	std::uint64_t ok = 0;
	std::uint64_t failed = 0;
	std::string first_error; // the first thread's that has one
	[[nodiscard]] double done() const;
};
Totals add_up(const std::vector<ThreadStats> &stats);

double percentile(std::vector<double> v, double p); // nearest rank
double median(std::vector<double> v);
// @num / @den, or 0 when there is nothing to compare with (@den <= 0).
double ratio(double num, double den);

// The fields every level reports: clients, requests, failed,
// requests_per_sec, p50_usec, p99_usec, p999_usec.
nlohmann::json level_summary(const Totals &t, int clients, double seconds);

// What a phase against the daemon ends with: the load average then (other
// load skews rates) and the daemon's peak RSS during it.
void add_load_and_peak_rss(nlohmann::json &j, long daemon_peak_rss_kib);

} // namespace fileserver::bench
