// SPDX-License-Identifier: MIT
#include "cli/interrupt-cleanup.h"

#include <signal.h>

#include "client/signal-cleanup.h"
#include "fileserver/client.h"

namespace fileserver::cli {

namespace {

// Async-signal-safe calls only.
void on_signal(int sig)
{
	fileserver_signal_cleanup();
	cleanup_run();
	signal(sig, SIG_DFL);
	raise(sig);
}

} // namespace

void install_interrupt_cleanup()
{
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
		sigaction(sig, &sa, nullptr);
}

} // namespace fileserver::cli
