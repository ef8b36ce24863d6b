// SPDX-License-Identifier: MIT
// The transfer engine: how transfers end (send timeout, closed session, exited client, abort, join).
#include <doctest/doctest.h>

#include "server/transfer-engine-test-helpers.h"

// In the helpers' namespace, which has the names these tests use.
namespace fileserver::test {

TEST_SUITE_BEGIN("transfer-engine");

TEST_CASE_FIXTURE(EngineFixture, "a client that stops reading: its transfer ends at the send timeout")
{
	root.ctx->config.send_timeout = 200ms;
	start();
	Client c("te-timeout");
	park(c);
	REQUIRE(wait_idle_engine(10s));
	CHECK(engine->parked() == 0);
	CHECK(stats.failed == 1);
	auto rec = logged(Op::Get);
	REQUIRE(rec.size() == 1);
	CHECK(rec[0].outcome == Outcome::Aborted);
	CHECK(rec[0].error == ETIMEDOUT);
	CHECK(rec[0].detail == "client stopped reading (send timed out)");
	CHECK(c.q.waiting() == 4); // nothing more was sent
	CHECK(c.session->in_flight.load() == 0);

	// The session is free again: its next request runs.
	std::vector<Reply> old;
	while (auto r = try_receive_reply(c.q))
		old.push_back(std::move(*r));
	REQUIRE(submit(c, Op::Ping, "", 2) == SubmitResult::Accepted);
	check_stream(receive_stream(c.q), 2);
}

TEST_CASE_FIXTURE(EngineFixture,
                  "a transfer that parks before its first message waits its whole send timeout")
{
	// The client's queue is full of older messages when the request starts.
	start();
	Client c("te-full-start");
	MessageQueue w = c.q.open_for_writing();
	const std::uint8_t junk[] = {0};
	for (int i = 0; i < 4; i++)
		REQUIRE(w.try_send(junk) == 0);
	REQUIRE(submit(c, Op::Get, "big", 1) == SubmitResult::Accepted);
	REQUIRE(engine->parked() == 1);
	// Several sweeps (every 100 ms) pass; the send timeout is a minute.
	std::this_thread::sleep_for(500ms);
	CHECK(stats.failed == 0);
	REQUIRE(engine->parked() == 1);
	std::vector<std::uint8_t> buf(1024);
	for (int i = 0; i < 4; i++)
		REQUIRE(c.q.mq.receive(buf, kHang) == 1);
	read_big(c, 1);
	REQUIRE(wait_idle_engine());
	CHECK(stats.served == 1);
}

TEST_CASE_FIXTURE(EngineFixture, "a parked transfer ends when its session closes")
{
	start();
	Client c("te-closed");
	park(c);
	c.session->closed.store(true);
	REQUIRE(wait_idle_engine(10s));
	CHECK(stats.failed == 1);
	auto rec = logged(Op::Get);
	REQUIRE(rec.size() == 1);
	CHECK(rec[0].outcome == Outcome::Aborted);
	CHECK(rec[0].error == ECANCELED);
	CHECK(c.q.waiting() == 4);
}

TEST_CASE_FIXTURE(EngineFixture, "a parked transfer of a client that exited ends: client exited")
{
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	Client c("te-exit", child);
	kill(child, SIGKILL);
	REQUIRE(waitpid(child, nullptr, 0) == child);
	start();
	park(c);
	c.session->closed.store(true); // what the session table does on the pidfd
	REQUIRE(wait_idle_engine(10s));
	auto rec = logged(Op::Get);
	REQUIRE(rec.size() == 1);
	CHECK(rec[0].error == ESRCH);
	CHECK(rec[0].detail == "client exited");
}

TEST_CASE_FIXTURE(EngineFixture,
                  "abort() with no room: parked transfers end after the slice, without a reply")
{
	start();
	Client a("te-abort-a"), b("te-abort-b");
	park(a, 1);
	park(b, 2);
	engine->stop_accepting();
	CHECK_FALSE(engine->wait_idle(0ms));
	CHECK(engine->abort() == 2);
	CHECK(engine->aborting());
	CHECK(engine->join(kHang));
	CHECK(engine->busy() == 0);
	CHECK(engine->parked() == 0);
	CHECK(a.q.waiting() == 4);
	CHECK(b.q.waiting() == 4);
	CHECK(stats.failed == 2);
	for (auto &rec : logged(Op::Get)) {
		CHECK(rec.error == ESHUTDOWN);
		CHECK(rec.detail == "cut off by the shutdown timeout");
	}
}

TEST_CASE_FIXTURE(EngineFixture, "abort() fails waiting requests at once with ERROR ESHUTDOWN")
{
	start(2, limits(1, 4, 1, 4));
	Client a("te-abw-a"), b("te-abw-b");
	park(a, 1);
	REQUIRE(submit(b, Op::Ping, "", 2, kUidB) == SubmitResult::Accepted);
	engine->stop_accepting();
	CHECK(engine->abort() == 2);
	auto r = receive_reply(b.q); // sent before abort() returned
	CHECK(r.hdr.request_id == 2);
	CHECK(error_of(r).code == ESHUTDOWN);
	CHECK(engine->join(kHang));
	CHECK(stats.failed == 2);
}

TEST_CASE_FIXTURE(EngineFixture,
                  "abort() keeps a session to one request: the waiting one starts after the parked one ends")
{
	start();
	Client c("te-abort-sess");
	park(c, 1);
	REQUIRE(submit(c, Op::Ping, "", 2) == SubmitResult::Accepted);
	REQUIRE(engine->waiting() == 1);
	engine->stop_accepting();
	CHECK(engine->abort() == 2);
	CHECK(engine->parked() <= 1); // one transfer per session, parked or not
	std::vector<Reply> replies = read_through_join(c);
	// Request 1's messages (and its ERROR if it had room in time), then
	// request 2's ERROR: never a message of 1 after one of 2.
	for (std::size_t i = 1; i < replies.size(); i++)
		CHECK(replies[i - 1].hdr.request_id <= replies[i].hdr.request_id);
	// Request 2 ended after request 1, whatever the timing.
	auto records = log.records();
	REQUIRE(records.size() == 2);
	CHECK(records[0].op == Op::Get);
	CHECK(records[1].op == Op::Ping);
	CHECK(records[1].error == ESHUTDOWN);
}

TEST_CASE_FIXTURE(EngineFixture,
                  "abort() ends a parked transfer with ERROR ESHUTDOWN when its client makes room")
{
	// Room must come within the abort slice (100 ms): a reader that reads at
	// once almost always does; a loaded machine may miss it, so a few tries.
	bool got_error = false;
	for (int attempt = 0; attempt < 5 && !got_error; attempt++) {
		CAPTURE(attempt);
		start();
		Client c("te-abort-room");
		park(c);
		engine->stop_accepting();
		REQUIRE(engine->abort() == 1);
		std::vector<Reply> replies = read_through_join(c);
		check_stream(replies, 1);
		if (replies.back().hdr.type == ReplyType::Error) {
			CHECK(error_of(replies.back()).code == ESHUTDOWN);
			CHECK(replies.size() == 5);
			got_error = true;
		}
		engine.reset();
	}
	CHECK(got_error);
}

TEST_CASE_FIXTURE(EngineFixture, "join() returns true once idle, false while a transfer is in progress")
{
	start();
	Client c("te-join");
	park(c);
	CHECK_FALSE(engine->join(20ms)); // the transfer waits for a minute
	CHECK_FALSE(engine->wait_idle(0ms));
	read_big(c, 1);
	CHECK(engine->wait_idle(kHang));
	CHECK(engine->join(kHang));
	CHECK(engine->threads() == 0);
}

TEST_CASE_FIXTURE(EngineFixture, "stop_accepting(): every later request is Busy, intact")
{
	start();
	Client c("te-stop");
	engine->stop_accepting();
	Job job = job_for(root, c.session, Op::Ping, "", 8);
	CHECK(dispatch(std::move(job)) == SubmitResult::Busy);
	check_rejected_intact(job, 8, c);
	CHECK(c.q.waiting() == 0);
	CHECK(engine->join(kHang));
}

TEST_SUITE_END();

} // namespace fileserver::test
