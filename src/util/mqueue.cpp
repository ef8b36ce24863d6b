// SPDX-License-Identifier: MIT
#include "mqueue.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "time-util.h"

namespace fileserver {

namespace {

// ThreadSanitizer defers signal handlers to its next intercepted call, and
// a retried system call is none: without one, a client interrupted while
// it waits would run its cleanup handler (SIGINT, SIGTERM) only when the
// wait ends. usleep() is intercepted.
void run_deferred_signal_handlers()
{
#if defined(__SANITIZE_THREAD__)
	usleep(0);
#endif
}

// An empty span may have no data pointer; mq_timedsend's must not be null,
// even for the zero-length messages that queues carry.
const char *bytes_of(std::span<const std::uint8_t> msg)
{
	static const char none = 0;
	return msg.data() ? reinterpret_cast<const char *>(msg.data()) : &none;
}

} // namespace

bool is_valid_queue_name(std::string_view name)
{
	if (name.size() < 2 || name.size() > NAME_MAX + 1 || name[0] != '/')
		return false;
	for (char c : name.substr(1))
		if (c == '/' || c == '\0')
			return false;
	return true;
}

int MessageQueue::open(const std::string &name, int oflag, MessageQueue &out)
{
	if (!is_valid_queue_name(name))
		return -EINVAL;
	mqd_t mqd = mq_open(name.c_str(), oflag | O_CLOEXEC);
	if (mqd == static_cast<mqd_t>(-1))
		return -errno;
	out.reset(mqd);
	return 0;
}

int MessageQueue::reopen(const MessageQueue &q, int oflag, MessageQueue &out)
{
	char path[32];
	std::snprintf(path, sizeof(path), "/proc/self/fd/%d", static_cast<int>(q.get()));
	int fd = ::open(path, oflag | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	out.reset(static_cast<mqd_t>(fd));
	struct mq_attr attr;
	if (int r = out.attributes(attr); r < 0) {
		out.reset();
		return r; // EBADF: not a message queue after all
	}
	return 0;
}

int MessageQueue::create(const std::string &name, int oflag, mode_t mode, long max_messages,
                         long message_size, MessageQueue &out)
{
	if (!is_valid_queue_name(name))
		return -EINVAL;
	struct mq_attr attr = {};
	attr.mq_maxmsg = max_messages;
	attr.mq_msgsize = message_size;
	mqd_t mqd = mq_open(name.c_str(), oflag | O_CREAT | O_EXCL | O_CLOEXEC, mode, &attr);
	if (mqd == static_cast<mqd_t>(-1))
		return -errno;
	MessageQueue q(mqd);
	// The umask applies to mq_open(); set the mode we asked for.
	if (fchmod(mqd, mode) < 0) {
		int err = errno;
		mq_unlink(name.c_str());
		return -err;
	}
	out = std::move(q);
	return 0;
}

void MessageQueue::reset(mqd_t mqd)
{
	mqd_t old = mqd_;
	mqd_ = mqd;
	// On Linux an mqd_t is a descriptor and mq_close() is close(2). close()
	// itself lets ThreadSanitizer see the descriptor go: it does not
	// intercept mq_close, and would take a later reuse of the number (by
	// the raw openat2 syscall, which it does not see either) for a race.
	if (old != static_cast<mqd_t>(-1))
		::close(old);
}

int MessageQueue::attributes(struct mq_attr &attr) const
{
	return mq_getattr(mqd_, &attr) < 0 ? -errno : 0;
}

int MessageQueue::stat(struct stat &st) const
{
	return fstat(mqd_, &st) < 0 ? -errno : 0;
}

int MessageQueue::send(std::span<const std::uint8_t> msg, std::chrono::milliseconds timeout,
                       unsigned priority) const
{
	struct timespec deadline = realtime_deadline(timeout);
	for (;;) {
		if (mq_timedsend(mqd_, bytes_of(msg), msg.size(), priority, &deadline) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		run_deferred_signal_handlers();
	}
}

int MessageQueue::try_send(std::span<const std::uint8_t> msg, unsigned priority) const
{
	// A deadline in the past: no wait, whatever the descriptor's O_NONBLOCK.
	static const struct timespec kPast = {0, 0};
	for (;;) {
		if (mq_timedsend(mqd_, bytes_of(msg), msg.size(), priority, &kPast) == 0)
			return 0;
		if (errno == ETIMEDOUT)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
}

long MessageQueue::receive(std::span<std::uint8_t> buf, std::chrono::milliseconds timeout) const
{
	struct timespec deadline = realtime_deadline(timeout);
	for (;;) {
		ssize_t n = mq_timedreceive(mqd_, reinterpret_cast<char *>(buf.data()), buf.size(), nullptr,
		                            &deadline);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
		run_deferred_signal_handlers();
	}
}

long MessageQueue::try_receive(std::span<std::uint8_t> buf) const
{
	// A deadline in the past makes this non-blocking whatever the
	// descriptor's O_NONBLOCK: a queue passed by systemd may lack it, and
	// its flags are shared with PID 1, so they are not ours to change.
	static const struct timespec kPast = {0, 0};
	for (;;) {
		ssize_t n = mq_timedreceive(mqd_, reinterpret_cast<char *>(buf.data()), buf.size(), nullptr,
		                            &kPast);
		if (n >= 0)
			return n;
		if (errno == ETIMEDOUT)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
}

} // namespace fileserver
