// SPDX-License-Identifier: MIT
#pragma once

// Shared by the reply-stream, transfer and request-loop tests: tiny queues
// with unique names (tests share the uid's mqueue budget), removed on exit,
// and a reader of the replies a client would see.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "server/session.h"
#include "util/mqueue.h"
#include "util/pidfd.h"
#include "util/random.h"

namespace fileserver::test {

// A queue created 0600 (or @mode) with 4 messages of @msgsize bytes, unlinked on destruction.
struct TestQueue {
	std::string name;
	MessageQueue mq; // read side

	explicit TestQueue(const char *role, long msgsize = 1024, long depth = 4, mode_t mode = 0600)
	        : name("/fs-h2b-" + std::string(role) + "-" + std::to_string(getpid()) + "-" +
	               std::to_string(random_u64() % 1000000))
	{
		REQUIRE(MessageQueue::create(name, O_RDONLY, mode, depth, msgsize, mq) == 0);
	}
	~TestQueue() { mq_unlink(name.c_str()); }
	TestQueue(const TestQueue &) = delete;
	TestQueue &operator=(const TestQueue &) = delete;

	[[nodiscard]] MessageQueue open_for_writing() const
	{
		MessageQueue w;
		REQUIRE(MessageQueue::open(name, O_WRONLY, w) == 0);
		return w;
	}

	[[nodiscard]] long waiting() const
	{
		struct mq_attr attr;
		REQUIRE(mq.attributes(attr) == 0);
		return attr.mq_curmsgs;
	}
};

// A session on @q as OPEN makes it (not in any table): the reply queue
// opened O_WRONLY | O_NONBLOCK, the client is @pid (this process by default).
inline std::shared_ptr<Session> session_on(const TestQueue &q, pid_t pid = getpid())
{
	auto s = std::make_shared<Session>();
	s->reply_queue = q.name;
	REQUIRE(MessageQueue::open(q.name, O_WRONLY | O_NONBLOCK, s->reply) == 0);
	REQUIRE(s->reply.stat(s->reply_stat) == 0);
	struct mq_attr attr;
	REQUIRE(s->reply.attributes(attr) == 0);
	s->message_size = static_cast<std::size_t>(attr.mq_msgsize);
	s->uid = s->reply_stat.st_uid;
	s->pid = pid;
	int fd = pidfd_open_fd(pid);
	REQUIRE(fd >= 0);
	s->pidfd.reset(fd);
	s->id = random_u64() | 1;
	random_bytes(s->secret);
	return s;
}

// One decoded reply.
struct Reply {
	protocol::ReplyHeader hdr;
	std::vector<std::uint8_t> payload;
};

// Receives one reply, waiting up to a minute (only a hang takes that long).
inline Reply receive_reply(const TestQueue &q)
{
	std::vector<std::uint8_t> buf(64 * 1024);
	long n = q.mq.receive(buf, std::chrono::seconds(60));
	REQUIRE(n >= 0);
	Reply r;
	std::span<const std::uint8_t> payload;
	REQUIRE(protocol::decode_reply(std::span(buf).first(static_cast<std::size_t>(n)), r.hdr, payload) ==
	        protocol::Status::Ok);
	r.payload.assign(payload.begin(), payload.end());
	return r;
}

// Receives replies up to and including END or ERROR.
inline std::vector<Reply> receive_stream(const TestQueue &q)
{
	std::vector<Reply> out;
	for (;;) {
		out.push_back(receive_reply(q));
		auto t = out.back().hdr.type;
		if (t == protocol::ReplyType::End || t == protocol::ReplyType::Error)
			return out;
		REQUIRE(out.size() < 100000);
	}
}

inline protocol::Error error_of(const Reply &r)
{
	REQUIRE(r.hdr.type == protocol::ReplyType::Error);
	protocol::Error e;
	REQUIRE(protocol::decode_error(r.payload, e) == protocol::Status::Ok);
	return e;
}

} // namespace fileserver::test
