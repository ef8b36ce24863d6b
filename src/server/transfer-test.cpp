// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/request-test-helpers.h"
#include "server/transfer.h"
#include "util/time-util.h"

using namespace fileserver;
using namespace fileserver::test;
using protocol::ReplyType;

namespace {

// DATA payloads of the test queue's 1024-byte messages.
constexpr std::size_t kChunk = 1024 - protocol::kReplyHeaderSize;
// More messages than any reply here: a pump ends at Done or Full only.
constexpr unsigned kBudget = 1000;

struct Fixture {
	Root root;
	TestQueue q{"tr"}; // 4 messages of 1024 bytes
	std::shared_ptr<Session> session = session_on(q);
	ServerStats stats;
	std::atomic<bool> aborting{false};
	bool status_throws = false;
	TransferEnv env{stats, [this] { return status_json(); }, aborting};
	RequestLogCapture log;

	std::unique_ptr<Transfer> transfer(protocol::Op op, const std::string &path = "",
	                                   std::uint64_t id = 42)
	{
		return std::make_unique<Transfer>(job_for(root, session, op, path, id), env);
	}

	[[nodiscard]] std::string status_json() const
	{
		if (status_throws)
			throw std::runtime_error("bad byte");
		return R"({"ok":true})";
	}

	// Receives what the queue holds now, appending it to @out.
	void take_all(std::vector<Reply> &out) const
	{
		while (auto r = try_receive_reply(q))
			out.push_back(std::move(*r));
	}

	// The one log record of the request that ended.
	[[nodiscard]] LoggedRequest logged() const
	{
		auto records = log.records();
		REQUIRE(records.size() == 1);
		return records[0];
	}
};

// The replies carry @id and consecutive sequence numbers from 0.
void check_framing(const std::vector<Reply> &replies, std::uint64_t id)
{
	for (std::size_t i = 0; i < replies.size(); i++) {
		CHECK(replies[i].hdr.request_id == id);
		CHECK(replies[i].hdr.seq == i);
	}
}

} // namespace

TEST_SUITE_BEGIN("transfer");

TEST_CASE_FIXTURE(Fixture, "a reply that fits is sent in one pump: Done, counted as served")
{
	auto t = transfer(protocol::Op::Ping);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	std::vector<Reply> replies;
	take_all(replies);
	REQUIRE(replies.size() == 2);
	CHECK(replies[0].hdr.type == ReplyType::Pong);
	CHECK(end_total(replies[1]) == 0);
	check_framing(replies, 42);
	CHECK(stats.served == 0); // not before finish()
	t->finish();
	CHECK(stats.served == 1);
	CHECK(stats.failed == 0);
	CHECK(logged().outcome == Outcome::Ok);
}

TEST_CASE_FIXTURE(Fixture, "GET into a queue that fills: Full, then each pump goes on where it stopped")
{
	const std::string bytes = pattern(10 * kChunk + 100); // META, 11 DATA, END
	root.write("big", bytes);
	auto t = transfer(protocol::Op::Get, "big", 7);
	std::vector<Reply> replies;
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	CHECK(q.waiting() == 4);
	CHECK(t->pump(kBudget) == Transfer::Step::Full); // still no room: nothing lost, nothing sent twice
	CHECK(q.waiting() == 4);
	int pumps = 2;
	std::size_t take = 1;
	for (;;) {
		// Room for 1, 2, 3, then 4 messages, again and again.
		for (std::size_t i = 0; i < take; i++)
			replies.push_back(receive_reply(q));
		take = take % 4 + 1;
		REQUIRE(++pumps < 100);
		if (t->pump(kBudget) == Transfer::Step::Done)
			break;
		CHECK(q.waiting() == 4);
	}
	take_all(replies);
	REQUIRE(replies.size() == 13);
	check_framing(replies, 7);
	CHECK(meta_of(replies[0]).length == bytes.size());
	CHECK(data_of(replies) == bytes);
	CHECK(end_total(replies.back()) == bytes.size());
	CHECK(stats.bytes == bytes.size());
	t->finish();
	CHECK(stats.served == 1);
	auto rec = logged();
	CHECK(rec.outcome == Outcome::Ok);
	CHECK(rec.bytes == bytes.size());
}

TEST_CASE_FIXTURE(Fixture, "a session closed while its queue is full: Done, nothing more sent, aborted")
{
	root.write("big", pattern(10 * kChunk));
	auto t = transfer(protocol::Op::Get, "big");
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	session->closed.store(true);
	std::vector<Reply> replies;
	take_all(replies);
	CHECK(replies.size() == 4);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	CHECK(q.waiting() == 0);
	t->finish();
	CHECK(stats.failed == 1);
	CHECK(stats.served == 0);
	auto rec = logged();
	CHECK(rec.outcome == Outcome::Aborted);
	CHECK(rec.error == ECANCELED);
	CHECK(rec.bytes == 3 * kChunk);
}

TEST_CASE_FIXTURE(Fixture, "shutdown giving up mid-reply: the next message is ERROR ESHUTDOWN, in sequence")
{
	root.write("big", pattern(10 * kChunk));
	auto t = transfer(protocol::Op::Get, "big");
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	aborting.store(true);
	CHECK(t->pump(kBudget) == Transfer::Step::Full); // the ERROR waits for room too
	std::vector<Reply> replies{receive_reply(q)};
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	take_all(replies);
	REQUIRE(replies.size() == 5);
	check_framing(replies, 42);
	CHECK(error_of(replies.back()).code == ESHUTDOWN);
	CHECK(data_of(replies) == pattern(3 * kChunk));
	t->finish();
	CHECK(stats.failed == 1);
	CHECK(logged().error == ESHUTDOWN);
}

TEST_CASE_FIXTURE(Fixture, "a request that starts after shutdown gave up: ERROR ESHUTDOWN only")
{
	root.write("f", "x");
	aborting.store(true);
	auto t = transfer(protocol::Op::Get, "f");
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	auto r = receive_reply(q);
	CHECK(r.hdr.seq == 0);
	CHECK(error_of(r).code == ESHUTDOWN);
	CHECK(q.waiting() == 0);
	t->finish();
	CHECK(stats.failed == 1);
}

TEST_CASE_FIXTURE(Fixture, "given up while parked (send timeout): nothing more sent, aborted with the reason")
{
	root.write("big", pattern(10 * kChunk));
	auto t = transfer(protocol::Op::Get, "big");
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	t->give_up(Error{ETIMEDOUT, "client stopped reading (send timed out)"});
	(void)receive_reply(q);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	CHECK(q.waiting() == 3);
	t->finish();
	CHECK(stats.failed == 1);
	auto rec = logged();
	CHECK(rec.outcome == Outcome::Aborted);
	CHECK(rec.error == ETIMEDOUT);
	CHECK(rec.detail == "client stopped reading (send timed out)");
}

TEST_CASE_FIXTURE(Fixture,
                  "a file that changes while its transfer is parked: ERROR ESTALE once there is room")
{
	const std::string before(10 * kChunk, 'a');
	root.write("big", before);
	root.age("big");
	auto t = transfer(protocol::Op::Get, "big");
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	root.overwrite("big", std::string(before.size(), 'b'));
	std::vector<Reply> replies;
	for (int i = 0; i < 100; i++) {
		take_all(replies);
		if (t->pump(kBudget) == Transfer::Step::Done)
			break;
	}
	take_all(replies);
	REQUIRE_FALSE(replies.empty());
	check_framing(replies, 42);
	auto e = error_of(replies.back());
	CHECK(e.code == ESTALE);
	for (const Reply &r : replies)
		CHECK(r.hdr.type != ReplyType::End);
	t->finish();
	CHECK(stats.failed == 1);
	CHECK(stats.served == 0);
}

TEST_CASE_FIXTURE(Fixture, "an operation's error is the reply: ERROR ENOENT, outcome not-found")
{
	auto t = transfer(protocol::Op::Get, "nope");
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	auto r = receive_reply(q);
	CHECK(error_of(r).code == ENOENT);
	CHECK(q.waiting() == 0);
	t->finish();
	CHECK(stats.failed == 1);
	CHECK(logged().outcome == Outcome::NotFound);
}

TEST_CASE_FIXTURE(Fixture, "a STATUS that throws fails that request only: ERROR EIO")
{
	status_throws = true;
	auto t = transfer(protocol::Op::Status);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	auto e = error_of(receive_reply(q));
	CHECK(e.code == EIO);
	CHECK(e.text.find("internal error") != std::string::npos);
	t->finish();
	CHECK(stats.failed == 1);
}

TEST_CASE_FIXTURE(Fixture, "a reply queue that refuses sends: the client is lost, Done without a reply")
{
	root.write("f", "x");
	// Another error than a full queue: a descriptor open for reading only.
	REQUIRE(MessageQueue::open(q.name, O_RDONLY | O_NONBLOCK, session->reply) == 0);
	auto t = transfer(protocol::Op::Get, "f");
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	CHECK(q.waiting() == 0);
	t->finish();
	auto rec = logged();
	CHECK(rec.outcome == Outcome::Aborted);
	CHECK(rec.error == EBADF);
}

TEST_CASE_FIXTURE(Fixture, "a transfer holds its session in flight until finish()")
{
	auto t = transfer(protocol::Op::Ping);
	CHECK(session->in_flight.load() == 1);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	CHECK(session->in_flight.load() == 1);
	t->finish();
	CHECK(session->in_flight.load() == 0);
}

TEST_CASE_FIXTURE(Fixture, "a budget of messages: Yield once it is spent, then on in sequence")
{
	const std::string bytes = pattern(2 * kChunk); // META, 2 DATA, END
	root.write("f", bytes);
	auto t = transfer(protocol::Op::Get, "f", 3);
	std::uint64_t before = monotonic_usec();
	CHECK(t->pump(3) == Transfer::Step::Yield);
	CHECK(q.waiting() == 3);
	CHECK(t->last_sent_usec() >= before);
	CHECK(t->pump(3) == Transfer::Step::Done);
	std::vector<Reply> replies;
	take_all(replies);
	REQUIRE(replies.size() == 4);
	check_framing(replies, 3);
	CHECK(data_of(replies) == bytes);
	t->finish();
	CHECK(stats.served == 1);
}

TEST_CASE_FIXTURE(Fixture, "a reply sent whole is served even if the session closes before the transfer ends")
{
	// A client that got its END may close its session at once.
	auto t = transfer(protocol::Op::Ping);
	CHECK(t->pump(2) == Transfer::Step::Yield); // PONG and END sent, not yet seen done
	session->closed.store(true);
	CHECK(t->pump(kBudget) == Transfer::Step::Done);
	t->finish();
	CHECK(stats.served == 1);
	CHECK(logged().outcome == Outcome::Ok);
}

TEST_CASE_FIXTURE(
        Fixture,
        "a transfer that meets a full queue before its first message: its clock starts when it starts")
{
	// The send timeout runs from the last message sent, or from the start.
	MessageQueue w = q.open_for_writing();
	const std::uint8_t junk[] = {0};
	for (int i = 0; i < 4; i++)
		REQUIRE(w.try_send(junk) == 0);
	std::uint64_t before = monotonic_usec();
	auto t = transfer(protocol::Op::Ping);
	REQUIRE(t->pump(kBudget) == Transfer::Step::Full);
	std::uint64_t after = monotonic_usec();
	CHECK(t->last_sent_usec() >= before);
	CHECK(t->last_sent_usec() <= after);
	t->give_up(Error{ECANCELED, "test over"});
	t->finish();
}

TEST_SUITE_END();
