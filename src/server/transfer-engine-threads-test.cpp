// SPDX-License-Identifier: MIT
// The transfer engine: its threads take requests, do not grow with parked transfers, and keep concurrent
// sessions' replies whole.
#include <doctest/doctest.h>

#include "server/transfer-engine-test-helpers.h"

// In the helpers' namespace, which has the names these tests use.
namespace fileserver::test {

TEST_SUITE_BEGIN("transfer-engine");

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

} // namespace fileserver::test
