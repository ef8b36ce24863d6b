// SPDX-License-Identifier: MIT
// Start-up and reload: the times a supervisor waits for READY=1.

#include <signal.h>

#include <algorithm>
#include <vector>

#include "client-calls.h"
#include "daemon.h"
#include "fail.h"
#include "measure-window.h"
#include "notify-socket.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "text-file.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

double max_of(const std::vector<double> &v)
{
	return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
}

} // namespace

Daemon start_phase(const Options &o, const WorkDir &w, NotifySocket &notify, nlohmann::json &start)
{
	// Every start but the last is stopped again; the last one serves the run.
	int starts = has_phase(o, "start") ? o.starts : 1;
	std::vector<double> ms;
	Daemon d;
	for (int i = 0; i < starts; i++) {
		d = start_daemon(o, w, notify);
		ms.push_back(d.ready_sec * 1e3);
		if (i + 1 < starts && stop_daemon(d) != 0)
			die("fileserverd did not exit cleanly; its log:\n" + read_text(w.log_path));
	}
	auto ping = BenchClient(d.queue).ping_usec();
	if (!ping.ok())
		die("PING after READY=1 failed: " + ping.error().why);
	if (has_phase(o, "start"))
		start = {{"runs", starts},
		         {"ready_ms", ms},
		         {"median_ms", median(ms)},
		         {"max_ms", max_of(ms)},
		         {"first_ping_usec", *ping}};
	return d;
}

nlohmann::json reload_phase(const Options &o, const Daemon &d, NotifySocket &notify)
{
	std::vector<double> total, reloading_to_ready;
	for (int i = 0; i < o.reloads; i++) {
		notify.flush();
		double t0 = now_sec();
		kill(d.pid, SIGHUP);
		auto reloading = notify.wait_for("RELOADING=1", d.pid, 10);
		if (!reloading)
			die("no RELOADING=1 after SIGHUP");
		auto ready = notify.wait_for("READY=1", d.pid, 10);
		if (!ready)
			die("no READY=1 after RELOADING=1");
		total.push_back((*ready - t0) * 1e3);
		reloading_to_ready.push_back((*ready - *reloading) * 1e3);
	}
	nlohmann::json j;
	j["runs"] = o.reloads;
	j["sighup_to_ready_ms"] = total;
	j["reloading_to_ready_ms"] = reloading_to_ready;
	j["median_ms"] = median(total);
	j["max_ms"] = max_of(total);
	return j;
}

} // namespace fileserver::bench
