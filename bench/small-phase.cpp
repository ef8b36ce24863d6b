// SPDX-License-Identifier: MIT
// Small files: requests per second, latency, and CPU and context switches
// per request, with a given number of concurrent client processes.

#include <algorithm>
#include <vector>

#include "baselines.h"
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

namespace {

// The element of @runs whose requests_per_sec is the median (the lower
// middle one of an even number).
nlohmann::json median_run(std::vector<nlohmann::json> runs)
{
	std::sort(runs.begin(), runs.end(), [](const auto &a, const auto &b) {
		return a["requests_per_sec"].template get<double>() <
		       b["requests_per_sec"].template get<double>();
	});
	return runs[(runs.size() - 1) / 2];
}

} // namespace

nlohmann::json small_level_rounds(const Options &o, const WorkDir &w, const Daemon &d, int clients,
                                  bool paired)
{
	std::vector<nlohmann::json> ours, floors;
	std::vector<double> shares, cpu_ratios, rates;
	for (int i = 0; i < o.rounds; i++) {
		ours.push_back(small_level(o, w, d, clients));
		rates.push_back(ours.back()["requests_per_sec"]);
		if (!paired)
			continue;
		floors.push_back(floor_level(o, w, clients, true));
		double floor_rps = floors.back()["requests_per_sec"];
		double floor_cpu = floors.back()["server_cpu_usec_per_request"];
		shares.push_back(floor_rps > 0 ? rates.back() / floor_rps : 0.0);
		double our_cpu = ours.back()["daemon_cpu_usec_per_request"];
		cpu_ratios.push_back(floor_cpu > 0 ? our_cpu / floor_cpu : 0.0);
	}
	nlohmann::json j = median_run(ours);
	j["rounds"] = o.rounds;
	j["round_rates"] = rates;
	if (paired) {
		j["paired_share"] = shares;
		j["paired_cpu_ratio"] = cpu_ratios;
		j["paired_share_median"] = median(shares);
		j["paired_cpu_ratio_median"] = median(cpu_ratios);
		j["floor_kept"] = median_run(floors);
	}
	// A failed request in any round fails the run.
	std::uint64_t failed = 0;
	for (const auto &r : ours)
		failed += r["failed"].get<std::uint64_t>();
	j["failed"] = failed;
	return j;
}

} // namespace fileserver::bench
