// SPDX-License-Identifier: MIT
// Small files: requests per second, latency, and CPU and context switches
// per request, with a given number of concurrent client processes.

#include <algorithm>
#include <vector>

#include "client-calls.h"
#include "client-processes.h"
#include "daemon.h"
#include "measure-window.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

void run_client(const Options &o, const WorkDir &w, const Daemon &d, const MeasureWindow &window, int t,
                int clients, ThreadStats &s)
{
	// Each client process has a client of its own, one that stays up: one
	// session, opened at its first request, for all its requests.
	BenchClient client(d.queue);
	s.latencies_usec.reserve(static_cast<std::size_t>(o.duration * 100000 / clients) + 1024);
	std::size_t next = static_cast<std::size_t>(t) * 7919;
	while (!window.closed()) {
		const std::string &name = w.small_names[next++ % w.small_names.size()];
		double t0 = now_sec();
		auto r = client.get(name);
		double t1 = now_sec();
		if (!window.counts(t0, t1))
			continue; // warm-up, or across the end of the window
		bool ok = r.ok() && r->bytes == o.small_size;
		s.add(ok, t0, t1);
		if (!ok && s.first_error.empty())
			s.first_error = r.ok() ? "short read" : r.error().why;
	}
}

} // namespace

nlohmann::json small_level(const Options &o, const WorkDir &w, const Daemon &d, int clients)
{
	// Forked before the sampler's thread exists.
	ClientProcesses procs(clients, [&](int t, const MeasureWindow &window, ThreadStats &s) {
		run_client(o, w, d, window, t, clients, s);
	});
	MeasureWindow &window = procs.window();
	RssSampler rss(d.pid);
	window.warm_up(o);
	double daemon_cpu0 = proc_cpu_sec(d.pid);
	std::uint64_t daemon_cs0 = proc_context_switches(d.pid);
	window.measure(o.duration);
	double daemon_cpu = proc_cpu_sec(d.pid) - daemon_cpu0;
	auto daemon_cs = static_cast<double>(proc_context_switches(d.pid) - daemon_cs0);
	std::vector<ThreadStats> stats = procs.collect();
	long peak = rss.stop();
	double client_cpu = 0, client_cs = 0;
	for (const auto &s : stats) {
		client_cpu += s.cpu_sec;
		client_cs += s.context_switches;
	}

	Totals total = add_up(stats);
	nlohmann::json j = level_summary(total, clients, window.seconds());
	if (!total.first_error.empty())
		j["first_error"] = total.first_error;
	j["seconds"] = window.seconds();
	j["p999_usec"] = percentile(total.latencies_usec, 99.9);
	const auto &all = total.latencies_usec;
	j["max_usec"] = all.empty() ? 0.0 : *std::max_element(all.begin(), all.end());
	// CPU per request: steadier than the rate on a machine with other load.
	double done = total.done();
	j["daemon_cpu_usec_per_request"] = daemon_cpu * 1e6 / done;
	j["client_cpu_usec_per_request"] = client_cpu * 1e6 / done;
	j["daemon_context_switches_per_request"] = daemon_cs / done;
	j["client_context_switches_per_request"] = client_cs / done;
	add_load_and_peak_rss(j, peak);
	return j;
}

} // namespace fileserver::bench
