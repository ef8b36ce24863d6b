// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "util/mqueue.h"
#include "util/random.h"

using namespace fileserver;
using namespace std::chrono_literals;

namespace {

// A unique queue name, unlinked however the test ends. Tiny queues (4 x 128
// bytes): tests share the uid's RLIMIT_MSGQUEUE with everything else.
struct TestQueueName {
	std::string name =
	        "/fstest-mq-" + std::to_string(getpid()) + "-" + std::to_string(random_u64() % 1000000);
	~TestQueueName() { mq_unlink(name.c_str()); }
};

std::span<const std::uint8_t> bytes(const std::string &s)
{
	return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

} // namespace

TEST_CASE("is_valid_queue_name")
{
	CHECK(is_valid_queue_name("/fileserver"));
	CHECK_FALSE(is_valid_queue_name("fileserver"));
	CHECK_FALSE(is_valid_queue_name("/"));
	CHECK_FALSE(is_valid_queue_name("/a/b"));
	CHECK_FALSE(is_valid_queue_name(std::string("/a\0b", 4)));
}

TEST_CASE("MessageQueue: create, send, receive, owner and mode")
{
	TestQueueName n;
	MessageQueue q;
	REQUIRE(MessageQueue::create(n.name, O_RDWR, 0622, 4, 128, q) == 0);
	REQUIRE(q.valid());

	struct stat st;
	REQUIRE(q.stat(st) == 0);
	CHECK(st.st_uid == geteuid());
	CHECK((st.st_mode & 07777) == 0622); // whatever the umask

	struct mq_attr attr;
	REQUIRE(q.attributes(attr) == 0);
	CHECK(attr.mq_maxmsg == 4);
	CHECK(attr.mq_msgsize == 128);

	// A second create of the same name fails; open finds it.
	MessageQueue again;
	CHECK(MessageQueue::create(n.name, O_RDWR, 0622, 4, 128, again) == -EEXIST);
	CHECK_FALSE(again.valid());
	MessageQueue writer;
	REQUIRE(MessageQueue::open(n.name, O_WRONLY, writer) == 0);

	REQUIRE(writer.send(bytes("hello"), 1000ms) == 0);
	REQUIRE(writer.try_send(bytes("")) == 0); // zero-length messages exist
	std::vector<std::uint8_t> buf(128);
	long got = q.receive(buf, 1000ms);
	REQUIRE(got == 5);
	CHECK(std::string(buf.begin(), buf.begin() + got) == "hello");
	CHECK(q.try_receive(buf) == 0);

	// A buffer smaller than mq_msgsize is refused, even for a short message.
	REQUIRE(writer.try_send(bytes("x")) == 0);
	std::vector<std::uint8_t> small(16);
	CHECK(q.try_receive(small) == -EMSGSIZE);
	CHECK(q.try_receive(buf) == 1);
}

TEST_CASE("MessageQueue: non-blocking calls fail with EAGAIN")
{
	TestQueueName n;
	MessageQueue q;
	REQUIRE(MessageQueue::create(n.name, O_RDWR | O_NONBLOCK, 0600, 4, 128, q) == 0);
	std::vector<std::uint8_t> buf(128);
	CHECK(q.try_receive(buf) == -EAGAIN);
	for (int i = 0; i < 4; i++)
		REQUIRE(q.try_send(bytes("m")) == 0);
	CHECK(q.try_send(bytes("m")) == -EAGAIN);
	CHECK(q.send(bytes("m"), 10ms) == -EAGAIN); // O_NONBLOCK: no waiting either
}

TEST_CASE("MessageQueue: errors are -errno")
{
	MessageQueue q;
	CHECK(MessageQueue::open("no-slash", O_RDONLY, q) == -EINVAL);
	CHECK(MessageQueue::open("/fstest-mq-does-not-exist", O_RDONLY, q) == -ENOENT);
	CHECK_FALSE(q.valid());
	TestQueueName n;
	// Above fs.mqueue.msgsize_max for an unprivileged process (and for root
	// without CAP_SYS_RESOURCE).
	CHECK(MessageQueue::create(n.name, O_RDWR, 0600, 4, 1 << 30, q) == -EINVAL);
}

TEST_CASE("MessageQueue: reopen gives the same queue a blocking description of its own")
{
	TestQueueName n;
	MessageQueue q;
	REQUIRE(MessageQueue::create(n.name, O_RDWR | O_NONBLOCK, 0600, 4, 128, q) == 0);
	// The name may name another queue by now: reopen goes by the descriptor.
	REQUIRE(mq_unlink(n.name.c_str()) == 0);
	MessageQueue again;
	REQUIRE(MessageQueue::reopen(q, O_RDONLY, again) == 0);
	struct mq_attr attr;
	REQUIRE(again.attributes(attr) == 0);
	CHECK((attr.mq_flags & O_NONBLOCK) == 0);
	REQUIRE(q.attributes(attr) == 0);
	CHECK((attr.mq_flags & O_NONBLOCK) != 0); // the original keeps its flags
	struct stat a, b;
	REQUIRE(q.stat(a) == 0);
	REQUIRE(again.stat(b) == 0);
	CHECK(a.st_ino == b.st_ino);

	// Blocking: a receive waits for the deadline where the original fails at once.
	std::vector<std::uint8_t> buf(128);
	CHECK(again.receive(buf, 10ms) == -ETIMEDOUT);
	CHECK(q.receive(buf, 10ms) == -EAGAIN);
	REQUIRE(q.try_send(bytes("via the first")) == 0);
	long got = again.receive(buf, 1000ms);
	REQUIRE(got == 13);
	CHECK(std::string(buf.begin(), buf.begin() + got) == "via the first");

	// Not a queue: refused, nothing left open.
	int p[2];
	REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	MessageQueue pipe_end(static_cast<mqd_t>(p[0]));
	MessageQueue not_mq;
	CHECK(MessageQueue::reopen(pipe_end, O_RDONLY, not_mq) == -EBADF);
	CHECK_FALSE(not_mq.valid());
	close(p[1]);
}
