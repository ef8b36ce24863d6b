// SPDX-License-Identifier: MIT
#include "reexec-handover.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "launcher/exit-codes.h"
#include "util/fd-hygiene.h"

extern char **environ;

namespace fileserver {

namespace {

std::atomic<bool> g_termination{false};
std::atomic<void (*)(int)> g_chained_handler{nullptr};

void on_termination_signal(int sig)
{
	g_termination.store(true);
	if (auto chained = g_chained_handler.load())
		chained(sig);
}

} // namespace

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
