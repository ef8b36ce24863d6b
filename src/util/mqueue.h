// SPDX-License-Identifier: MIT
#pragma once

#include <mqueue.h>
#include <sys/stat.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fileserver {

// True for a name that mq_open() accepts as a portable queue name:
// a leading '/', 1..NAME_MAX further characters, no other '/', no NUL.
bool is_valid_queue_name(std::string_view name);

// Move-only owner of a POSIX message queue descriptor. Every call returns
// 0 (or a byte count) on success and -errno on failure: these run on the
// hot path and the caller decides how to report.
class MessageQueue
{
public:
	MessageQueue() = default;
	explicit MessageQueue(mqd_t mqd) : mqd_(mqd) {}
	MessageQueue(MessageQueue &&other) noexcept : mqd_(other.release()) {}
	MessageQueue &operator=(MessageQueue &&other) noexcept
	{
		reset(other.release());
		return *this;
	}
	MessageQueue(const MessageQueue &) = delete;
	MessageQueue &operator=(const MessageQueue &) = delete;
	~MessageQueue() { reset(); }

	// Opens an existing queue.
	static int open(const std::string &name, int oflag, MessageQueue &out);
	// Creates a new queue (O_CREAT|O_EXCL) with exactly @mode, whatever the umask.
	static int create(const std::string &name, int oflag, mode_t mode, long max_messages,
	                  long message_size, MessageQueue &out);
	// Opens @q's queue once more, as a new open file description with
	// @oflag of its own (through /proc/self/fd: the very queue, whatever its
	// name now names), subject to the queue's permission bits.
	static int reopen(const MessageQueue &q, int oflag, MessageQueue &out);

	[[nodiscard]] mqd_t get() const { return mqd_; }
	[[nodiscard]] bool valid() const { return mqd_ != static_cast<mqd_t>(-1); }
	[[nodiscard]] mqd_t release()
	{
		mqd_t m = mqd_;
		mqd_ = static_cast<mqd_t>(-1);
		return m;
	}
	void reset(mqd_t mqd = static_cast<mqd_t>(-1));

	int attributes(struct mq_attr &attr) const;
	int stat(struct stat &st) const;

	// Sends with a deadline; -ETIMEDOUT when the queue stays full.
	int send(std::span<const std::uint8_t> msg, std::chrono::milliseconds timeout,
	         unsigned priority = 0) const;
	// Sends without waiting, on any descriptor: -EAGAIN when full.
	int try_send(std::span<const std::uint8_t> msg, unsigned priority = 0) const;
	// Receives into @buf (at least mq_msgsize bytes); returns the length or -errno.
	long receive(std::span<std::uint8_t> buf, std::chrono::milliseconds timeout) const;
	// Receives without waiting, on any descriptor: -EAGAIN when empty.
	long try_receive(std::span<std::uint8_t> buf) const;

private:
	mqd_t mqd_ = static_cast<mqd_t>(-1);
};

} // namespace fileserver
