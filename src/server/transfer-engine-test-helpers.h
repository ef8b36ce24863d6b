// SPDX-License-Identifier: MIT
#pragma once

// Shared by the transfer engine's tests (transfer-engine-test.cpp: admission,
// parking and limits; transfer-engine-ending-test.cpp: how transfers end;
// transfer-engine-threads-test.cpp: its threads and concurrent sessions): an
// engine with a served root, clients with tiny reply queues, and what a
// client reads back.

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

namespace fileserver::test {

using namespace std::chrono_literals;
using protocol::Op;
using protocol::ReplyType;

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

inline TransferLimits limits(unsigned max_transfers, unsigned backlog, unsigned per_uid,
                             unsigned waiting_per_uid)
{
	return {max_transfers, backlog, per_uid, waiting_per_uid};
}

inline std::size_t thread_count()
{
	std::size_t n = 0;
	for ([[maybe_unused]] const auto &e : std::filesystem::directory_iterator("/proc/self/task"))
		n++;
	return n;
}

// The thread count once threads that earlier tests joined have left
// /proc (a joined thread may still show there for a moment).
inline std::size_t settled_thread_count()
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
inline void check_stream(const std::vector<Reply> &replies, std::uint64_t id)
{
	REQUIRE_FALSE(replies.empty());
	for (std::size_t i = 0; i < replies.size(); i++) {
		CHECK(replies[i].hdr.request_id == id);
		CHECK(replies[i].hdr.seq == i);
	}
}

// Reads a GET of "big" through to its END and checks it.
inline void read_big(const Client &c, std::uint64_t id)
{
	auto replies = receive_stream(c.q);
	check_stream(replies, id);
	CHECK(data_of(replies) == pattern(10 * kChunk));
	CHECK(end_total(replies.back()) == 10 * kChunk);
}

inline void check_rejected_intact(const Job &job, std::uint64_t id, const Client &c)
{
	CHECK(job.request.id == id);
	CHECK(job.session.get() == c.session.get());
	CHECK(job.context != nullptr);
	CHECK(c.session->in_flight.load() == 1); // the job still holds its session
}

} // namespace fileserver::test
