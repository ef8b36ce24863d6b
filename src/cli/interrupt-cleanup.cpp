// SPDX-License-Identifier: MIT
#include "cli/interrupt-cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "client/signal-cleanup.h"

namespace fileserver::cli {

namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
struct sigaction g_previous[NSIG];

// Everything below runs in a signal handler: system calls and plain loops
// only (no malloc, no stdio).
bool starts_with(const char *s, const char *prefix, const char **rest)
{
	std::size_t n = std::strlen(prefix);
	if (std::strncmp(s, prefix, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

void remove_own_queues()
{
	int fd = open("/dev/mqueue", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	int pid = getpid();
	alignas(dirent64) char buf[4096];
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			auto *d = reinterpret_cast<struct dirent64 *>(buf + off);
			off += d->d_reclen;
			char path[NAME_MAX + 2] = "/";
			if (!is_reply_queue_of(d->d_name, pid) || std::strlen(d->d_name) > NAME_MAX)
				continue;
			std::strcpy(path + 1, d->d_name);
			mq_unlink(path);
		}
	}
	close(fd);
}

void on_signal(int sig, siginfo_t *info, void *ctx)
{
	int saved = errno;
	remove_own_queues();
	errno = saved;
	const struct sigaction &prev = g_previous[sig];
	if (prev.sa_flags & SA_SIGINFO) {
		if (prev.sa_sigaction)
			prev.sa_sigaction(sig, info, ctx);
	} else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
		prev.sa_handler(sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

} // namespace

bool is_reply_queue_of(const char *name, int pid)
{
	const char *rest = nullptr;
	if (!starts_with(name, "fileserver-client-", &rest) && !starts_with(name, "fileserverctl-", &rest))
		return false;
	// The decimal pid, then '-'.
	char digits[16];
	int len = 0;
	for (unsigned v = static_cast<unsigned>(pid); len == 0 || v > 0; v /= 10)
		digits[len++] = static_cast<char>('0' + v % 10);
	for (int i = len - 1; i >= 0; i--, rest++)
		if (*rest != digits[i])
			return false;
	return *rest == '-';
}

void install_interrupt_cleanup()
{
	// client/signal-cleanup's handlers first (temporary files); ours run
	// before them and pass the signal on.
	install_cleanup_handlers();
	struct sigaction sa = {};
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (int sig : kSignals)
		sigaction(sig, &sa, &g_previous[sig]);
}

} // namespace fileserver::cli
