// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/worker-pool.h"

using namespace fileserver;
using namespace std::chrono_literals;

namespace {

bool submit(WorkerPool &pool, Job &&job)
{
	return pool.try_submit(std::move(job)) == SubmitResult::Accepted;
}

} // namespace

namespace {

// Upper bound for waits that a correct run never comes close to: only a
// hang makes a test wait this long.
constexpr auto kHang = 60s;

// Holds jobs inside the handler until released, and counts how many have
// entered it.
class Gate
{
public:
	void enter()
	{
		std::unique_lock guard(lock_);
		started_++;
		changed_.notify_all();
		changed_.wait(guard, [this] { return open_; });
	}

	void open()
	{
		std::lock_guard guard(lock_);
		open_ = true;
		changed_.notify_all();
	}

	// Waits until @n jobs have entered; false only if that never happens.
	[[nodiscard]] bool wait_started(int n)
	{
		std::unique_lock guard(lock_);
		return changed_.wait_for(guard, kHang, [&] { return started_ >= n; });
	}

	int started()
	{
		std::lock_guard guard(lock_);
		return started_;
	}

private:
	std::mutex lock_;
	std::condition_variable changed_;
	bool open_ = false;
	int started_ = 0;
};

Job make_job(std::uint64_t tag)
{
	Job job;
	job.received_usec = tag; // the request stays default-constructed
	return job;
}

// Polls @pred (which has no condition variable to wait on); false only after kHang.
template<typename Pred>
bool eventually(Pred pred)
{
	auto deadline = std::chrono::steady_clock::now() + kHang;
	while (!pred()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(1ms);
	}
	return true;
}

// Submits probe jobs until try_submit refuses, which with a backlog that
// cannot fill means the pool is stopping. Returns the probes accepted.
std::size_t wait_until_stopping(WorkerPool &pool)
{
	std::size_t accepted = 0;
	bool stopped = eventually([&] {
		if (submit(pool, make_job(1'000'000 + accepted))) {
			accepted++;
			return false;
		}
		return true;
	});
	REQUIRE(stopped);
	return accepted;
}

} // namespace

TEST_SUITE_BEGIN("worker-pool");

TEST_CASE("a handler that throws loses its job only: the worker goes on")
{
	std::atomic<int> done{0};
	WorkerPool pool(1, 4, [&](Job &job) {
		if (job.received_usec == 1)
			throw std::runtime_error("a bug in one request");
		if (job.received_usec == 2)
			throw 42; // not even a std::exception
		done++;
	});
	REQUIRE(submit(pool, make_job(1)));
	REQUIRE(submit(pool, make_job(2)));
	REQUIRE(submit(pool, make_job(3)));
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(done == 1);
	CHECK(pool.completed() == 3);
}

TEST_CASE("every submitted job runs exactly once")
{
	constexpr std::size_t kJobs = 500;
	std::vector<std::atomic<int>> runs(kJobs);
	std::atomic<int> bad_job{0};
	{
		WorkerPool pool(3, 16, [&](Job &job) {
			if (job.context != nullptr || job.request.op != protocol::Op::Ping ||
			    job.received_usec >= kJobs)
				bad_job++;
			else
				runs[job.received_usec]++;
		});
		CHECK(pool.size() == 3);
		for (std::size_t i = 0; i < kJobs; i++) {
			// The backlog may be full for a moment: a refused job is intact
			// and can be submitted again.
			Job job = make_job(i);
			while (!submit(pool, std::move(job))) {
				REQUIRE(job.received_usec == i);
				std::this_thread::yield();
			}
		}
		CHECK(pool.shutdown(kHang) == 0);
		CHECK_FALSE(pool.aborting());
		CHECK(pool.completed() == kJobs);
		CHECK(pool.busy() == 0);
		CHECK(pool.waiting() == 0);
	}
	CHECK(bad_job == 0);
	std::size_t once = 0;
	for (auto &r : runs)
		once += r == 1;
	CHECK(once == kJobs);
}

TEST_CASE("workers run jobs in parallel")
{
	Gate gate;
	WorkerPool pool(3, 0, [&](Job &) { gate.enter(); });
	for (int i = 0; i < 3; i++)
		REQUIRE(submit(pool, make_job(i)));
	// All three are inside the handler at the same time.
	REQUIRE(gate.wait_started(3));
	CHECK(pool.busy() == 3);
	gate.open();
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(pool.completed() == 3);
}

TEST_CASE("try_submit refuses when every worker is busy and the backlog is full")
{
	Gate gate;
	std::atomic<int> ran{0};
	WorkerPool pool(2, 3, [&](Job &) {
		gate.enter();
		ran++;
	});
	REQUIRE(submit(pool, make_job(0)));
	REQUIRE(submit(pool, make_job(1)));
	REQUIRE(gate.wait_started(2));
	CHECK(pool.busy() == 2);
	CHECK(pool.waiting() == 0);

	// The backlog takes three more.
	for (int i = 2; i < 5; i++)
		CHECK(submit(pool, make_job(i)));
	CHECK(pool.waiting() == 3);

	// Then it is full: refused, and the job is left intact for a busy reply.
	Job extra = make_job(42);
	extra.request.path = "still/here";
	CHECK_FALSE(submit(pool, std::move(extra)));
	CHECK(extra.received_usec == 42);
	CHECK(extra.request.path == "still/here");
	CHECK_FALSE(submit(pool, make_job(43)));
	CHECK(pool.waiting() == 3);
	CHECK(pool.busy() == 2);
	CHECK(pool.completed() == 0);
	CHECK(gate.started() == 2);

	gate.open();
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(ran == 5);
	CHECK(pool.completed() == 5);
}

TEST_CASE("a zero backlog accepts only as many jobs as idle workers")
{
	Gate gate;
	WorkerPool pool(1, 0, [&](Job &) { gate.enter(); });
	REQUIRE(submit(pool, make_job(0)));
	REQUIRE(gate.wait_started(1));
	CHECK_FALSE(submit(pool, make_job(1)));
	gate.open();
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(pool.completed() == 1);
}

TEST_CASE("shutdown waits for queued jobs")
{
	Gate gate;
	std::vector<std::atomic<int>> runs(6);
	std::atomic<int> probes{0};
	WorkerPool pool(1, 100000, [&](Job &job) {
		if (job.received_usec == 0)
			gate.enter();
		if (job.received_usec < runs.size())
			runs[job.received_usec]++;
		else
			probes++;
	});
	REQUIRE(submit(pool, make_job(0)));
	REQUIRE(gate.wait_started(1));
	for (std::uint64_t i = 1; i < 6; i++)
		REQUIRE(submit(pool, make_job(i)));
	CHECK(pool.waiting() == 5);

	std::size_t unfinished = 99;
	std::thread stopper([&] { unfinished = pool.shutdown(kHang); });
	// Once the pool refuses jobs, shutdown is waiting: only then let the
	// blocked job go, so that the queued ones run during shutdown.
	std::size_t accepted = wait_until_stopping(pool);
	CHECK(runs[1] == 0);
	gate.open();
	stopper.join();

	CHECK(unfinished == 0);
	CHECK_FALSE(pool.aborting());
	for (std::size_t i = 0; i < runs.size(); i++) {
		CAPTURE(i);
		CHECK(runs[i] == 1);
	}
	CHECK(static_cast<std::size_t>(probes) == accepted);
	CHECK(pool.completed() == 6 + accepted);
	CHECK(pool.waiting() == 0);
	CHECK_FALSE(submit(pool, make_job(7)));
}

TEST_CASE("shutdown with a timeout that strikes raises aborting() and counts the unfinished")
{
	for (auto timeout : {0ms, 1ms}) {
		CAPTURE(timeout.count());
		Gate gate;
		std::atomic<int> ran{0};
		std::atomic<int> saw_aborting{0};
		WorkerPool *self = nullptr;
		WorkerPool pool(1, 10, [&](Job &job) {
			if (job.received_usec == 0)
				gate.enter();
			if (self->aborting())
				saw_aborting++;
			ran++;
		});
		self = &pool;
		REQUIRE(submit(pool, make_job(0)));
		REQUIRE(gate.wait_started(1));
		REQUIRE(submit(pool, make_job(1)));
		REQUIRE(submit(pool, make_job(2)));
		CHECK_FALSE(pool.aborting());

		std::size_t unfinished = 99;
		std::thread stopper([&] { unfinished = pool.shutdown(timeout); });
		// The job stays blocked until the pool gives up on it.
		REQUIRE(eventually([&] { return pool.aborting(); }));
		CHECK(pool.busy() == 1);
		CHECK(ran == 0);
		gate.open();
		stopper.join();

		// One running and two queued when the timeout struck.
		CHECK(unfinished == 3);
		CHECK(pool.aborting());
		// Queued jobs are still handed over, to fail fast on aborting().
		CHECK(ran == 3);
		CHECK(saw_aborting == 3);
		CHECK(pool.completed() == 3);
		CHECK_FALSE(submit(pool, make_job(3)));
		// A second shutdown has nothing left to do.
		CHECK(pool.shutdown(0ms) == 0);
	}
}

TEST_CASE("shutdown of an idle pool with a zero timeout does not abort")
{
	std::atomic<int> ran{0};
	WorkerPool pool(2, 4, [&](Job &) { ran++; });
	REQUIRE(submit(pool, make_job(0)));
	REQUIRE(eventually([&] { return pool.completed() == 1; }));
	CHECK(pool.shutdown(0ms) == 0);
	CHECK_FALSE(pool.aborting());
	CHECK(ran == 1);
	CHECK(pool.size() == 0);
}

TEST_CASE("completed() counts finished jobs only")
{
	Gate gate;
	WorkerPool pool(1, 8, [&](Job &job) {
		if (job.received_usec == 3)
			gate.enter();
	});
	CHECK(pool.completed() == 0);
	for (std::uint64_t i = 0; i < 5; i++)
		REQUIRE(submit(pool, make_job(i)));
	// Jobs 0-2 finish; job 3 blocks; job 4 waits behind it.
	REQUIRE(gate.wait_started(1));
	CHECK(pool.completed() == 3);
	CHECK(pool.busy() == 1);
	CHECK(pool.waiting() == 1);
	gate.open();
	REQUIRE(eventually([&] { return pool.completed() == 5; }));
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(pool.completed() == 5);
}

TEST_CASE("the destructor stops an idle pool")
{
	std::atomic<int> ran{0};
	{
		WorkerPool pool(4, 4, [&](Job &) { ran++; });
		for (int i = 0; i < 4; i++)
			REQUIRE(submit(pool, make_job(i)));
		REQUIRE(eventually([&] { return pool.completed() == 4; }));
	}
	CHECK(ran == 4);
}

TEST_SUITE_END();

namespace {

Job user_job(uid_t uid, std::uint64_t tag)
{
	Job job = make_job(tag);
	job.client_uid = uid;
	return job;
}

} // namespace

TEST_CASE("a uid at its limit of waiting requests gets UserBusy; others still get in")
{
	Gate gate;
	WorkerPool pool(1, 8, [&](Job &) { gate.enter(); });
	pool.set_user_limits({UINT32_MAX, 1});
	REQUIRE(submit(pool, user_job(100, 0)));
	REQUIRE(gate.wait_started(1)); // the only worker is busy
	CHECK(pool.try_submit(user_job(200, 1)) == SubmitResult::Accepted);
	Job extra = user_job(200, 2);
	CHECK(pool.try_submit(std::move(extra)) == SubmitResult::UserBusy);
	CHECK(extra.client_uid == 200); // refused jobs stay intact
	CHECK(pool.try_submit(user_job(300, 3)) == SubmitResult::Accepted);
	CHECK(pool.waiting() == 2);
	gate.open();
	CHECK(pool.shutdown(kHang) == 0);
}

TEST_CASE("a uid at its limit of running transfers does not hold up the others")
{
	std::mutex lock;
	std::vector<std::uint64_t> order;
	Gate gate;
	WorkerPool pool(2, 8, [&](Job &job) {
		{
			std::lock_guard guard(lock);
			order.push_back(job.received_usec);
		}
		if (job.received_usec == 0)
			gate.enter(); // uid 100's first transfer runs until released
	});
	pool.set_user_limits({1, UINT32_MAX});
	REQUIRE(submit(pool, user_job(100, 0)));
	REQUIRE(gate.wait_started(1));
	// Queued first, but uid 100 already runs its one transfer.
	REQUIRE(submit(pool, user_job(100, 1)));
	REQUIRE(submit(pool, user_job(200, 2)));
	REQUIRE(eventually([&] {
		std::lock_guard guard(lock);
		return order.size() == 2;
	}));
	{
		std::lock_guard guard(lock);
		CHECK(order == std::vector<std::uint64_t>{0, 2});
	}
	CHECK(pool.waiting() == 1); // job 1 waits for job 0
	gate.open();
	CHECK(pool.shutdown(kHang) == 0);
	CHECK(order == std::vector<std::uint64_t>{0, 2, 1});
}
