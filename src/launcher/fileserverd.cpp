// SPDX-License-Identifier: MIT
// fileserverd: parses the command line, loads the configuration, and runs
// the server under whatever supervises it.

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "build-config.h"
#include "launcher/cmdline.h"
#include "launcher/journal.h"
#include "launcher/logging.h"
#include "launcher/systemd-lifecycle.h"
#include "server/server.h"
#include "util/signal-pipe.h"

using namespace fileserver;

namespace {

nlohmann::json config_to_json(const Config &c)
{
	return {
		{"root", c.root},
		{"queue", c.queue},
		{"workers", c.workers},
		{"backlog", c.backlog},
		{"log_level", c.log_level},
		{"send_timeout_ms", c.send_timeout.count()},
		{"shutdown_timeout_ms", c.shutdown_timeout.count()},
		{"queue_max_messages", c.queue_max_messages},
		{"queue_message_size", c.queue_message_size},
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
		std::fprintf(stderr, "fileserverd: %s\nTry 'fileserverd --help' for more information.\n", e.what());
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

	// The same loader serves start-up and every SIGHUP: file, then command line.
	auto loader = [&opts] {
		return make_config(read_config_file(opts.config_path, !opts.config_path_given), opts.overrides);
	};

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
		std::cout << config_to_json(config).dump(2) << "\n";
		return kExitSuccess;
	}

	try {
		SignalPipe signals({SIGTERM, SIGINT, SIGHUP});
		signal(SIGPIPE, SIG_IGN);
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
