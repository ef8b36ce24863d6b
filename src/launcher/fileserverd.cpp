// SPDX-License-Identifier: MIT
// fileserverd: parses the command line, loads the configuration, and runs
// the server under whatever supervises it: systemd (or a terminal) in the
// foreground, or nothing at all with --daemonize, a SysV daemon.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "build-config.h"
#include "launcher/cmdline.h"
#include "launcher/daemonize.h"
#include "launcher/journal.h"
#include "launcher/logging.h"
#include "launcher/pidfile.h"
#include "launcher/privileges.h"
#include "launcher/systemd-lifecycle.h"
#include "server/server.h"
#include "util/errno-util.h"
#include "util/signal-pipe.h"

using namespace fileserver;

namespace {

// The same loader serves start-up and every SIGHUP: file, then command line.
Server::ConfigLoader make_loader(const DaemonOptions &opts)
{
	return [path = opts.config_path, missing_ok = !opts.config_path_given, overrides = opts.overrides] {
		return make_config(read_config_file(path, missing_ok), overrides);
	};
}

// A queue passed by systemd socket activation (ListenMessageQueue=), if any.
MessageQueue inherited_queue(const std::string &name)
{
	int n = sd_listen_fds(1);
	if (n <= 0)
		return {};
	if (n > 1 || sd_is_mq(SD_LISTEN_FDS_START, nullptr) <= 0)
		throw StartupError(kExitFailure, "socket activation passed " + std::to_string(n) +
		                                         " descriptor(s); expected one message queue");
	if (sd_is_mq(SD_LISTEN_FDS_START, name.c_str()) <= 0)
		spdlog::warn("The queue passed by systemd is not {}; serving on it anyway", name);
	MessageQueue q(SD_LISTEN_FDS_START);
	check_server_queue(q, name, true);
	spdlog::info("Using the queue passed by systemd (socket activation)");
	return q;
}

// Under systemd, or in a terminal.
int run_foreground(const DaemonOptions &opts)
{
	auto loader = make_loader(opts);
	Config config;
	try {
		config = loader();
		if (opts.check_config)
			open_root(config.root);
	} catch (const std::exception &e) {
		spdlog::critical("Configuration error: {}", e.what());
		SystemdLifecycle::failed(EINVAL, e.what());
		return kExitNotConfigured;
	}
	set_log_level(config.log_level);
	if (opts.check_config) {
		std::cout << config_json(config).dump(2) << "\n";
		return kExitSuccess;
	}

	try {
		SignalPipe signals({SIGTERM, SIGINT, SIGHUP});
		signal(SIGPIPE, SIG_IGN);
		// Re-executing in place is for --daemonize; a supervisor restarts.
		signal(SIGUSR2, SIG_IGN);
		Server server(config, loader, inherited_queue(config.queue));
		SystemdLifecycle lifecycle;
		return server.run(signals, lifecycle);
	} catch (const StartupError &e) {
		spdlog::critical("{}", e.what());
		SystemdLifecycle::failed(0, e.what());
		return e.code();
	} catch (const std::exception &e) {
		spdlog::critical("Fatal: {}", e.what());
		SystemdLifecycle::failed(0, e.what());
		return kExitFailure;
	}
}

// -- --daemonize ------------------------------------------------------------

Config load_config(const Server::ConfigLoader &loader)
{
	try {
		return loader();
	} catch (const std::exception &e) {
		throw StartupError(kExitNotConfigured, std::string("configuration error: ") + e.what());
	}
}

// What a daemon keeps while it serves, and hands over when it re-executes.
struct Daemon {
	DaemonOptions opts;
	std::string argv0;
	std::string exe; // taken at start-up, before any chroot
	Server::ConfigLoader loader;
	PidFile pidfile;
};

// Re-executes the binary in place, keeping the PID, the queue and the PID
// file with its lock; returns why it could not.
std::string reexec_in_place(Daemon &d, const MessageQueue &queue, const Config &running)
{
	if (!d.opts.chroot_dir.empty())
		return "not supported with --chroot (the binary and its libraries are outside of it)";
	if (d.exe.empty())
		return "the path of the executable is unknown";
	DaemonOptions next = d.opts;
	next.reexec = true;
	std::vector<std::string> args{d.argv0};
	for (auto &a : daemon_cmdline_args(next))
		args.push_back(std::move(a));
	std::vector<std::string> env{
	        std::string(kReexecQueueFdVar) + "=" + std::to_string(queue.get()),
	        std::string(kReexecConfigVar) + "=" + config_json(running).dump(),
	};
	std::vector<int> keep{queue.get()};
	if (d.pidfile.valid()) {
		env.push_back(std::string(kReexecPidfileFdVar) + "=" + std::to_string(d.pidfile.fd()));
		keep.push_back(d.pidfile.fd());
	}
	spdlog::info("Re-executing {} in place (pid {})", d.exe, getpid());
	int r = reexec(d.exe, args, env, keep);
	return "execve " + d.exe + ": " + errno_string(r);
}

// Serves until SIGTERM or SIGINT; on SIGUSR2, re-executes in place (or, if
// that fails, goes on serving in this image). Signals are unblocked.
int serve(Daemon &d, std::unique_ptr<Server> server, SignalPipe &signals, Lifecycle &lifecycle)
{
	for (;;) {
		int code = server->run(signals, lifecycle);
		if (!server->reexec_requested()) {
			d.pidfile.remove();
			return code;
		}
		// From now on signals stay pending, across execve() for the next
		// image (which unblocks them once it handles them), or for this
		// one if the exec fails. Those that came just before go back to
		// pending too.
		block_all_signals();
		if (termination_requested()) {
			spdlog::info("Shutting down instead of re-executing: SIGTERM or SIGINT came too");
			d.pidfile.remove();
			return code;
		}
		while (int sig = signals.next())
			kill(getpid(), sig);
		Config running = server->context()->config;
		MessageQueue queue(server->release_queue());
		server.reset();
		std::string why = reexec_in_place(d, queue, running);
		spdlog::error("Cannot re-execute: {}; serving on in this process", why);
		server = std::make_unique<Server>(running, d.loader, std::move(queue));
		unblock_all_signals();
	}
}

// Logs a start-up failure and tells the launching process (if it listens).
int startup_failed(StartupReport &report, int code, const std::string &message)
{
	spdlog::critical("{}", message);
	report.failed(code, message);
	return code;
}

// The daemon, once forked: daemon(7)'s remaining steps, then serve.
int run_daemon(Daemon &d, StartupReport &report)
{
	try {
		umask(d.opts.umask);
		redirect_std_fds_to_devnull();
		if (!d.opts.pidfile.empty()) {
			d.pidfile = PidFile::acquire(d.opts.pidfile);
			if (d.pidfile.stale_pid())
				spdlog::info("Took over the stale PID file {} (left by pid {})",
				             d.opts.pidfile, d.pidfile.stale_pid());
		}
		// What is outside of a chroot must be looked up before entering it.
		std::optional<Credentials> creds;
		if (!d.opts.user.empty())
			creds = resolve_credentials(d.opts.user, d.opts.group);
		d.exe = executable_path();
		tzset();
		enter_root_directory(d.opts.chroot_dir);

		Config config = load_config(d.loader);
		set_log_level(config.log_level);
		SignalPipe signals({SIGTERM, SIGINT, SIGHUP, SIGUSR2});
		watch_termination_signals();
		unblock_all_signals();
		auto server = std::make_unique<Server>(config, d.loader);
		if (creds) {
			drop_privileges(*creds);
			spdlog::info("Running as user {} (uid {}, gid {})", creds->user, creds->uid,
			             creds->gid);
		}
		DaemonLifecycle lifecycle(report);
		return serve(d, std::move(server), signals, lifecycle);
	} catch (const StartupError &e) {
		return startup_failed(report, e.code(), e.what());
	} catch (const std::exception &e) {
		return startup_failed(report, kExitFailure, e.what());
	}
}

int run_daemonized(DaemonOptions opts, char **argv)
{
	try {
		// daemon(7): nothing inherited but 0-2, default signal handlers, an
		// empty signal mask, a clean environment.
		ensure_std_fds();
		close_fds_except();
		reset_signal_handlers();
		unblock_all_signals();
		reexec_with_clean_environment(argv);
		fix_process_name(argv[0]);
		sanitize_environment();
		// Paths given relative to where we were started, before chdir("/").
		// Under --chroot, the configuration file is inside it.
		opts.config_path = opts.chroot_dir.empty() || opts.config_path.starts_with("/")
		                           ? absolute_path(opts.config_path)
		                           : "/" + opts.config_path;
		opts.pidfile = absolute_path(opts.pidfile);
		opts.chroot_dir = absolute_path(opts.chroot_dir);
	} catch (const std::exception &e) {
		std::fprintf(stderr, "fileserverd: %s\n", e.what());
		return kExitFailure;
	}

	StartupReport report;
	std::optional<LaunchOutcome> launched;
	try {
		launched = daemonize(report, std::chrono::seconds(opts.startup_timeout_sec));
	} catch (const std::exception &e) {
		std::fprintf(stderr, "fileserverd: %s\n", e.what());
		return kExitFailure;
	}
	if (launched) {
		// The launching process: the daemon serves, or here is why not.
		if (launched->exit_code != kExitSuccess && launched->message.empty())
			launched->message = "the daemon failed to start (exit status " +
			                    std::to_string(launched->exit_code) + "); see the system log";
		if (launched->exit_code != kExitSuccess)
			std::fprintf(stderr, "fileserverd: %s\n", launched->message.c_str());
		return launched->exit_code;
	}

	setup_syslog_logging();
	Daemon d{opts, argv[0], {}, make_loader(opts), {}};
	return run_daemon(d, report);
}

// A daemon's image after SIGUSR2: adopts the queue and the PID file instead
// of forking and opening them.
int run_reexecuted(DaemonOptions opts, const char *argv0)
{
	fix_process_name(argv0);
	Daemon d{opts, argv0, executable_path(), make_loader(opts), {}};
	StartupReport none;
	// Everything but what was handed over goes first, so that the syslog
	// socket opened next stays; errors wait until it is there.
	int queue_fd = -1, pidfile_fd = -1;
	std::string handover_error;
	try {
		queue_fd = take_fd_from_env(kReexecQueueFdVar);
		pidfile_fd = take_fd_from_env(kReexecPidfileFdVar);
	} catch (const std::exception &e) {
		handover_error = e.what();
	}
	std::vector<int> keep{queue_fd, pidfile_fd};
	close_fds_except(keep);
	setup_syslog_logging();
	try {
		if (!handover_error.empty())
			throw StartupError(kExitFailure, handover_error);
		if (queue_fd < 0)
			throw StartupError(kExitUsage,
			                   "--internal-reexec is only for a daemon re-executing itself");
		const char *passed = std::getenv(kReexecConfigVar);
		std::string running_json = passed ? passed : "";
		unsetenv(kReexecConfigVar);
		// Handlers are gone with the old image; the mask stays, with what
		// arrived during the switch pending until we handle it.
		reset_signal_handlers();
		signal(SIGPIPE, SIG_IGN);

		MessageQueue queue(queue_fd);
		if (int r = set_cloexec(queue_fd, true); r < 0)
			throw StartupError(kExitFailure, "inherited queue descriptor: " + errno_string(r));
		struct mq_attr attr;
		if (int r = queue.attributes(attr); r < 0) {
			std::string what = "inherited queue descriptor " + std::to_string(queue_fd);
			throw StartupError(kExitFailure, what + ": " + errno_string(r));
		}
		if (!(attr.mq_flags & O_NONBLOCK)) {
			attr.mq_flags |= O_NONBLOCK;
			mq_setattr(queue.get(), &attr, nullptr);
		}
		if (pidfile_fd >= 0)
			d.pidfile = PidFile::adopt(opts.pidfile, pidfile_fd);
		else if (!opts.pidfile.empty())
			spdlog::warn("No PID file descriptor was handed over: {} is not held", opts.pidfile);

		// An upgrade may bring a new configuration; a configuration that
		// no longer loads must not take a running server down.
		std::optional<Config> running;
		if (!running_json.empty())
			running = make_config(nlohmann::json::parse(running_json), nullptr);
		Config config;
		try {
			config = load_config(d.loader);
		} catch (const StartupError &e) {
			if (!running)
				throw;
			spdlog::error("After re-executing: {}; keeping the running configuration", e.what());
			config = *running;
		}
		if (running && config.queue != running->queue)
			spdlog::warn("The queue changes only after a restart: serving {} still",
			             running->queue);
		if (running) {
			config.queue = running->queue;
			config.queue_max_messages = running->queue_max_messages;
			config.queue_message_size = running->queue_message_size;
		}
		set_log_level(config.log_level);
		SignalPipe signals({SIGTERM, SIGINT, SIGHUP, SIGUSR2});
		watch_termination_signals();
		unblock_all_signals();
		auto server = std::make_unique<Server>(config, d.loader, std::move(queue));
		spdlog::info("Re-executed in place (pid {}), serving on the same queue", getpid());
		DaemonLifecycle lifecycle(none);
		return serve(d, std::move(server), signals, lifecycle);
	} catch (const StartupError &e) {
		return startup_failed(none, e.code(), e.what());
	} catch (const std::exception &e) {
		return startup_failed(none, kExitFailure, e.what());
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (stderr_is_journal())
		setup_journal_logging();
	else
		setup_console_logging();

	DaemonOptions opts;
	try {
		opts = parse_daemon_cmdline(argc, argv);
	} catch (const UsageError &e) {
		std::fprintf(stderr, "fileserverd: %s\nTry 'fileserverd --help' for more information.\n",
		             e.what());
		return kExitUsage;
	}
	if (opts.show_help) {
		std::fputs(kDaemonUsage, stdout);
		return kExitSuccess;
	}
	if (opts.show_version) {
		std::puts("fileserverd " FILESERVER_VERSION);
		return kExitSuccess;
	}
	if (opts.reexec)
		return run_reexecuted(opts, argv[0]);
	if (opts.daemonize && !opts.check_config)
		return run_daemonized(opts, argv);
	return run_foreground(opts);
}
