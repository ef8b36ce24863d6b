// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/request-test-helpers.h"
#include "server/transfer-engine.h"

using namespace fileserver;
using namespace fileserver::test;
using namespace std::chrono_literals;
using protocol::Op;
using protocol::ReplyType;

namespace {

// DATA payloads of the test queues' 1024-byte messages.
constexpr std::size_t kChunk = 1024 - protocol::kReplyHeaderSize;
// Uids that only fairness sees (the access checks use the session's).
constexpr uid_t kUidA = 60001, kUidB = 60002;

// A client: its reply queue (4 messages of 1024 bytes) and its session.
struct Client {
	TestQueue q;
	std::shared_ptr<Session> session;

	explicit Client(const char *role, pid_t pid = getpid()) : q(role), session(session_on(q, pid)) {}
};

TransferLimits limits(unsigned max_transfers, unsigned backlog, unsigned per_uid, unsigned waiting_per_uid)
{
	return {max_transfers, backlog, per_uid, waiting_per_uid};
}

std::size_t thread_count()
{
	std::size_t n = 0;
	for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator("/proc/self/task"))
		n++;
	return n;
}

// The thread count once threads that earlier tests joined have left
// /proc (a joined thread may still show there for a moment).
std::size_t settled_thread_count()
{
	std::size_t n = thread_count();
	for (int same = 0; same < 5;) {
		std::this_thread::sleep_for(2ms);
		std::size_t now = thread_count();
		same = now == n ? same + 1 : 0;
		n = now;
	}
	return n;
}

struct EngineFixture {
	Root root;
	ServerStats stats;
	RequestLogCapture log;
	std::mutex status_lock;
	std::vector<std::thread::id> status_threads; // where STATUS replies were made
	std::unique_ptr<TransferEngine> engine;      // destroyed first: it ends every transfer

	EngineFixture()
	{
		root.write("big", pattern(10 * kChunk)); // META, 10 DATA, END: parks on a 4-message queue
		root.ctx->config.send_timeout = 60s;     // only a hang ends a transfer this way
	}
	~EngineFixture() { engine.reset(); }
	EngineFixture(const EngineFixture &) = delete;
	EngineFixture &operator=(const EngineFixture &) = delete;

	void start(unsigned threads = 2, TransferLimits l = {})
	{
		engine = std::make_unique<TransferEngine>(threads, l, stats, [this] {
			std::lock_guard guard(status_lock);
			status_threads.push_back(std::this_thread::get_id());
			return std::string(R"({"test":true})");
		});
	}

	SubmitResult submit(const Client &c, Op op, const std::string &path = "", std::uint64_t id = 42,
	                    uid_t uid = static_cast<uid_t>(-1))
	{
		Job job = job_for(root, c.session, op, path, id, uid);
		return dispatch(std::move(job));
	}

	// What the dispatcher does with a request: submit, then run it on this
	// thread if it may start now.
	SubmitResult dispatch(Job &&job)
	{
		TransferPtr start;
		SubmitResult r = engine->submit(std::move(job), start);
		if (r != SubmitResult::Accepted)
			CHECK(start == nullptr);
		if (start)
			engine->run(std::move(start));
		return r;
	}

	// Submits a GET of "big" that fills @c's queue and parks.
	void park(const Client &c, std::uint64_t id = 1, uid_t uid = static_cast<uid_t>(-1))
	{
		std::size_t before = engine->parked();
		REQUIRE(submit(c, Op::Get, "big", id, uid) == SubmitResult::Accepted);
		REQUIRE(engine->parked() == before + 1);
		REQUIRE(c.q.waiting() == 4);
	}

	// After abort(): the queue's four messages read (room for what is left),
	// the engine joined, then whatever else reached @c's queue.
	std::vector<Reply> read_through_join(const Client &c)
	{
		std::vector<Reply> replies;
		for (int i = 0; i < 4; i++)
			replies.push_back(receive_reply(c.q));
		REQUIRE(engine->join(kHang));
		while (auto r = try_receive_reply(c.q))
			replies.push_back(std::move(*r));
		return replies;
	}

	[[nodiscard]] bool wait_idle_engine(std::chrono::milliseconds bound = kHang) const
	{
		return eventually([this] { return engine->busy() == 0 && engine->waiting() == 0; }, bound);
	}

	// The log records whose op is @op.
	[[nodiscard]] std::vector<LoggedRequest> logged(Op op) const
	{
		std::vector<LoggedRequest> out;
		for (auto &r : log.records())
			if (r.op == op)
				out.push_back(r);
		return out;
	}
};

// A request's whole reply: @id on every message, consecutive sequence numbers.
void check_stream(const std::vector<Reply> &replies, std::uint64_t id)
{
	REQUIRE_FALSE(replies.empty());
	for (std::size_t i = 0; i < replies.size(); i++) {
		CHECK(replies[i].hdr.request_id == id);
		CHECK(replies[i].hdr.seq == i);
	}
}

// Reads a GET of "big" through to its END and checks it.
void read_big(const Client &c, std::uint64_t id)
{
	auto replies = receive_stream(c.q);
	check_stream(replies, id);
	CHECK(data_of(replies) == pattern(10 * kChunk));
	CHECK(end_total(replies.back()) == 10 * kChunk);
}

void check_rejected_intact(const Job &job, std::uint64_t id, const Client &c)
{
	CHECK(job.request.id == id);
	CHECK(job.session.get() == c.session.get());
	CHECK(job.context != nullptr);
	CHECK(c.session->in_flight.load() == 1); // the job still holds its session
}

} // namespace

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

TEST_CASE_FIXTURE(EngineFixture, "while requests keep coming the engine threads take them, in order; after a "
                                 "pause it hands the queue back")
{
	start(2);
	TestQueue requests("te-requests", 64, 8); // each message: a request id
	Client c("te-taken");
	std::mutex lock;
	std::vector<std::uint64_t> taken_ids;
	std::vector<std::thread::id> taken_on;
	std::atomic<int> rested{0};
	engine->set_request_queue(
	        requests.mq.get(),
	        [&]() -> TakenRequest {
		        std::vector<std::uint8_t> buf(64);
		        long n = requests.mq.try_receive(buf);
		        if (n != sizeof(std::uint64_t))
			        return {false, nullptr};
		        std::uint64_t id;
		        std::memcpy(&id, buf.data(), sizeof(id));
		        {
			        std::lock_guard guard(lock);
			        taken_ids.push_back(id);
			        taken_on.push_back(std::this_thread::get_id());
		        }
		        TransferPtr start;
		        if (engine->submit(job_for(root, c.session, Op::Ping, "", id), start) !=
		            SubmitResult::Accepted)
			        return {true, nullptr};
		        return {true, std::move(start)};
	        },
	        [&] { rested++; });
	MessageQueue w = requests.open_for_writing();
	auto put = [&](std::uint64_t id) {
		std::uint8_t msg[sizeof(id)];
		std::memcpy(msg, &id, sizeof(id));
		REQUIRE(w.try_send(msg) == 0);
	};
	put(1);
	put(2);
	put(3);
	REQUIRE(engine->requests_busy());
	for (std::uint64_t id = 1; id <= 3; id++) {
		auto replies = receive_stream(c.q); // one session: its replies in order
		check_stream(replies, id);
		CHECK(replies.front().hdr.type == ReplyType::Pong);
	}
	REQUIRE(eventually([&] { return rested.load() == 1; })); // the pause: the queue goes back
	{
		std::lock_guard guard(lock);
		CHECK(taken_ids == std::vector<std::uint64_t>{1, 2, 3});
		for (auto id : taken_on)
			CHECK(id != std::this_thread::get_id());
	}
	CHECK(requests.waiting() == 0);

	// Watched again on the next notification; not once stopping.
	put(4);
	REQUIRE(engine->requests_busy());
	check_stream(receive_stream(c.q), 4);
	engine->stop_accepting();
	CHECK_FALSE(engine->requests_busy());
	REQUIRE(wait_idle_engine());
	CHECK(stats.served == 4);
}

TEST_CASE_FIXTURE(EngineFixture, "the engine runs the threads asked for, and parked transfers add none")
{
	std::size_t before = settled_thread_count();
	start(3);
	CHECK(engine->threads() == 3);
	CHECK(eventually([&] { return thread_count() == before + 3; }, 10s));
	Client a("te-thr-a"), b("te-thr-b"), c("te-thr-c"), d("te-thr-d");
	for (const Client *cl : {&a, &b, &c, &d})
		park(*cl);
	CHECK(engine->parked() == 4);
	CHECK(thread_count() == before + 3);
	for (const Client *cl : {&a, &b, &c, &d})
		read_big(*cl, 1);
	REQUIRE(engine->join(kHang));
	CHECK(eventually([&] { return thread_count() == before; }, 10s));
}

TEST_CASE_FIXTURE(EngineFixture, "many sessions read at once: every reply whole and in order")
{
	// Readers on their own threads while the engine's threads resume their
	// transfers: the parts that run concurrently in a server.
	constexpr int kSessions = 4, kRequests = 3;
	start(2);
	std::vector<std::unique_ptr<Client>> clients;
	for (int i = 0; i < kSessions; i++)
		clients.push_back(std::make_unique<Client>("te-many"));
	for (int r = 0; r < kRequests; r++)
		for (auto &c : clients)
			REQUIRE(submit(*c, Op::Get, "big", static_cast<std::uint64_t>(r + 1)) ==
			        SubmitResult::Accepted);
	std::atomic<int> whole{0};
	std::vector<std::thread> readers;
	for (auto &c : clients)
		readers.emplace_back([&whole, &c] {
			try { // a failed REQUIRE throws: this thread only counts
				for (int r = 0; r < kRequests; r++) {
					auto replies = receive_stream(c->q);
					bool ok = replies.back().hdr.type == ReplyType::End &&
					          data_of(replies) == pattern(10 * kChunk);
					for (std::size_t i = 0; i < replies.size(); i++)
						ok = ok &&
						     replies[i].hdr.request_id ==
						             static_cast<std::uint64_t>(r + 1) &&
						     replies[i].hdr.seq == i;
					if (ok)
						whole++;
				}
			} catch (...) {
			}
		});
	for (auto &t : readers)
		t.join();
	CHECK(whole == kSessions * kRequests);
	REQUIRE(wait_idle_engine());
	CHECK(stats.served == kSessions * kRequests);
	CHECK(stats.bytes == kSessions * kRequests * 10 * kChunk);
}

TEST_CASE_FIXTURE(EngineFixture, "send timeouts racing with reads: each reply whole or cut off, never mixed")
{
	// The sweep ends transfers parked past a tick while readers make room
	// at the same time: both take a transfer out of the parked set.
	constexpr int kSessions = 4, kRequests = 5;
	root.ctx->config.send_timeout = 1ms;
	start(2);
	std::vector<std::unique_ptr<Client>> clients;
	for (int i = 0; i < kSessions; i++)
		clients.push_back(std::make_unique<Client>("te-race"));
	std::atomic<bool> idle{false};
	std::vector<std::vector<Reply>> got(kSessions);
	std::vector<std::thread> readers;
	for (int i = 0; i < kSessions; i++)
		readers.emplace_back([&, i] {
			try { // a failed REQUIRE throws: the checks below see what is missing
				for (unsigned n = 0;; n++) {
					if (auto r = try_receive_reply(clients[i]->q)) {
						got[i].push_back(std::move(*r));
						// Now and then a pause across a sweep tick.
						std::this_thread::sleep_for(n % 16 == 15 ? 120ms
						                                         : n % 7 * 300us);
					} else if (idle.load()) {
						return;
					} else {
						std::this_thread::sleep_for(1ms);
					}
				}
			} catch (...) {
			}
		});
	for (int r = 1; r <= kRequests; r++)
		for (auto &c : clients)
			REQUIRE(submit(*c, Op::Get, "big", static_cast<std::uint64_t>(r)) ==
			        SubmitResult::Accepted);
	bool went_idle = wait_idle_engine();
	idle.store(true);
	for (auto &t : readers)
		t.join();
	REQUIRE(went_idle);

	std::uint64_t complete = 0;
	for (const auto &replies : got) {
		// Each request's messages in a run of their own, in order; a run
		// that ends in END is the whole file.
		std::size_t i = 0;
		std::uint64_t last_id = 0;
		while (i < replies.size()) {
			std::uint64_t id = replies[i].hdr.request_id;
			CHECK(id > last_id);
			last_id = id;
			std::size_t start_of_run = i;
			while (i < replies.size() && replies[i].hdr.request_id == id) {
				CHECK(replies[i].hdr.seq == i - start_of_run);
				i++;
			}
			std::vector<Reply> run(replies.begin() + static_cast<long>(start_of_run),
			                       replies.begin() + static_cast<long>(i));
			if (run.back().hdr.type == ReplyType::End) {
				CHECK(data_of(run) == pattern(10 * kChunk));
				complete++;
			}
		}
	}
	CHECK(stats.served == complete);
	CHECK(stats.served + stats.failed == kSessions * kRequests);
	for (auto &rec : logged(Op::Get))
		if (rec.outcome != Outcome::Ok)
			CHECK(rec.error == ETIMEDOUT);
}

TEST_SUITE_END();
