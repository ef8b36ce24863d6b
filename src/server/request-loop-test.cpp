// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>

#include <mutex>
#include <vector>

#include "server/request-loop.h"
#include "server/request-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;
using namespace std::chrono_literals;

namespace {

// A request loop over a tiny server queue, whose workers only record what
// they are given. drain() is called directly: no mq_notify registration.
struct LoopFixture {
	TestQueue server{"rl-srv", 1024, 4};
	TestQueue reply{"rl-rep"};
	MessageQueue server_read;
	ServerStats stats;
	std::mutex lock;
	std::vector<protocol::Request> served;
	WorkerPool pool{1, 4, [this](Job &job) {
		                std::lock_guard guard(lock);
		                served.push_back(job.request);
	                }};
	std::shared_ptr<ServingContext> ctx = std::make_shared<ServingContext>();

	LoopFixture()
	{
		REQUIRE(MessageQueue::open(server.name, O_RDONLY | O_NONBLOCK, server_read) == 0);
		ctx->config.queue = server.name;
	}

	void put(std::span<const std::uint8_t> msg) const
	{
		MessageQueue w = server.open_for_writing();
		REQUIRE(w.try_send(msg) == 0);
	}

	protocol::Request request(const std::string &reply_queue) const
	{
		protocol::Request req;
		req.op = protocol::Op::Get;
		req.id = 7;
		req.path = "some/file";
		req.reply_queue = reply_queue;
		return req;
	}
};

} // namespace

TEST_SUITE_BEGIN("request-loop");

TEST_CASE_FIXTURE(LoopFixture, "a request on the server queue is dispatched to a worker")
{
	RequestLoop l(
	        server_read, pool, [this] { return ctx; }, stats);
	put(protocol::encode_request(request(reply.name)));
	l.drain();
	pool.shutdown(60s);
	REQUIRE(served.size() == 1);
	CHECK(served[0].id == 7);
	CHECK(served[0].path == "some/file");
	CHECK(stats.dropped == 0);
	CHECK(server.waiting() == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "a malformed message is dropped and counted, and the next one served")
{
	RequestLoop l(
	        server_read, pool, [this] { return ctx; }, stats);
	const std::uint8_t garbage[] = {1, 2, 3};
	put(garbage);
	put(protocol::encode_request(request(reply.name)));
	l.drain();
	pool.shutdown(60s);
	CHECK(stats.dropped == 1);
	CHECK(served.size() == 1);
}

TEST_CASE_FIXTURE(LoopFixture, "a request that names the server queue as its reply queue is dropped")
{
	RequestLoop l(
	        server_read, pool, [this] { return ctx; }, stats);
	put(protocol::encode_request(request(server.name)));
	l.drain();
	pool.shutdown(60s);
	CHECK(stats.dropped == 1);
	CHECK(served.empty());
}

TEST_CASE_FIXTURE(LoopFixture, "a reply queue that cannot be opened ends the request on the dispatcher")
{
	RequestLoop l(
	        server_read, pool, [this] { return ctx; }, stats);
	put(protocol::encode_request(request("/fs-h2b-no-such-queue")));
	l.drain();
	pool.shutdown(60s);
	CHECK(served.empty());
	CHECK(stats.failed == 1);
	CHECK(stats.dropped == 0);
}

TEST_CASE_FIXTURE(LoopFixture, "a context source that throws fails that request only")
{
	bool fail = true;
	RequestLoop l(
	        server_read, pool,
	        [&]() -> std::shared_ptr<const ServingContext> {
		        if (std::exchange(fail, false))
			        throw std::runtime_error("boom");
		        return ctx;
	        },
	        stats);
	put(protocol::encode_request(request(reply.name)));
	put(protocol::encode_request(request(reply.name)));
	l.drain();
	pool.shutdown(60s);
	CHECK(stats.dropped == 1); // no reply queue open yet: counted as dropped
	CHECK(served.size() == 1);
}

TEST_SUITE_END();
