// SPDX-License-Identifier: MIT
// --internal-reexec: a daemon's image after SIGUSR2 adopts what the old
// image handed over (reexec-handover.h) instead of forking and opening it.

#include <fcntl.h>
#include <signal.h>

#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "launcher/daemon-serve.h"
#include "launcher/environment.h"
#include "launcher/logging.h"
#include "launcher/reexec-handover.h"
#include "launcher/run-modes.h"
#include "util/errno-util.h"
#include "util/fd-hygiene.h"
#include "util/signal-reset.h"

namespace fileserver {

namespace {

// The inherited server queue, made close-on-exec and non-blocking again.
MessageQueue adopt_queue(int queue_fd)
{
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
	return queue;
}

// An upgrade may bring a new configuration; a configuration that no longer
// loads must not take a running server down. The queue stays as it runs.
Config next_config(const Daemon &d)
{
	const char *passed = std::getenv(kReexecConfigVar);
	std::string running_json = passed ? passed : "";
	unsetenv(kReexecConfigVar);
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
		spdlog::warn("The queue changes only after a restart: serving {} still", running->queue);
	if (running) {
		config.queue = running->queue;
		config.queue_max_messages = running->queue_max_messages;
		config.queue_message_size = running->queue_message_size;
	}
	return config;
}

} // namespace

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
	return report_startup(none, [&] {
		if (!handover_error.empty())
			throw StartupError(kExitFailure, handover_error);
		if (queue_fd < 0)
			throw StartupError(kExitUsage,
			                   "--internal-reexec is only for a daemon re-executing itself");
		// Handlers are gone with the old image; the mask stays, with what
		// arrived during the switch pending until we handle it.
		reset_signal_handlers();
		signal(SIGPIPE, SIG_IGN);

		MessageQueue queue = adopt_queue(queue_fd);
		if (pidfile_fd >= 0)
			d.pidfile = PidFile::adopt(opts.pidfile, pidfile_fd);
		else if (!opts.pidfile.empty())
			spdlog::warn("No PID file descriptor was handed over: {} is not held", opts.pidfile);

		Config config = next_config(d);
		set_log_level(config.log_level);
		auto signals = open_signal_pipe({SIGTERM, SIGINT, SIGHUP, SIGUSR2});
		watch_termination_signals();
		unblock_all_signals();
		auto server = std::make_unique<Server>(config, d.loader, std::move(queue));
		spdlog::info("Re-executed in place (pid {}), serving on the same queue", getpid());
		DaemonLifecycle lifecycle(none);
		return serve(d, std::move(server), *signals, lifecycle);
	});
}

} // namespace fileserver
