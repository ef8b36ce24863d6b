// SPDX-License-Identifier: MIT
#include "daemonize.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "util/errno-util.h"
#include "util/fd-hygiene.h"
#include "util/io.h"
#include "util/signal-reset.h"
#include "util/time-util.h"

namespace fileserver {

namespace {

int sys_pidfd_open(pid_t pid)
{
	return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

std::string describe_status(int status)
{
	if (WIFEXITED(status))
		return "exit status " + std::to_string(WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		return name ? std::string("signal SIG") + name : "signal " + std::to_string(WTERMSIG(status));
	}
	return "status " + std::to_string(status);
}

} // namespace

// -- Forking ----------------------------------------------------------------

pid_t fork_retrying(pid_t (*fork_fn)(), int attempts, std::chrono::milliseconds pause)
{
	int err = 0;
	for (int i = 0; i < attempts; i++) {
		if (i > 0)
			std::this_thread::sleep_for(pause);
		pid_t pid = fork_fn();
		if (pid >= 0)
			return pid;
		err = errno;
		if (err != EAGAIN && err != ENOMEM)
			throw_errno(err, "cannot fork");
	}
	throw_errno(err, "cannot fork (" + std::to_string(attempts) + " attempts)");
}

void StartupReport::send(const std::string &record)
{
	if (fd_) {
		[[maybe_unused]] int r = write_all(fd_.get(), record);
	}
}

void StartupReport::started()
{
	send("pid " + std::to_string(getpid()) + "\n");
}

void StartupReport::ready()
{
	send("ready\n");
	fd_.reset();
}

void StartupReport::failed(int exit_code, const std::string &message)
{
	send("error " + std::to_string(exit_code) + "\n" + message);
	fd_.reset();
}

LaunchOutcome wait_for_daemon(UniqueFD status, pid_t child, std::chrono::seconds timeout)
{
	std::uint64_t deadline = monotonic_usec() + static_cast<std::uint64_t>(timeout.count()) * 1000000u;
	std::string buf;
	pid_t daemon_pid = 0;
	bool ready = false;
	UniqueFD pidfd;
	auto reap = [child] {
		int st = 0;
		while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
		}
		return st;
	};

	for (;;) {
		// Complete records first: "pid N", "ready".
		std::size_t nl;
		while (!buf.starts_with("error ") && (nl = buf.find('\n')) != std::string::npos) {
			std::string line = buf.substr(0, nl);
			buf.erase(0, nl + 1);
			// Ready: wait for the end of the stream too, which comes right
			// after, so that the daemon holds no end of the pipe any more
			// when the launcher exits (daemon(7): fully set up by then).
			if (line == "ready")
				ready = true;
			if (line.starts_with("pid ")) {
				daemon_pid = std::atoi(line.c_str() + 4);
				// A handle that cannot hit a recycled PID, for the timeout.
				if (daemon_pid > 0)
					pidfd.reset(sys_pidfd_open(daemon_pid));
			}
		}

		std::uint64_t now = monotonic_usec();
		if (now >= deadline && ready) {
			reap();
			return {kExitSuccess, ""};
		}
		if (now >= deadline) {
			std::string msg = "the daemon did not finish starting within " +
			                  std::to_string(timeout.count()) + " s";
			if (pidfd && sys_pidfd_send_signal(pidfd.get(), SIGKILL) == 0)
				msg += "; killed it (pid " + std::to_string(daemon_pid) + ")";
			kill(child, SIGKILL); // the intermediate process, if still there
			reap();
			return {kExitFailure, msg};
		}
		struct pollfd p = {status.get(), POLLIN, 0};
		int ms = static_cast<int>(std::min<std::uint64_t>((deadline - now + 999) / 1000, INT_MAX));
		int r = poll(&p, 1, ms);
		if (r < 0 && errno != EINTR)
			throw_errno(errno, "poll");
		if (r <= 0)
			continue;
		char chunk[4096];
		ssize_t n = read(status.get(), chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			buf.append(chunk, static_cast<std::size_t>(n));
			continue;
		}
		// End of stream: every writer exited or gave up.
		int st = reap();
		if (ready)
			return {kExitSuccess, ""};
		if (buf.starts_with("error ")) {
			nl = buf.find('\n');
			int code = std::atoi(buf.c_str() + 6);
			std::string msg = nl == std::string::npos ? std::string() : buf.substr(nl + 1);
			return {code > 0 ? code : kExitFailure, msg};
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			return {kExitFailure,
			        "the intermediate process failed (" + describe_status(st) + ")"};
		std::string who = "the daemon";
		if (daemon_pid)
			who += " (pid " + std::to_string(daemon_pid) + ")";
		return {kExitFailure, who + " exited during start-up without reporting why; "
		                            "see the system log"};
	}
}

std::optional<LaunchOutcome> daemonize(StartupReport &report, std::chrono::seconds timeout)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		throw_errno(errno, "pipe2");
	UniqueFD rd(fds[0]), wr(fds[1]);

	// No signal handler may run in a child before it is ready for it.
	sigset_t old = block_all_signals();
	pid_t child;
	try {
		child = fork_retrying();
	} catch (...) {
		set_signal_mask(old);
		throw;
	}
	if (child > 0) {
		set_signal_mask(old);
		wr.reset();
		return wait_for_daemon(std::move(rd), child, timeout);
	}

	// The intermediate process: leads a new session, without a terminal.
	rd.reset();
	signal(SIGPIPE, SIG_IGN);
	report = StartupReport(std::move(wr));
	try {
		if (setsid() < 0)
			throw_errno(errno, "setsid");
		if (fork_retrying() > 0)
			_exit(kExitSuccess);
	} catch (const std::exception &e) {
		report.failed(kExitFailure, e.what());
		_exit(kExitFailure);
	}

	// The daemon: in that session, but not its leader, so that opening a
	// terminal can never make it its controlling terminal.
	report.started();
	return std::nullopt;
}

// -- In the daemon ----------------------------------------------------------

void detach_std_fds()
{
	if (int r = redirect_std_fds_to_devnull(); r < 0)
		throw StartupError(kExitFailure,
		                   "cannot redirect descriptors 0-2 to /dev/null: " + errno_string(r));
}

void enter_root_directory(const std::string &chroot_dir)
{
	if (!chroot_dir.empty()) {
		auto fail = [&chroot_dir](int err) {
			int code = err == EPERM                        ? kExitPermission
			           : (err == ENOENT || err == ENOTDIR) ? kExitNotConfigured
			                                               : kExitFailure;
			throw StartupError(code, "cannot chroot to " + chroot_dir + ": " + errno_string(err));
		};
		if (chdir(chroot_dir.c_str()) < 0)
			fail(errno);
		if (chroot(".") < 0)
			fail(errno);
	}
	if (chdir("/") < 0)
		throw StartupError(kExitFailure, "cannot chdir to /: " + errno_string(errno));
}

} // namespace fileserver
