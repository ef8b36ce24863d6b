// SPDX-License-Identifier: MIT
#include "measure-window.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "options.h"
#include "proc-stats.h"

namespace fileserver::bench {

namespace {

void thread_usage(double &cpu_sec, double &context_switches)
{
	struct rusage ru = {};
	getrusage(RUSAGE_THREAD, &ru);
	cpu_sec = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	context_switches = static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
}

} // namespace

void ThreadStats::add(bool succeeded, double t0, double t1)
{
	// The window's first request: what the thread used so far is warm-up.
	if (ok + failed == 0) {
		thread_usage(cpu_sec, context_switches);
		cpu_sec = -cpu_sec;
		context_switches = -context_switches;
	}
	if (succeeded) {
		ok++;
		latencies_usec.push_back((t1 - t0) * 1e6);
	} else {
		failed++;
	}
}

void ThreadStats::stop_usage()
{
	if (ok + failed == 0)
		return;
	double cpu = 0, cs = 0;
	thread_usage(cpu, cs);
	cpu_sec += cpu;
	context_switches += cs;
}

bool MeasureWindow::counts(double t0, double t1) const
{
	return t0 >= start_at_.load(std::memory_order_relaxed) && state_.load() == kOpen &&
	       t1 <= end_at_.load(std::memory_order_relaxed);
}

bool MeasureWindow::started_in(double t0) const
{
	return state_.load() != kWarmUp && t0 >= start_at_.load(std::memory_order_relaxed) &&
	       t0 < end_at_.load(std::memory_order_relaxed);
}

void MeasureWindow::warm_up(const Options &o)
{
	double warmup = o.smoke ? 0.05 : std::min(1.0, o.duration / 5);
	std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
}

void MeasureWindow::measure(double seconds)
{
	start_ = now_sec();
	end_ = start_ + seconds;
	start_at_.store(start_);
	end_at_.store(end_);
	state_.store(kOpen);
	std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
	state_.store(kClosed);
}

double Totals::done() const
{
	return static_cast<double>(std::max<std::uint64_t>(ok + failed, 1));
}

Totals add_up(const std::vector<ThreadStats> &stats)
{
	Totals t;
	for (auto &s : stats) {
		t.latencies_usec.insert(t.latencies_usec.end(), s.latencies_usec.begin(),
		                        s.latencies_usec.end());
		t.ok += s.ok;
		t.failed += s.failed;
		if (t.first_error.empty())
			t.first_error = s.first_error;
	}
	return t;
}

double percentile(std::vector<double> v, double p)
{
	if (v.empty())
		return 0;
	std::sort(v.begin(), v.end());
	// Less a rounding error: 99.9 / 100 * 1000 is 999.0000000000001.
	auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-9));
	return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v)
{
	return percentile(std::move(v), 50);
}

double ratio(double num, double den)
{
	return den > 0 ? num / den : 0.0;
}

nlohmann::json level_summary(const Totals &t, int clients, double seconds)
{
	nlohmann::json j;
	j["clients"] = clients;
	j["requests"] = t.ok;
	j["failed"] = t.failed;
	j["requests_per_sec"] = static_cast<double>(t.ok) / seconds;
	j["p50_usec"] = percentile(t.latencies_usec, 50);
	j["p99_usec"] = percentile(t.latencies_usec, 99);
	j["p999_usec"] = percentile(t.latencies_usec, 99.9);
	return j;
}

void add_load_and_peak_rss(nlohmann::json &j, long daemon_peak_rss_kib)
{
	j["loadavg_1min"] = load_average();
	j["daemon_peak_rss_kib"] = daemon_peak_rss_kib;
}

} // namespace fileserver::bench
