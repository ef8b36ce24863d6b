// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "server/request-receivers.h"
#include "server/transfer.h"

using namespace fileserver;
using namespace std::chrono_literals;

namespace {

// A server queue stand-in: requests put in are taken, one at a time as the
// request loop does; an empty one waits out the receiver's slice.
struct FakeIntake {
	std::mutex lock;
	std::deque<std::pair<TransferPtr, bool>> requests; // and whether it counts as queued
	std::set<std::thread::id> takers;
	std::atomic<unsigned> takes{0}, rests{0};
	std::mutex ran_lock;
	std::set<Transfer *> ran;

	ServerStats stats;
	std::atomic<bool> aborting{false};
	TransferEnv env{stats, [] { return std::string("{}"); }, aborting};

	TransferPtr put(bool queued = false)
	{
		auto t = std::make_shared<Transfer>(Job{}, env);
		std::lock_guard guard(lock);
		requests.emplace_back(t, queued);
		return t;
	}

	TakenRequest take(std::chrono::milliseconds wait)
	{
		takes++;
		{
			std::lock_guard guard(lock);
			takers.insert(std::this_thread::get_id());
			if (!requests.empty()) {
				auto [t, queued] = std::move(requests.front());
				requests.pop_front();
				return {true, std::move(t), queued};
			}
		}
		std::this_thread::sleep_for(wait);
		return {};
	}

	RequestReceivers make(unsigned threads)
	{
		return RequestReceivers(
		        threads, [this](std::chrono::milliseconds w) { return take(w); },
		        [this](TransferPtr t) {
			        // Serving takes a while: another receiver may listen meanwhile.
			        std::this_thread::sleep_for(5ms);
			        std::lock_guard guard(ran_lock);
			        ran.insert(t.get());
		        },
		        [this] { rests++; });
	}

	bool ran_all(const std::vector<TransferPtr> &ts)
	{
		std::lock_guard guard(ran_lock);
		for (auto &t : ts)
			if (!ran.count(t.get()))
				return false;
		return true;
	}
};

// Polls @done for up to 10 s: a bound for a broken build, not a timing.
template<typename F>
bool eventually(F done)
{
	for (int i = 0; i < 1000; i++) {
		if (done())
			return true;
		std::this_thread::sleep_for(10ms);
	}
	return done();
}

} // namespace

TEST_SUITE_BEGIN("request-receivers");

TEST_CASE("receivers sleep until woken, take requests while they come, and rest after a pause")
{
	FakeIntake in;
	RequestReceivers r = in.make(2);
	CHECK(r.threads() == 2);
	std::vector<TransferPtr> first{in.put(), in.put(), in.put()};
	std::this_thread::sleep_for(50ms);
	CHECK(in.takes == 0); // asleep: the notification thread has the queue

	REQUIRE(r.wake());
	CHECK(eventually([&] { return in.ran_all(first); }));
	// A pause without requests hands the queue back to mq_notify, once,
	// and the receivers sleep again: no thread waits on a clock.
	CHECK(eventually([&] { return in.rests == 1; }));
	std::this_thread::sleep_for(RequestReceivers::kSlice * 2);
	unsigned takes = in.takes;
	std::this_thread::sleep_for(RequestReceivers::kPause);
	CHECK(in.takes == takes);
	CHECK(in.rests == 1);

	// The next notification wakes them again.
	std::vector<TransferPtr> second{in.put()};
	REQUIRE(r.wake());
	CHECK(eventually([&] { return in.ran_all(second); }));
	CHECK(eventually([&] { return in.rests == 2; }));
}

TEST_CASE("one receiver takes requests that come one at a time; queued ones wake another")
{
	FakeIntake in;
	RequestReceivers r = in.make(3);
	std::this_thread::sleep_for(200ms); // all asleep: a thread not yet waiting may listen at once
	REQUIRE(r.wake());
	for (int i = 0; i < 5; i++) {
		std::vector<TransferPtr> one{in.put()};
		CHECK(eventually([&] { return in.ran_all(one); }));
	}
	{
		std::lock_guard guard(in.lock);
		CHECK(in.takers.size() == 1); // the others never woke
	}
	std::vector<TransferPtr> queued{in.put(true), in.put(true)};
	CHECK(eventually([&] { return in.ran_all(queued); }));
	CHECK(eventually([&] {
		std::lock_guard guard(in.lock);
		return in.takers.size() >= 2; // another one listened
	}));
}

TEST_CASE("stop() ends the receivers, even in the middle of a wait, and leaves the rest")
{
	FakeIntake in;
	RequestReceivers r = in.make(2);
	REQUIRE(r.wake());
	CHECK(eventually([&] { return in.takes > 0; }));
	r.stop();
	CHECK(r.threads() == 0);
	CHECK_FALSE(r.wake());
	unsigned takes = in.takes;
	TransferPtr left = in.put();
	std::this_thread::sleep_for(50ms);
	CHECK(in.takes == takes);
	CHECK_FALSE(in.ran_all({left}));
	r.stop(); // again: nothing to do
}

TEST_SUITE_END();
