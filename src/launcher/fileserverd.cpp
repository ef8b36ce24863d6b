// SPDX-License-Identifier: MIT
// fileserverd: parses the command line and picks the run mode (run-modes.h):
// under systemd or a terminal in the foreground, --check-config, or a SysV
// daemon with --daemonize (and its re-executed image after SIGUSR2).

#include <cstdio>

#include "build-config.h"
#include "launcher/cmdline.h"
#include "launcher/exit-codes.h"
#include "launcher/journal.h"
#include "launcher/logging.h"
#include "launcher/run-modes.h"

using namespace fileserver;

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
	if (opts.check_config)
		return run_check_config(opts);
	if (opts.daemonize)
		return run_daemonized(opts, argv);
	return run_foreground(opts);
}
