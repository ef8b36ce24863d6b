// SPDX-License-Identifier: MIT
// The classic baseline of the small-file phase: what a fork-per-request SysV
// message queue server of the kind fileserverd replaces does with the same
// number of client processes, each fetching the small files back to back.
// The server forks a child per request; the client makes a reply queue
// per request (IPC_PRIVATE) and removes it, sets a 10 s alarm around each
// fetch as the classic client program does, and runs in the process that
// loops (no program started per request: the CLI phase measures that).

#include <signal.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "baselines.h"
#include "client-processes.h"
#include "fail.h"
#include "measure-window.h"
#include "options.h"
#include "proc-stats.h"
#include "sysv-exchange.h"
#include "sysv-server-process.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

void on_alarm(int)
{}

void run_client(const Options &o, const WorkDir &w, int server, const MeasureWindow &window, int t,
                ThreadStats &s)
{
	struct sigaction sa = {};
	sa.sa_handler = on_alarm; // no SA_RESTART: a wait past the alarm fails with EINTR
	sigaction(SIGALRM, &sa, nullptr);
	std::size_t next = static_cast<std::size_t>(t) * 7919;
	while (!window.closed()) {
		const std::string &name = w.small_names[next++ % w.small_names.size()];
		std::uint64_t bytes = 0;
		const char *why = "";
		double t0 = now_sec();
		alarm(10);
		int err = sysv::fetch(
		        server, name.c_str(),
		        [&](const char *, std::size_t n) {
			        bytes += n;
			        return true;
		        },
		        &why);
		alarm(0);
		double t1 = now_sec();
		if (!window.counts(t0, t1))
			continue;
		bool ok = err == 0 && bytes == o.small_size;
		s.add(ok, t0, t1);
		if (!ok && s.first_error.empty())
			s.first_error = err ? std::string(why) + ": " + std::strerror(err) : "short read";
	}
}

} // namespace

nlohmann::json classic_level(const Options &o, const WorkDir &w, int clients)
{
	SysvServer server = start_sysv_server(w, w.top + "/classic-server.err");
	int q = msgget(server.key, 0);
	if (q < 0)
		die(sys_error("classic server queue"));
	ClientProcesses procs(clients, [&](int t, const MeasureWindow &window, ThreadStats &s) {
		run_client(o, w, q, window, t, s);
	});
	MeasureWindow &window = procs.window();
	window.warm_up(o);
	window.measure(o.duration);
	Totals total = add_up(procs.collect());
	stop_sysv_server(server);
	nlohmann::json j = level_summary(total, clients, window.seconds());
	if (!total.first_error.empty())
		j["first_error"] = total.first_error;
	return j;
}

} // namespace fileserver::bench
