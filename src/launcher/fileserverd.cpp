// SPDX-License-Identifier: MIT
// fileserverd: parses the command line and picks the run mode (run-modes.h):
// under systemd or a terminal in the foreground, --check-config, or a SysV
// daemon with --daemonize (and its re-executed image after SIGUSR2).

#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "build-config.h"
#include "launcher/cmdline.h"
#include "launcher/exit-codes.h"
#include "launcher/journal.h"
#include "launcher/logging.h"
#include "launcher/run-modes.h"

using namespace fileserver;

namespace {

// Each session holds two descriptors (reply queue, pidfd): take every
// descriptor the hard limit allows (the unit sets LimitNOFILE=).
void raise_fd_limit()
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		spdlog::warn("Cannot raise the open file limit from {} to {}: {}", old, rl.rlim_max,
		             std::strerror(errno));
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
	raise_fd_limit();
	if (opts.reexec)
		return run_reexecuted(opts, argv[0]);
	if (opts.check_config)
		return run_check_config(opts);
	if (opts.daemonize)
		return run_daemonized(opts, argv);
	return run_foreground(opts);
}
