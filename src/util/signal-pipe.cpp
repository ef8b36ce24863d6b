// SPDX-License-Identifier: MIT
#include "signal-pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace fileserver {

namespace {

std::atomic<int> g_write_fd{-1};

void on_signal(int sig)
{
	int saved = errno;
	int fd = g_write_fd.load(std::memory_order_relaxed);
	if (fd >= 0) {
		unsigned char b = static_cast<unsigned char>(sig);
		// A full pipe already holds enough wake-ups.
		[[maybe_unused]] ssize_t n = write(fd, &b, 1);
	}
	errno = saved;
}

} // namespace

int SignalPipe::create(std::initializer_list<int> signals, std::unique_ptr<SignalPipe> &out)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	std::unique_ptr<SignalPipe> p(new SignalPipe);
	p->read_end_.reset(fds[0]);
	p->write_end_.reset(fds[1]);
	g_write_fd.store(fds[1]);

	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int sig : signals)
		if (sigaction(sig, &sa, nullptr) < 0)
			return -errno; // @p goes, and with it g_write_fd
	out = std::move(p);
	return 0;
}

SignalPipe::~SignalPipe()
{
	g_write_fd.store(-1);
}

int SignalPipe::next()
{
	unsigned char b;
	ssize_t n = read(read_end_.get(), &b, 1);
	return n == 1 ? b : 0;
}

} // namespace fileserver
