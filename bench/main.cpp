// SPDX-License-Identifier: MIT
// fileserver-bench: measures, in one run and on files it creates, what makes
// fileserver worth choosing over a plain socket: large-file throughput through
// the real client library against the raw message queue ceiling at the same
// message size and depth, small-file requests per second and latency with
// 1, 2 and 8 concurrent clients, start-up and reload time, and the daemon's
// resident memory. It starts the real fileserverd on a private queue, prints
// a table and writes JSON. See docs/performance.md and bench/README.md.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "baselines.h"
#include "client-calls.h"
#include "daemon.h"
#include "fail.h"
#include "isolation.h"
#include "machine.h"
#include "notify-socket.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "report.h"
#include "text-file.h"
#include "util/error.h"
#include "util/io.h"
#include "work-dir.h"

using namespace fileserver;
using namespace fileserver::bench;
using json = nlohmann::json;

namespace {

// Which phase runs now, as it starts: a full run takes minutes.
void progress(const std::string &what)
{
	std::printf("fileserver-bench: %s ...\n", what.c_str());
	std::fflush(stdout);
}

// Runs the rest as an unused uid, if we can, for a mqueue budget of our own;
// whether we do.
bool take_private_uid(Options &o, const WorkDir &w, uid_t &uid)
{
	uid = geteuid();
	bool own_budget = false;
	if (!o.same_uid) {
		uid_t private_uid = pick_private_uid(o.fileserverd);
		if (private_uid) {
			chown_tree(w.top, private_uid);
			become(private_uid);
			uid = private_uid;
			own_budget = true;
		} else if (geteuid() == 0) {
			std::fprintf(stderr, "fileserver-bench: cannot run the daemon under an unused uid; "
			                     "sharing root's mqueue budget\n");
		}
	}
	if (o.smoke && !own_budget) {
		// Sharing a uid's mqueue budget with whatever else runs (tests in
		// parallel): eight reply queues would take most of it.
		std::erase_if(o.concurrency, [](int c) { return c > 2; });
	}
	return own_budget;
}

// What the numbers depend on, at the top of the report.
json run_conditions(const Options &o, bool ipc_ns, uid_t uid, bool own_budget)
{
	json r;
	r["smoke"] = o.smoke;
	r["machine"] = machine_info();
	r["loadavg_1min_at_start"] = load_average();
	r["ipc_namespace"] = ipc_ns;
	r["uid"] = static_cast<long>(uid);
	r["private_uid"] = own_budget;
	r["log_level"] = o.log_level;
	r["workers"] =
	        o.workers > 0 ? std::to_string(o.workers) : std::string("default (one per CPU, 2 to 16)");
	r["small_size"] = o.small_size;
	r["fileserverd"] = o.fileserverd;
	return r;
}

// The phases that need the daemon; returns its exit status.
int run_daemon_phases(const Options &o, const WorkDir &w, json &r)
{
	NotifySocket notify(w.notify_path);
	json start;
	Daemon d = start_phase(o, w, notify, start);
	if (!start.is_null())
		r["start"] = start;
	std::this_thread::sleep_for(std::chrono::milliseconds(o.smoke ? 20 : 300));
	json mem;
	mem["idle_rss_kib"] = proc_status_kib(d.pid, "VmRSS");
	mem["idle_threads"] = proc_status_kib(d.pid, "Threads");

	if (has_phase(o, "reload") && o.reloads > 0) {
		progress("reload");
		r["reload"] = reload_phase(o, d, notify);
	}
	if (has_phase(o, "large")) {
		progress("large file");
		r["large"] = large_phase(o, w, d);
	}
	if (has_phase(o, "small")) {
		r["small"] = json::array();
		// Beside the daemon's queue, the floor's fits in a uid's budget
		// only when the clients have uids of their own.
		bool paired = has_phase(o, "floor") && r["private_uid"].get<bool>();
		for (int c : o.concurrency) {
			progress("small files, " + std::to_string(c) + " client(s), " +
			         std::to_string(o.rounds) + " round(s)" +
			         (paired ? ", each followed by the kept-queue floor" : ""));
			r["small"].push_back(small_level_rounds(o, w, d, c, paired));
		}
	}
	if (has_phase(o, "cli")) {
		progress("command line: fileserverctl, classic SysV client, cat");
		r["cli"] = cli_phase(o, w, d);
	}
	mem["after_load_rss_kib"] = proc_status_kib(d.pid, "VmRSS");
	mem["final_hwm_kib"] = proc_status_kib(d.pid, "VmHWM");
	r["memory"] = mem;
	int exit_status = stop_daemon(d);
	r["daemon_exit_status"] = exit_status;
	if (exit_status != 0)
		std::fprintf(stderr, "fileserver-bench: fileserverd exited with status %d; its log:\n%s\n",
		             exit_status, read_text(w.log_path).c_str());
	return exit_status;
}

// After the daemon: each with a daemon of its own in a private IPC
// namespace (other mqueue limits), one at a time.
void run_namespaced_phases(const Options &o, const WorkDir &w, json &r)
{
	long msgsize_max = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
	if (has_phase(o, "large") && o.large_msgsize > 0 && o.large_msgsize != msgsize_max) {
		progress("large file at " + std::to_string(o.large_msgsize) + "-byte messages");
		r["large_msgsize"] = large_msgsize_phase(o, w);
	}
	if (has_phase(o, "stalled")) {
		progress(std::to_string(o.stalled_clients) + " stalled clients and a fresh one");
		r["stalled"] = stalled_phase(o, w);
	}
}

// The classic SysV server with as many client processes as each small-file level.
void run_classic(const Options &o, const WorkDir &w, json &r)
{
	r["classic"] = json::array();
	for (int c : o.concurrency) {
		progress("classic SysV fork-per-request server, " + std::to_string(c) + " client(s)");
		r["classic"].push_back(classic_level(o, w, c));
	}
}

// After the daemon: its queue would not leave room in the mqueue budget.
void run_floor(const Options &o, const WorkDir &w, json &r)
{
	r["floor"] = json::array();
	for (int c : o.concurrency)
		for (bool persistent : {false, true}) {
			// Measured beside the small-file rounds already: their median.
			const json *kept = nullptr;
			if (persistent && r.contains("small"))
				for (const json &s : r["small"])
					if (s["clients"] == c && s.contains("floor_kept"))
						kept = &s["floor_kept"];
			if (kept) {
				r["floor"].push_back(*kept);
				continue;
			}
			progress(std::string("small-file floor (plain mqueue loop") +
			         (persistent ? ", persistent reply queues" : "") + "), " + std::to_string(c) +
			         " client(s)");
			r["floor"].push_back(floor_level(o, w, c, persistent));
		}
}

// Any failed request makes the run fail: numbers over errors mean nothing.
// (The fresh client while clients are stalled is the exception: its
// failures are what that phase measures.)
bool small_requests_failed(const json &r)
{
	for (const char *key : {"small", "classic"})
		if (r.contains(key))
			for (const json &s : r[key])
				if (s["failed"].get<std::uint64_t>() > 0 ||
				    s["requests"].get<std::uint64_t>() == 0)
					return true;
	return false;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	try {
		o = parse_options(argc, argv);
	} catch (const UsageError &e) {
		die(e.what());
	}
	signal(SIGPIPE, SIG_IGN);
	if (access(o.fileserverd.c_str(), X_OK) < 0)
		die(sys_error(o.fileserverd));

	// Opened now: after a switch to another uid, the path may not be writable.
	FILE *json_out = std::fopen(o.json_path.c_str(), "we");
	if (!json_out)
		die(sys_error(o.json_path));

	bool ipc_ns = o.msgsize > 0;
	if (ipc_ns)
		enter_ipc_namespace({o.msgsize, o.msg_max, 0});

	WorkDir w = make_work_dir(o);
	std::snprintf(g_leftovers.work_dir, sizeof(g_leftovers.work_dir), "%s", w.top.c_str());
	g_leftovers.keep_work_dir = o.keep;
	uid_t uid = 0;
	bool own_budget = take_private_uid(o, w, uid);

	json r = run_conditions(o, ipc_ns, uid, own_budget);
	ReplyQueueShape rq = reply_queue_shape();
	r["reply_queue"] = {{"message_size", rq.message_size}, {"depth", rq.depth}};
	std::printf("fileserver-bench: server log level '%s'%s, reply queues %ld x %ld bytes, work dir %s\n",
	            o.log_level.c_str(), o.log_level == "info" ? "" : " (per-request logging off)", rq.depth,
	            rq.message_size, w.top.c_str());
	std::fflush(stdout);

	int exit_status = run_daemon_phases(o, w, r);
	run_namespaced_phases(o, w, r);
	if (has_phase(o, "classic"))
		run_classic(o, w, r);
	if (has_phase(o, "floor"))
		run_floor(o, w, r);

	print_report(r);
	std::string text = r.dump(2) + "\n";
	std::fwrite(text.data(), 1, text.size(), json_out);
	std::fclose(json_out);
	std::printf("results written to %s\n", o.json_path.c_str());

	if (!o.keep)
		std::filesystem::remove_all(w.top);
	else
		std::printf("work directory kept: %s\n", w.top.c_str());

	if (exit_status != 0 || small_requests_failed(r))
		return 1;
	return 0;
}
