// SPDX-License-Identifier: MIT
// Stalled clients: N client processes, each under a uid of its own with a
// session of its own, start a GET of a 10 MiB file and stop (SIGSTOP) once
// its first DATA came. While they stay stopped, a fresh client (another
// uid) does small GETs, measured beside the same client with nothing
// stalled; the daemon's threads and memory are read before and during the
// stall; then the stalled transfers should end at the send timeout, and
// once the stalled clients are killed the fresh client must still be served.
//
// N reply queues are more than fs.mqueue.queues_max allows (256): the phase
// runs in a private IPC namespace that allows N + 64, with a daemon of its
// own (ipc-namespace-child.h).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "client-calls.h"
#include "client-processes.h"
#include "daemon.h"
#include "fail.h"
#include "ipc-namespace-child.h"
#include "isolation.h"
#include "measure-window.h"
#include "notify-socket.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "small-gets.h"
#include "stalled-clients.h"
#include "status-counts.h"
#include "text-file.h"
#include "util/io.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

using nlohmann::json;

// The stalled clients' reply queues: small, so that a thousand of them fit.
constexpr long kStalledDepth = 4;

struct Stall {
	const Options &o;
	WorkDir w;
	Daemon d;
	int clients;
	double send_timeout;
	BenchClient status_client; // STATUS, from this process's uid (the daemon's)
};

// The fresh client (uid client_uid(clients)): small GETs on one session for
// @seconds; every request that starts in the window counts, however late
// it ends.
json fresh_client(const Stall &s, double seconds)
{
	SmallGets g{s.d.queue, s.o.small_size, static_cast<std::size_t>(seconds * 50000),
	            Counting::kStartedInWindow};
	ClientProcesses procs(
	        1,
	        [&](int, const MeasureWindow &window, ThreadStats &st) {
		        small_get_loop(g, s.w, window, 0, st);
	        },
	        s.clients);
	MeasureWindow &window = procs.window();
	window.warm_up(s.o);
	window.measure(seconds);
	Totals t = add_up(procs.collect());
	json j = level_summary(t, 1, window.seconds());
	if (!t.first_error.empty())
		j["first_error"] = t.first_error;
	j["max_usec"] = t.latencies_usec.empty()
	                        ? 0.0
	                        : *std::max_element(t.latencies_usec.begin(), t.latencies_usec.end());
	return j;
}

std::optional<StatusCounts> read_status(const Stall &s)
{
	auto text = s.status_client.status();
	return text.ok() ? parse_status(*text) : std::nullopt;
}

// Polls STATUS until the daemon is as idle as @idle again; when it was
// (monotonic seconds), or nullopt at @deadline. @last: the last counts read.
std::optional<double> wait_for_idle(const Stall &s, const StatusCounts &idle, double deadline,
                                    std::optional<StatusCounts> &last)
{
	for (;;) {
		if (auto now = read_status(s)) {
			last = now;
			if (back_to_idle(*now, idle))
				return now_sec();
		}
		if (now_sec() > deadline)
			return std::nullopt;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
}

// Room for every stalled client and a few more; max_transfers only if the
// daemon knows it (one older than the streaming engine does not).
json daemon_settings(const Options &o, const WorkDir &w, json &j)
{
	int clients = o.stalled_clients;
	json settings = {{"max_sessions", clients + 16}, {"send_timeout_ms", o.stalled_send_timeout_ms}};
	bool max_transfers = daemon_accepts(o, w, "max_transfers", clients + 64);
	if (max_transfers)
		settings["max_transfers"] = clients + 64;
	j["max_sessions"] = clients + 16;
	j["max_transfers"] = max_transfers ? json(clients + 64) : json(nullptr);
	return settings;
}

// After the send timeout: whether the stalled transfers ended, and when;
// how many requests failed since the daemon was idle (the stalled ones that
// ended, and any refused or failed fresh request).
json stall_end(const Stall &s, const StalledClients &stalled, const StatusCounts &idle)
{
	std::optional<StatusCounts> last;
	double deadline = std::max(stalled.last_stop(), now_sec()) + 2 * s.send_timeout + 2;
	auto ended = wait_for_idle(s, idle, deadline, last);
	json j;
	j["ended"] = ended.has_value();
	if (ended && stalled.stopped_with_data() > 0) {
		j["sec_after_first_stop"] = *ended - stalled.first_stop();
		j["sec_after_last_stop"] = *ended - stalled.last_stop();
	}
	if (last)
		j["status"] = to_json(*last);
	if (last)
		j["failed_since_idle"] = last->failed - idle.failed;
	return j;
}

// Kills the stalled clients; then the daemon must serve a fresh client again.
json after_kill(const Stall &s, StalledClients &stalled, const StatusCounts &idle)
{
	json j;
	double t0 = now_sec();
	j["kill_sec"] = stalled.kill_all();
	std::optional<StatusCounts> last;
	auto idle_at = wait_for_idle(s, idle, now_sec() + s.send_timeout + 5, last);
	j["idle_after_sec"] = idle_at ? json(*idle_at - t0) : json(nullptr);
	json fresh = fresh_client(s, s.o.smoke ? 0.1 : 0.5);
	if (fresh["failed"].get<std::uint64_t>() > 0 || fresh["requests"].get<std::uint64_t>() == 0)
		die("stalled clients: after they were killed, the fresh client was not served: " +
		    fresh.value("first_error", std::string("no request completed")));
	j["fresh"] = fresh;
	return j;
}

// The daemon with every stalled client stopped. (A daemon whose backlog is
// full answers STATUS late, or refuses it.)
void record_stopped_state(const Stall &s, json &threads, json &rss, json &j)
{
	threads["stopped"] = proc_thread_count(s.d.pid);
	rss["stopped_kib"] = proc_status_kib(s.d.pid, "VmRSS");
	double t0 = now_sec();
	if (auto during = read_status(s)) {
		j["status_stopped"] = to_json(*during);
		j["status_stopped"]["answered_after_sec"] = now_sec() - t0;
	}
}

json run_stalled(const Options &o, const WorkDir &main_w)
{
	WorkDir w = with_daemon_files(main_w, "stalled");
	NotifySocket notify(w.notify_path);
	int clients = o.stalled_clients;
	json j = {{"clients", clients}, {"send_timeout_ms", o.stalled_send_timeout_ms}};
	Daemon d = start_daemon(o, w, notify, daemon_settings(o, w, j));
	Stall s{o, w, d, clients, o.stalled_send_timeout_ms / 1000.0, BenchClient(d.queue)};
	std::this_thread::sleep_for(std::chrono::milliseconds(o.smoke ? 20 : 300));
	auto idle = read_status(s);
	if (!idle)
		die("stalled clients: no STATUS from the idle daemon");
	json threads = {{"idle", proc_thread_count(s.d.pid)}},
	     rss = {{"idle_kib", proc_status_kib(s.d.pid, "VmRSS")}};
	j["status_idle"] = to_json(*idle);

	j["fresh_alone"] = fresh_client(s, o.stalled_duration);
	if (j["fresh_alone"]["failed"].get<std::uint64_t>() > 0 || j["fresh_alone"]["requests"] == 0)
		die("stalled clients: the fresh client failed with nothing stalled: " +
		    j["fresh_alone"].value("first_error", std::string("no request completed")));

	double t0 = now_sec();
	StalledClients stalled(clients, s.d.queue, w.stall_name, kStalledDepth);
	stalled.wait_stopped(std::min(2.0, s.send_timeout / 2), 60);
	j["setup_sec"] = now_sec() - t0;
	j["stalled"] = stalled.summary();
	record_stopped_state(s, threads, rss, j);

	RssSampler sampler(s.d.pid);
	j["fresh_stalled"] = fresh_client(s, o.stalled_duration);
	double first_timeout = stalled.first_stop() + s.send_timeout;
	j["window_before_first_timeout"] = stalled.stopped_with_data() == 0 || now_sec() < first_timeout;
	j["end"] = stall_end(s, stalled, *idle);
	rss["peak_kib"] = sampler.stop();
	threads["peak"] = sampler.peak_threads();

	j["after_kill"] = after_kill(s, stalled, *idle);
	rss["hwm_kib"] = proc_status_kib(s.d.pid, "VmHWM");
	j["threads"] = threads;
	j["rss"] = rss;
	int status = stop_daemon(s.d);
	if (status != 0)
		die("stalled clients: fileserverd exited with status " + std::to_string(status) +
		    "; its log:\n" + read_text(w.log_path));
	return j;
}

} // namespace

json stalled_phase(const Options &o, const WorkDir &w)
{
	if (!can_enter_ipc_namespace() || !clients_have_own_uids())
		return {{"skipped", "needs root: a private IPC namespace and a uid per client"}};
	long host_queues_max = read_proc_long("/proc/sys/fs/mqueue/queues_max", 256);
	MqueueLimits limits{0, 0, std::max<long>(host_queues_max, o.stalled_clients + 64)};
	return run_in_ipc_namespace("the stalled-clients phase", limits, [&] { return run_stalled(o, w); });
}

} // namespace fileserver::bench
