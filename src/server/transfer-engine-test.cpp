// SPDX-License-Identifier: MIT
// The transfer engine: answers on the receiving thread, parking, limits.
#include <doctest/doctest.h>

#include "server/transfer-engine-test-helpers.h"

// In the helpers' namespace, which has the names these tests use.
namespace fileserver::test {

TEST_SUITE_BEGIN("transfer-engine");

TEST_CASE_FIXTURE(EngineFixture,
                  "a reply that fits is answered on the submitting thread before submit() returns")
{
	start();
	Client c("te-inline");
	REQUIRE(submit(c, Op::Status) == SubmitResult::Accepted);
	CHECK(c.q.waiting() == 2); // STATUS, END: already there
	CHECK(engine->busy() == 0);
	CHECK(engine->parked() == 0);
	CHECK(stats.served == 1);
	{
		std::lock_guard guard(status_lock);
		REQUIRE(status_threads.size() == 1);
		CHECK(status_threads[0] == std::this_thread::get_id());
	}
	auto replies = receive_stream(c.q);
	REQUIRE(replies.size() == 2);
	CHECK(std::string(replies[0].payload.begin(), replies[0].payload.end()) == R"({"test":true})");
	CHECK(c.session->in_flight.load() == 0);
}

TEST_CASE_FIXTURE(EngineFixture,
                  "a reply larger than the queue parks, and the engine finishes it as the client reads")
{
	start();
	Client c("te-park");
	auto progress = engine->progress();
	park(c, 9);
	CHECK(engine->busy() == 1);
	CHECK(c.session->in_flight.load() == 1);
	read_big(c, 9);
	REQUIRE(wait_idle_engine());
	CHECK(engine->parked() == 0);
	CHECK(engine->progress() > progress);
	CHECK(stats.served == 1);
	CHECK(stats.bytes == 10 * kChunk);
	CHECK(c.session->in_flight.load() == 0);
}

TEST_CASE_FIXTURE(EngineFixture, "a session's second request waits for the first: replies never interleave")
{
	start();
	Client c("te-sess"), other("te-other");
	park(c, 1);
	REQUIRE(submit(c, Op::Ping, "", 2) == SubmitResult::Accepted);
	CHECK(engine->waiting() == 1);
	CHECK(engine->busy() == 1);
	// Another session is not held back.
	REQUIRE(submit(other, Op::Ping, "", 3) == SubmitResult::Accepted);
	CHECK(other.q.waiting() == 2);
	CHECK(engine->waiting() == 1);

	read_big(c, 1);
	auto second = receive_stream(c.q);
	check_stream(second, 2);
	CHECK(second.front().hdr.type == ReplyType::Pong);
	REQUIRE(wait_idle_engine());
	CHECK(stats.served == 3);
}

TEST_CASE_FIXTURE(EngineFixture, "a refusal waits for its session's requests in progress: in order, never "
                                 "among their replies")
{
	start();
	Client c("te-refuse"), idle("te-refuse-idle");
	// A session with nothing in progress: the caller answers at once.
	Job alone = job_for(root, idle.session, Op::Ping, "", 7);
	CHECK_FALSE(engine->hold_refusal(alone, Error{EBUSY, "server busy: test"}));
	CHECK(alone.request.id == 7); // untouched
	CHECK_FALSE(alone.refusal);

	park(c, 1);
	REQUIRE(submit(c, Op::Ping, "", 2) == SubmitResult::Accepted); // waits behind 1
	for (std::uint64_t id = 3; id < 3 + TransferEngine::kHeldRefusalsPerSession; id++) {
		Job refused = job_for(root, c.session, Op::Get, "big", id);
		REQUIRE(engine->hold_refusal(refused, Error{EBUSY, "server busy: test"}));
	}
	// Over the bound: answered at once, as before.
	Job one_more = job_for(root, c.session, Op::Get, "big", 99);
	CHECK_FALSE(engine->hold_refusal(one_more, Error{EBUSY, "server busy: test"}));
	CHECK(engine->waiting() == 1 + TransferEngine::kHeldRefusalsPerSession);

	read_big(c, 1);
	auto pong = receive_stream(c.q);
	check_stream(pong, 2);
	CHECK(pong.front().hdr.type == ReplyType::Pong);
	for (std::uint64_t id = 3; id < 3 + TransferEngine::kHeldRefusalsPerSession; id++) {
		auto refusal = receive_stream(c.q);
		REQUIRE(refusal.size() == 1);
		check_stream(refusal, id);
		REQUIRE(refusal.front().hdr.type == ReplyType::Error);
		CHECK(error_of(refusal.front()).code == EBUSY);
	}
	REQUIRE(wait_idle_engine());
	CHECK_FALSE(try_receive_reply(c.q));
	// Logged as refused, each once.
	CHECK(logged(Op::Get).size() == 1 + TransferEngine::kHeldRefusalsPerSession);
}

TEST_CASE_FIXTURE(EngineFixture, "a refusal behind a request held by its uid's limit does not pass it")
{
	TransferLimits l = limits(8, 8, 1, 4);
	start(2, l);
	Client a("te-ref-a"), b("te-ref-b");
	park(a, 1, kUidA);                                                    // the uid's one transfer
	REQUIRE(submit(b, Op::Ping, "", 2, kUidA) == SubmitResult::Accepted); // b waits: uid limit
	CHECK(b.q.waiting() == 0);
	Job refused = job_for(root, b.session, Op::Ping, "", 3, kUidA);
	REQUIRE(engine->hold_refusal(refused, Error{EBUSY, "server busy: test"}));
	// A request of another uid ends meanwhile, and the engine looks at
	// what waits: b's refusal is an ERROR, which no limit holds, but b's
	// PING came first and still may not start.
	Client other("te-ref-other");
	REQUIRE(submit(other, Op::Ping, "", 4, kUidB) == SubmitResult::Accepted);
	CHECK(other.q.waiting() == 2);
	CHECK(b.q.waiting() == 0);
	read_big(a, 1);
	auto pong = receive_stream(b.q);
	check_stream(pong, 2);
	CHECK(pong.front().hdr.type == ReplyType::Pong);
	auto refusal = receive_stream(b.q);
	check_stream(refusal, 3);
	CHECK(refusal.front().hdr.type == ReplyType::Error);
	REQUIRE(wait_idle_engine());
}

TEST_CASE_FIXTURE(EngineFixture,
                  "max_transfers and backlog: Busy leaves the job intact; waiting ones start later")
{
	start(2, limits(1, 0, 1, 1));
	Client a("te-max-a"), b("te-max-b"), c("te-max-c");
	park(a);
	Job job = job_for(root, b.session, Op::Ping, "", 5);
	CHECK(dispatch(std::move(job)) == SubmitResult::Busy);
	check_rejected_intact(job, 5, b);
	CHECK(b.q.waiting() == 0);

	engine->set_limits(limits(1, 1, 1, 1));
	CHECK(dispatch(std::move(job)) == SubmitResult::Accepted); // now it waits
	CHECK(engine->waiting() == 1);
	Job third = job_for(root, c.session, Op::Ping, "", 6, kUidB);
	CHECK(dispatch(std::move(third)) == SubmitResult::Busy); // the backlog is full
	check_rejected_intact(third, 6, c);

	read_big(a, 1);
	auto replies = receive_stream(b.q); // started by the engine once a ended
	check_stream(replies, 5);
	REQUIRE(wait_idle_engine());
	CHECK(stats.served == 2);
}

TEST_CASE_FIXTURE(EngineFixture,
                  "per uid: its own requests wait at its limit, UserBusy over it, other uids run")
{
	start(2, limits(16, 8, 1, 1));
	Client a("te-uid-a"), b("te-uid-b"), c("te-uid-c"), d("te-uid-d");
	park(a, 1, kUidA);
	REQUIRE(submit(b, Op::Ping, "", 2, kUidA) == SubmitResult::Accepted);
	CHECK(engine->waiting() == 1);
	CHECK(b.q.waiting() == 0);
	Job over = job_for(root, c.session, Op::Ping, "", 3, kUidA);
	CHECK(dispatch(std::move(over)) == SubmitResult::UserBusy);
	check_rejected_intact(over, 3, c);
	REQUIRE(submit(d, Op::Ping, "", 4, kUidB) == SubmitResult::Accepted);
	CHECK(d.q.waiting() == 2); // another uid runs at once

	read_big(a, 1);
	check_stream(receive_stream(b.q), 2);
	REQUIRE(wait_idle_engine());
	CHECK(c.q.waiting() == 0);
	CHECK(stats.served == 3);
	// The uid's counts went back to nothing: it may run and wait again.
	park(a, 5, kUidA);
	REQUIRE(submit(b, Op::Ping, "", 6, kUidA) == SubmitResult::Accepted);
	read_big(a, 5);
	check_stream(receive_stream(b.q), 6);
	REQUIRE(wait_idle_engine());
}

TEST_CASE_FIXTURE(EngineFixture, "raising the limits starts waiting requests at once")
{
	start(2, limits(1, 4, 1, 4));
	Client a("te-lim-a"), b("te-lim-b");
	park(a);
	REQUIRE(submit(b, Op::Ping, "", 2, kUidB) == SubmitResult::Accepted);
	CHECK(engine->waiting() == 1);
	engine->set_limits(limits(2, 4, 1, 4));
	CHECK(engine->waiting() == 0);
	CHECK(b.q.waiting() == 2); // answered before set_limits() returned
	read_big(a, 1);
	REQUIRE(wait_idle_engine());
}

TEST_SUITE_END();

} // namespace fileserver::test
