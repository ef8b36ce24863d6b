// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>

#include <cstring>
#include <mutex>
#include <vector>

#include "server/request-loop.h"
#include "server/request-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;
using namespace std::chrono_literals;

namespace {

// What a worker was given.
struct Served {
	protocol::Request request;
	uid_t uid;
	std::uint64_t session;
};

// A request loop over a tiny server queue, whose workers only record what
// they are given. drain() is called directly: no mq_notify registration.
struct LoopFixture {
	TestQueue server{"rl-srv", 1024, 4};
	TestQueue reply{"rl-rep"};
	MessageQueue server_read;
	ServerStats stats;
	SessionTable sessions;
	std::mutex lock;
	std::vector<Served> served;
	struct Recorder : JobSink {
		LoopFixture &f;
		explicit Recorder(LoopFixture &fixture) : f(fixture) {}
		void run(TransferPtr) override {}
		SubmitResult submit(Job &&job, TransferPtr &) override
		{
			std::lock_guard guard(f.lock);
			f.served.push_back({job.request, job.client_uid, job.session->id});
			return SubmitResult::Accepted;
		}
	} pool{*this};
	std::shared_ptr<ServingContext> ctx = std::make_shared<ServingContext>();

	LoopFixture()
	{
		REQUIRE(MessageQueue::open(server.name, O_RDONLY | O_NONBLOCK, server_read) == 0);
		ctx->config.queue = server.name;
	}

	RequestLoop loop()
	{
		return {server_read, pool, [this] { return ctx; }, stats, sessions};
	}

	void put(std::span<const std::uint8_t> msg) const
	{
		REQUIRE_FALSE(msg.empty());
		MessageQueue w = server.open_for_writing();
		REQUIRE(w.try_send(msg) == 0);
	}

	static protocol::Request open_request(const std::string &reply_queue, pid_t pid = getpid())
	{
		protocol::Request req;
		req.op = protocol::Op::Open;
		req.id = 5;
		req.nonce[3] = 0x33;
		req.reply_queue = reply_queue;
		req.pid = static_cast<std::uint32_t>(pid);
		return req;
	}

	static protocol::Request get_request(const protocol::Challenge &c)
	{
		protocol::Request req;
		req.op = protocol::Op::Get;
		req.id = 7;
		req.path = "some/file";
		req.session = c.session;
		req.nonce = c.secret;
		return req;
	}

	// Opens a session on @reply the way a client does; returns the challenge.
	protocol::Challenge open_session(RequestLoop &l)
	{
		put(protocol::encode_request(open_request(reply.name)));
		l.drain();
		Reply r = receive_reply(reply);
		REQUIRE(r.hdr.type == protocol::ReplyType::Challenge);
		CHECK(r.hdr.request_id == 5);
		CHECK(r.hdr.nonce == open_request(reply.name).nonce);
		protocol::Challenge c;
		REQUIRE(protocol::decode_challenge(r.payload, c) == protocol::Status::Ok);
		return c;
	}
};

} // namespace

TEST_SUITE_BEGIN("request-loop");

TEST_CASE_FIXTURE(LoopFixture, "OPEN is answered by CHALLENGE; a request with its secret goes to a worker")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	CHECK(c.session != 0);
	CHECK(c.idle_timeout_ms == 60000);
	CHECK(sessions.size() == 1);
	CHECK(sessions.challenged() == 1);
	CHECK(reply.waiting() == 0); // no END after a CHALLENGE

	put(protocol::encode_request(get_request(c)));
	l.drain();
	// The recorder took each job at once.
	REQUIRE(served.size() == 1);
	CHECK(served[0].request.id == 7);
	CHECK(served[0].request.path == "some/file");
	CHECK(served[0].uid == getuid()); // the reply queue's owner, proven
	CHECK(served[0].session == c.session);
	CHECK(sessions.challenged() == 0);
	CHECK(stats.dropped == 0);
	CHECK(stats.rejected == 0);
	CHECK(server.waiting() == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "an unknown session or a wrong secret is rejected, counted, never answered")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	auto wrong = get_request(c);
	wrong.nonce[0] ^= 1;
	put(protocol::encode_request(wrong));
	auto unknown = get_request(c);
	unknown.session ^= 0x100;
	put(protocol::encode_request(unknown));
	l.drain();
	// The recorder took each job at once.
	CHECK(served.empty());
	CHECK(stats.rejected == 2);
	CHECK(reply.waiting() == 0);
	CHECK(sessions.challenged() == 1); // still unproven
}

TEST_CASE_FIXTURE(LoopFixture, "a receiver waits on a blocking descriptor for one request at a time")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	MessageQueue blocking;
	REQUIRE(MessageQueue::reopen(server_read, O_RDONLY, blocking) == 0);
	std::uint64_t beat = l.heartbeat();
	TakenRequest none = l.take_one(blocking, 10ms);
	CHECK_FALSE(none.received); // the wait ran out
	CHECK(l.heartbeat() > beat);

	put(protocol::encode_request(get_request(c)));
	put(protocol::encode_request(get_request(c)));
	TakenRequest one = l.take_one(blocking, 1000ms);
	CHECK(one.received);
	CHECK(served.size() == 1); // dispatched, and only the first
	CHECK(server.waiting() == 1);
	CHECK(l.take_one(blocking, 1000ms).received);
	CHECK(served.size() == 2);

	// Once the loop stops, nothing more is taken.
	put(protocol::encode_request(get_request(c)));
	l.stop();
	CHECK_FALSE(l.take_one(blocking, 10ms).received);
	CHECK(server.waiting() == 1);
}

TEST_CASE_FIXTURE(LoopFixture, "CLOSE ends the session without a reply")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	auto close = get_request(c);
	close.op = protocol::Op::Close;
	close.path.clear();
	put(protocol::encode_request(close));
	l.drain();
	CHECK(sessions.size() == 0);
	put(protocol::encode_request(get_request(c)));
	l.drain();
	// The recorder took each job at once.
	CHECK(served.empty());
	CHECK(stats.rejected == 1);
	CHECK(reply.waiting() == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "at most 4 unanswered OPENs per reply queue get a CHALLENGE")
{
	RequestLoop l = loop();
	for (int i = 0; i < 4; i++)
		put(protocol::encode_request(open_request(reply.name)));
	l.drain();
	put(protocol::encode_request(open_request(reply.name))); // the server queue holds 4
	l.drain();
	CHECK(reply.waiting() == 4);
	CHECK(sessions.challenged() == 4);
	CHECK(stats.rejected == 1);
}

TEST_CASE_FIXTURE(LoopFixture, "OPEN refusals: ERROR with the OPEN's nonce, and no session")
{
	SUBCASE("a reply queue readable by others")
	{
		TestQueue open_queue("rl-rep", 1024, 4, 0644);
		RequestLoop l = loop();
		put(protocol::encode_request(open_request(open_queue.name)));
		l.drain();
		Reply r = receive_reply(open_queue);
		CHECK(r.hdr.nonce == open_request(reply.name).nonce);
		auto e = error_of(r);
		CHECK(e.code == EACCES);
		CHECK(e.text == "reply queue is readable by group or others");
	}
	SUBCASE("messages below 512 bytes")
	{
		TestQueue small("rl-rep", 256);
		RequestLoop l = loop();
		put(protocol::encode_request(open_request(small.name)));
		l.drain();
		CHECK(error_of(receive_reply(small)).code == EMSGSIZE);
	}
	SUBCASE("messages too small for the whole text: cut to fit")
	{
		TestQueue tiny("rl-rep", 80);
		RequestLoop l = loop();
		put(protocol::encode_request(open_request(tiny.name)));
		l.drain();
		auto e = error_of(receive_reply(tiny));
		CHECK(e.code == EMSGSIZE);
		CHECK(e.text ==
		      std::string("reply queue messages too small (80 bytes, at least 512 needed)")
		              .substr(0, 80 - protocol::kReplyHeaderSize - protocol::kErrorFixedSize));
	}
	SUBCASE("no such process")
	{
		RequestLoop l = loop();
		put(protocol::encode_request(open_request(reply.name, 0x3ffffff0)));
		l.drain();
		auto e = error_of(receive_reply(reply));
		CHECK(e.code == ESRCH);
		CHECK(e.text == "no process " + std::to_string(0x3ffffff0));
	}
	SUBCASE("max_sessions reached")
	{
		ctx->config.max_sessions = 1;
		RequestLoop l = loop();
		(void)open_session(l);
		put(protocol::encode_request(open_request(reply.name)));
		l.drain();
		auto e = error_of(receive_reply(reply));
		CHECK(e.code == EBUSY);
		CHECK(e.text == "server busy: 1 sessions open");
		CHECK(sessions.size() == 1);
	}
	CHECK(sessions.size() <= 1);
	CHECK(stats.failed >= 1);
}

TEST_CASE_FIXTURE(LoopFixture, "a version-1 request gets one version-1 ERROR EPROTONOSUPPORT a second")
{
	RequestLoop l = loop();
	protocol::Request old;
	old.op = protocol::Op::Get;
	old.id = 9;
	old.nonce[0] = 0x11;
	old.path = "f";
	old.reply_queue = reply.name;
	put(protocol::encode_request_v1(old));
	put(protocol::encode_request_v1(old));
	l.drain();
	CHECK(reply.waiting() == 1);
	std::vector<std::uint8_t> buf(1024);
	long n = reply.mq.receive(buf, 60s);
	REQUIRE(n > static_cast<long>(protocol::kReplyHeaderSize));
	std::uint16_t version, type;
	std::memcpy(&version, &buf[4], 2);
	std::memcpy(&type, &buf[6], 2);
	CHECK(version == 1);
	CHECK(type == static_cast<std::uint16_t>(protocol::ReplyType::Error));
	protocol::Error e;
	REQUIRE(protocol::decode_error(
	                std::span(buf).subspan(protocol::kReplyHeaderSize,
	                                       static_cast<std::size_t>(n) - protocol::kReplyHeaderSize),
	                e) == protocol::Status::Ok);
	CHECK(e.code == EPROTONOSUPPORT);
	CHECK(e.text.find("protocol version 1 is not supported") == 0);
	CHECK(sessions.size() == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "a malformed message is dropped and counted, and the next one served")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	const std::uint8_t garbage[] = {1, 2, 3};
	put(garbage);
	put(protocol::encode_request(get_request(c)));
	l.drain();
	// The recorder took each job at once.
	CHECK(stats.dropped == 1);
	CHECK(served.size() == 1);
}

TEST_CASE_FIXTURE(LoopFixture, "an OPEN that names the server queue as its reply queue is dropped")
{
	RequestLoop l = loop();
	put(protocol::encode_request(open_request(server.name)));
	l.drain();
	CHECK(stats.dropped == 1);
	CHECK(sessions.size() == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "a reply queue that cannot be opened ends the OPEN on the dispatcher")
{
	RequestLoop l = loop();
	put(protocol::encode_request(open_request("/fs-h2b-no-such-queue")));
	l.drain();
	CHECK(sessions.size() == 0);
	CHECK(stats.failed == 1);
	CHECK(stats.dropped == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "a context source that throws fails that request only")
{
	RequestLoop l = loop();
	protocol::Challenge c = open_session(l);
	bool fail = true;
	RequestLoop l2(
	        server_read, pool,
	        [&]() -> std::shared_ptr<const ServingContext> {
		        if (std::exchange(fail, false))
			        throw std::runtime_error("boom");
		        return ctx;
	        },
	        stats, sessions);
	put(protocol::encode_request(get_request(c)));
	put(protocol::encode_request(get_request(c)));
	l2.drain();
	// The recorder took each job at once.
	CHECK(stats.dropped == 1); // no session found yet: counted as dropped
	CHECK(served.size() == 1);
}

TEST_SUITE_END();
