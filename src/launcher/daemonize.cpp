// SPDX-License-Identifier: MIT
#include "daemonize.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "util/errno-util.h"
#include "util/time-util.h"

extern char **environ;

namespace fileserver {

namespace {

// The descriptors this process inherited have no owner to close them: this
// is the one place that closes descriptors it does not own.
void close_inherited(int fd)
{
	::close(fd);
}

void close_range_fallback(unsigned lo, unsigned hi)
{
	// Walk what is open rather than every possible number.
	if (DIR *d = opendir("/proc/self/fd")) {
		std::vector<int> open_fds;
		int self = dirfd(d);
		while (struct dirent *e = readdir(d)) {
			int fd = 0;
			auto [p, ec] = std::from_chars(e->d_name, e->d_name + std::strlen(e->d_name), fd);
			if (ec == std::errc() && *p == '\0' && fd != self)
				open_fds.push_back(fd);
		}
		closedir(d);
		for (int fd : open_fds)
			if (static_cast<unsigned>(fd) >= lo && static_cast<unsigned>(fd) <= hi)
				close_inherited(fd);
		return;
	}
	struct rlimit rl;
	unsigned max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = static_cast<unsigned>(std::min<rlim_t>(rl.rlim_cur, 1u << 20));
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close_inherited(static_cast<int>(fd));
}

void close_between(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (close_range(lo, hi, 0) == 0)
		return;
	close_range_fallback(lo, hi);
}

bool kept_variable(std::string_view name)
{
	static const std::string_view kExact[] = {
	        "LANG",
	        "LANGUAGE",
	        "TZ",
	        // Sanitizer builds (tests) read these; other builds ignore them.
	        "ASAN_OPTIONS",
	        "UBSAN_OPTIONS",
	        "TSAN_OPTIONS",
	        "LSAN_OPTIONS",
	};
	if (std::find(std::begin(kExact), std::end(kExact), name) != std::end(kExact))
		return true;
	return name.starts_with("LC_");
}

int sys_pidfd_open(pid_t pid)
{
	return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

int write_all(int fd, std::string_view s)
{
	while (!s.empty()) {
		ssize_t n = write(fd, s.data(), s.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s.remove_prefix(static_cast<std::size_t>(n));
	}
	return 0;
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

std::atomic<bool> g_termination{false};
std::atomic<void (*)(int)> g_chained_handler{nullptr};

void on_termination_signal(int sig)
{
	g_termination.store(true);
	if (auto chained = g_chained_handler.load())
		chained(sig);
}

} // namespace

// -- Before forking ---------------------------------------------------------

void ensure_std_fds()
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		// The lowest free number: @fd itself, as the lower ones are open.
		int n = open("/dev/null", O_RDWR | O_NOCTTY);
		if (n < 0)
			throw_errno(errno, "open /dev/null");
		if (n != fd) {
			UniqueFD extra(n);
			if (dup2(n, fd) < 0)
				throw_errno(errno, "dup2");
		}
	}
}

void close_fds_except(std::span<const int> keep)
{
	std::vector<int> k(keep.begin(), keep.end());
	std::sort(k.begin(), k.end());
	unsigned lo = 3;
	for (int fd : k) {
		if (fd < 3 || static_cast<unsigned>(fd) < lo)
			continue;
		close_between(lo, static_cast<unsigned>(fd) - 1);
		lo = static_cast<unsigned>(fd) + 1;
	}
	close_between(lo, UINT_MAX);
}

void reset_signal_handlers()
{
	struct sigaction sa = {};
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		// glibc keeps a few real-time signals for itself (EINVAL).
		sigaction(sig, &sa, nullptr);
	}
}

sigset_t block_all_signals()
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	return old;
}

void set_signal_mask(const sigset_t &mask)
{
	sigprocmask(SIG_SETMASK, &mask, nullptr);
}

void unblock_all_signals()
{
	sigset_t none;
	sigemptyset(&none);
	set_signal_mask(none);
}

std::vector<std::string> filter_environment(char **envp)
{
	std::vector<std::string> out;
	for (char **e = envp; e && *e; e++) {
		std::string_view var(*e);
		auto eq = var.find('=');
		if (eq == std::string_view::npos || eq == 0)
			continue;
		if (kept_variable(var.substr(0, eq)))
			out.emplace_back(var);
	}
	out.push_back(std::string("PATH=") + kSafePath);
	return out;
}

void sanitize_environment()
{
	std::vector<std::string> keep = filter_environment(environ);
	clearenv();
	for (const auto &var : keep) {
		auto eq = var.find('=');
		setenv(var.substr(0, eq).c_str(), var.c_str() + eq + 1, 1);
	}
}

void reexec_with_clean_environment(char **argv)
{
	std::vector<std::string> clean = filter_environment(environ);
	std::vector<std::string> current;
	for (char **e = environ; e && *e; e++)
		current.emplace_back(*e);
	if (current == clean)
		return;
	std::vector<char *> envp;
	for (auto &s : clean)
		envp.push_back(s.data());
	envp.push_back(nullptr);
	// By path: an image run as /proc/self/exe would be named "exe".
	std::string exe = executable_path();
	execve(exe.empty() ? "/proc/self/exe" : exe.c_str(), argv, envp.data());
}

void fix_process_name(const char *argv0)
{
	char comm[17] = {};
	if (prctl(PR_GET_NAME, comm) < 0 || std::strcmp(comm, "exe") != 0 || !argv0)
		return;
	const char *base = std::strrchr(argv0, '/');
	std::string name = base ? base + 1 : argv0;
	prctl(PR_SET_NAME, name.substr(0, 15).c_str());
}

std::string absolute_path(const std::string &path)
{
	if (path.empty() || path[0] == '/')
		return path;
	char *cwd = getcwd(nullptr, 0);
	if (!cwd)
		throw_errno(errno, "getcwd");
	std::string out(cwd);
	std::free(cwd);
	return out + (out.back() == '/' ? "" : "/") + path;
}

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
			if (line == "ready") {
				reap();
				return {kExitSuccess, ""};
			}
			if (line.starts_with("pid ")) {
				daemon_pid = std::atoi(line.c_str() + 4);
				// A handle that cannot hit a recycled PID, for the timeout.
				if (daemon_pid > 0)
					pidfd.reset(sys_pidfd_open(daemon_pid));
			}
		}

		std::uint64_t now = monotonic_usec();
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

void redirect_std_fds_to_devnull()
{
	// 0-2 are open (ensure_std_fds()), so this one is above them.
	UniqueFD null(open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (!null)
		throw StartupError(kExitFailure, "cannot open /dev/null: " + errno_string(errno));
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(null.get(), fd) < 0)
			throw StartupError(kExitFailure, "cannot redirect descriptor " + std::to_string(fd) +
			                                         " to /dev/null: " + errno_string(errno));
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

void DaemonLifecycle::ready()
{
	if (report_.active())
		report_.ready();
}

// -- Re-executing in place --------------------------------------------------

void watch_termination_signals()
{
	for (int sig : {SIGTERM, SIGINT}) {
		struct sigaction sa;
		if (sigaction(sig, nullptr, &sa) < 0 || (sa.sa_flags & SA_SIGINFO))
			continue;
		auto h = sa.sa_handler;
		if (h == SIG_DFL || h == SIG_IGN || h == on_termination_signal)
			continue;
		g_chained_handler.store(sa.sa_handler);
		sa.sa_handler = on_termination_signal;
		sigaction(sig, &sa, nullptr);
	}
}

bool termination_requested()
{
	return g_termination.load();
}

std::string executable_path()
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return {};
	std::string path(buf, static_cast<std::size_t>(n));
	constexpr std::string_view kDeleted = " (deleted)";
	if (path.ends_with(kDeleted))
		path.resize(path.size() - kDeleted.size());
	return path;
}

int set_cloexec(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -errno;
	flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, flags) < 0 ? -errno : 0;
}

int take_fd_from_env(const char *name)
{
	const char *v = std::getenv(name);
	if (!v)
		return -1;
	std::string text(v);
	unsetenv(name);
	int fd = -1;
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
	if (ec != std::errc() || p != text.data() + text.size() || fd < 3 || fcntl(fd, F_GETFD) < 0)
		throw StartupError(kExitFailure,
		                   std::string(name) + "=" + text + " names no open descriptor");
	return fd;
}

int reexec(const std::string &exe, const std::vector<std::string> &args,
           const std::vector<std::string> &extra_env, std::span<const int> keep_fds)
{
	std::vector<std::string> env;
	for (char **e = environ; e && *e; e++) {
		std::string_view var(*e);
		bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string &x) {
			std::string_view name = std::string_view(x).substr(0, x.find('=') + 1);
			return var.starts_with(name);
		});
		if (!replaced)
			env.emplace_back(var);
	}
	env.insert(env.end(), extra_env.begin(), extra_env.end());
	std::vector<char *> envp, argv;
	for (auto &s : env)
		envp.push_back(s.data());
	envp.push_back(nullptr);
	std::vector<std::string> a = args;
	for (auto &s : a)
		argv.push_back(s.data());
	argv.push_back(nullptr);

	int err = 0;
	for (int fd : keep_fds)
		if (int r = set_cloexec(fd, false); r < 0 && !err)
			err = r;
	if (!err) {
		execve(exe.c_str(), argv.data(), envp.data());
		err = -errno;
		if (err == -ENOENT) {
			execve("/proc/self/exe", argv.data(), envp.data());
			err = -errno;
		}
	}
	for (int fd : keep_fds)
		set_cloexec(fd, true);
	return err;
}

} // namespace fileserver
