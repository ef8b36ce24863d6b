// SPDX-License-Identifier: MIT
#include "daemon.h"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fail.h"
#include "notify-socket.h"
#include "options.h"
#include "proc-stats.h"
#include "process-run.h"
#include "text-file.h"
#include "util/random.h"
#include "work-dir.h"

extern char **environ;

namespace fileserver::bench {

namespace {

std::string new_queue_name()
{
	char name[64];
	std::snprintf(name, sizeof(name), "/fsbench-%d-%08llx", getpid(),
	              static_cast<unsigned long long>(random_u64() & 0xffffffffULL));
	return name;
}

void write_config(const Options &o, const WorkDir &w, const std::string &queue,
                  const nlohmann::json &settings)
{
	nlohmann::json c = {{"root", w.root}, {"queue", queue}, {"log_level", o.log_level}};
	if (o.workers > 0)
		c["workers"] = o.workers;
	c.update(settings);
	write_text(w.config, c.dump(2) + "\n");
}

// This environment without what a supervisor may have set for us.
std::vector<std::string> daemon_environment(const WorkDir &w)
{
	std::vector<std::string> env;
	for (char **e = environ; *e; e++)
		if (!std::string_view(*e).starts_with("NOTIFY_SOCKET=") &&
		    !std::string_view(*e).starts_with("LISTEN_") &&
		    !std::string_view(*e).starts_with("WATCHDOG_"))
			env.emplace_back(*e);
	env.push_back("NOTIFY_SOCKET=" + w.notify_path);
	return env;
}

std::vector<char *> c_strings(std::vector<std::string> &strings)
{
	std::vector<char *> out;
	for (auto &s : strings)
		out.push_back(s.data());
	out.push_back(nullptr);
	return out;
}

} // namespace

Daemon start_daemon(const Options &o, const WorkDir &w, NotifySocket &notify, const nlohmann::json &settings)
{
	Daemon d;
	d.queue = new_queue_name();
	write_config(o, w, d.queue, settings);
	std::vector<std::string> args{o.fileserverd, "--config", w.config};
	std::vector<std::string> env = daemon_environment(w);
	std::vector<char *> argv = c_strings(args), envp = c_strings(env);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, w.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	notify.flush();
	double t0 = now_sec();
	int r = posix_spawn(&d.pid, o.fileserverd.c_str(), &fa, nullptr, argv.data(), envp.data());
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		die(sys_error("spawn " + o.fileserverd, r));
	g_leftovers.daemon.store(d.pid);
	if (g_leftovers.child_daemon)
		g_leftovers.child_daemon->store(d.pid);
	std::snprintf(g_leftovers.queue, sizeof(g_leftovers.queue), "%s", d.queue.c_str());
	auto ready = notify.wait_for("READY=1", d.pid, 30);
	if (!ready)
		die("fileserverd did not report READY=1; its log:\n" + read_text(w.log_path));
	d.ready_sec = *ready - t0;
	return d;
}

bool daemon_accepts(const Options &o, const WorkDir &w, const std::string &key, const nlohmann::json &value)
{
	std::string config = w.top + "/check-" + key + ".json";
	write_text(config, nlohmann::json{{"root", w.root}, {key, value}}.dump() + "\n");
	int status = run_process({o.fileserverd, "--check-config", "--config", config}, "", "/dev/null");
	std::remove(config.c_str());
	return status == 0;
}

int stop_daemon(Daemon &d)
{
	if (d.pid <= 0)
		return 0;
	kill(d.pid, SIGTERM);
	int status = 0;
	double deadline = now_sec() + 30;
	while (waitpid(d.pid, &status, WNOHANG) == 0) {
		if (now_sec() > deadline) {
			std::fprintf(stderr,
			             "fileserver-bench: fileserverd ignored SIGTERM for 30 s; killing it\n");
			kill(d.pid, SIGKILL);
			waitpid(d.pid, &status, 0);
			break;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	d.pid = -1;
	g_leftovers.daemon.store(-1);
	if (g_leftovers.child_daemon)
		g_leftovers.child_daemon->store(-1);
	mq_unlink(d.queue.c_str()); // fileserverd leaves its queue behind by design
	g_leftovers.queue[0] = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace fileserver::bench
