// SPDX-License-Identifier: MIT
// Small files: requests per second, latency, and CPU and context switches
// per request, with a given number of concurrent client processes.

#include <algorithm>
#include <vector>

#include "client-processes.h"
#include "daemon.h"
#include "measure-window.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "small-gets.h"
#include "work-dir.h"

namespace fileserver::bench {

nlohmann::json small_level(const Options &o, const WorkDir &w, const Daemon &d, int clients)
{
	// Forked before the sampler's thread exists.
	SmallGets g{d.queue, o.small_size, static_cast<std::size_t>(o.duration * 100000 / clients),
	            Counting::kInWindow};
	ClientProcesses procs(clients, [&](int t, const MeasureWindow &window, ThreadStats &s) {
		small_get_loop(g, w, window, t, s);
	});
	MeasureWindow &window = procs.window();
	RssSampler rss(d.pid);
	window.warm_up(o);
	double daemon_cpu0 = proc_cpu_sec(d.pid);
	TaskSwitches daemon_cs0 = proc_context_switches(d.pid);
	window.measure(o.duration);
	double daemon_cpu = proc_cpu_sec(d.pid) - daemon_cpu0;
	auto daemon_cs =
	        static_cast<double>(context_switches_between(daemon_cs0, proc_context_switches(d.pid)));
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
