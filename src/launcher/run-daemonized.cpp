// SPDX-License-Identifier: MIT
// --daemonize: a SysV daemon, daemon(7)'s steps in order.

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "launcher/daemon-serve.h"
#include "launcher/environment.h"
#include "launcher/logging.h"
#include "launcher/privileges.h"
#include "launcher/reexec-handover.h"
#include "launcher/run-modes.h"
#include "util/errno-util.h"
#include "util/fd-hygiene.h"
#include "util/signal-reset.h"

namespace fileserver {

namespace {

// The daemon, once forked: daemon(7)'s remaining steps, then serve.
int run_daemon(Daemon &d, StartupReport &report)
{
	return report_startup(report, [&] {
		umask(d.opts.umask);
		detach_std_fds();
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
		auto signals = open_signal_pipe({SIGTERM, SIGINT, SIGHUP, SIGUSR2});
		watch_termination_signals();
		unblock_all_signals();
		auto server = std::make_unique<Server>(config, d.loader);
		if (creds) {
			drop_privileges(*creds);
			spdlog::info("Running as user {} (uid {}, gid {})", creds->user, creds->uid,
			             creds->gid);
		}
		DaemonLifecycle lifecycle(report);
		return serve(d, std::move(server), *signals, lifecycle);
	});
}

// daemon(7): nothing inherited but 0-2, default signal handlers, an empty
// signal mask, a clean environment. Throws.
void clean_process_state(DaemonOptions &opts, char **argv)
{
	if (int r = ensure_std_fds(); r < 0)
		throw_errno(-r, "cannot open /dev/null on descriptors 0-2");
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
}

} // namespace

int run_daemonized(DaemonOptions opts, char **argv)
{
	StartupReport report;
	std::optional<LaunchOutcome> launched;
	try {
		clean_process_state(opts, argv);
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

} // namespace fileserver
