// SPDX-License-Identifier: MIT
// The foreground mode: under systemd, or in a terminal.

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include "launcher/exit-codes.h"
#include "launcher/logging.h"
#include "launcher/run-modes.h"
#include "launcher/server-startup.h"
#include "launcher/systemd-lifecycle.h"

namespace fileserver {

namespace {

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

// Logs a fatal start-up error once and tells systemd; returns @code.
int startup_failed(int code, const std::string &what)
{
	spdlog::critical("{}", what);
	SystemdLifecycle::failed(0, what);
	return code;
}

} // namespace

int run_foreground(const DaemonOptions &opts)
{
	auto loader = make_loader(opts);
	Config config;
	try {
		config = loader();
	} catch (const std::exception &e) {
		spdlog::critical("Configuration error: {}", e.what());
		SystemdLifecycle::failed(EINVAL, e.what());
		return kExitNotConfigured;
	}
	set_log_level(config.log_level);

	try {
		auto signals = open_signal_pipe({SIGTERM, SIGINT, SIGHUP});
		signal(SIGPIPE, SIG_IGN);
		// Re-executing in place is for --daemonize; a supervisor restarts.
		signal(SIGUSR2, SIG_IGN);
		Server server(config, loader, inherited_queue(config.queue));
		SystemdLifecycle lifecycle;
		return exit_code_after(server.run(*signals, lifecycle));
	} catch (const StartupError &e) {
		return startup_failed(e.code(), e.what());
	} catch (const ServerStartError &e) {
		return startup_failed(exit_code_for(e.kind()), e.what());
	} catch (const std::exception &e) {
		spdlog::critical("Fatal: {}", e.what());
		SystemdLifecycle::failed(0, e.what());
		return kExitFailure;
	}
}

} // namespace fileserver
