// SPDX-License-Identifier: MIT
#pragma once

// What the --daemonize modes (the forked daemon and its re-executed image)
// share: the state a daemon keeps and hands over, and its serve loop.

#include <memory>
#include <string>

#include "launcher/cmdline.h"
#include "launcher/daemonize.h"
#include "launcher/pidfile.h"
#include "launcher/server-startup.h"
#include "server/server.h"
#include "util/signal-pipe.h"

namespace fileserver {

// What a daemon keeps while it serves, and hands over when it re-executes.
struct Daemon {
	DaemonOptions opts;
	std::string argv0;
	std::string exe; // taken at start-up, before any chroot
	Server::ConfigLoader loader;
	PidFile pidfile;
};

// Tells the launching process that the daemon serves (the first ready()
// only: later ones follow a failed re-exec).
class DaemonLifecycle : public Lifecycle
{
public:
	explicit DaemonLifecycle(StartupReport &report) : report_(report) {}
	void ready() override;

private:
	StartupReport &report_;
};

// The configuration from @loader; throws StartupError (kExitNotConfigured).
Config load_config(const Server::ConfigLoader &loader);

// Serves until SIGTERM or SIGINT; on SIGUSR2, re-executes in place (or, if
// that fails, goes on serving in this image). Signals are unblocked.
// Returns the exit code.
int serve(Daemon &d, std::unique_ptr<Server> server, SignalPipe &signals, Lifecycle &lifecycle);

// Logs a start-up failure and tells the launching process; returns @code.
int startup_failed(StartupReport &report, int code, const std::string &message);

// Runs @start, which sets up and serves; maps what it throws to an exit
// code, logged once and told to the launching process (if it listens).
template<typename Fn>
int report_startup(StartupReport &report, Fn &&start)
{
	try {
		return start();
	} catch (const StartupError &e) {
		return startup_failed(report, e.code(), e.what());
	} catch (const ServerStartError &e) {
		return startup_failed(report, exit_code_for(e.kind()), e.what());
	} catch (const std::exception &e) {
		return startup_failed(report, kExitFailure, e.what());
	}
}

} // namespace fileserver
