// SPDX-License-Identifier: MIT
#include "request-receivers.h"

#include "server/path-resolver.h"
#include "util/time-util.h"

namespace fileserver {

RequestReceivers::RequestReceivers(unsigned threads, Take take, Run run, std::function<void()> rest)
        : take_(std::move(take)), run_(std::move(run)), rest_(std::move(rest))
{
	threads_.reserve(threads);
	try {
		for (unsigned i = 0; i < threads; i++)
			threads_.emplace_back([this] { this->run(); });
	} catch (...) {
		stop();
		throw;
	}
}

RequestReceivers::~RequestReceivers()
{
	stop();
}

bool RequestReceivers::wake()
{
	{
		std::lock_guard guard(lock_);
		if (stopping_)
			return false;
		last_request_usec_.store(monotonic_usec(), std::memory_order_relaxed);
		if (busy_)
			return true;
		busy_ = true;
	}
	wake_.notify_all();
	return true;
}

void RequestReceivers::stop()
{
	{
		std::lock_guard guard(lock_);
		stopping_ = true;
	}
	wake_.notify_all();
	for (auto &t : threads_)
		if (t.joinable())
			t.join();
	threads_.clear();
}

void RequestReceivers::run()
{
	const auto pause = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(kPause).count());
	// Requests back to back pass the same directories: each receiver keeps
	// those it passed open while requests keep coming, none while it sleeps.
	cache_dirs_on_this_thread(true);
	for (;;) {
		{
			std::unique_lock guard(lock_);
			if (!busy_ && !stopping_) {
				guard.unlock();
				forget_cached_dirs();
				guard.lock();
			}
			wake_.wait(guard, [this] { return busy_ || stopping_; });
			if (stopping_)
				return;
		}
		auto [received, start] = take_(kSlice);
		if (received)
			last_request_usec_.store(monotonic_usec(), std::memory_order_relaxed);
		if (start) {
			run_(std::move(start));
			continue;
		}
		if (received)
			continue;
		// A slice without a request: after a pause, the queue goes back
		// to mq_notify (registered, then drained: nothing is missed).
		bool rest = false;
		{
			std::lock_guard guard(lock_);
			if (busy_ && !stopping_ && monotonic_usec() - last_request_usec_.load() >= pause) {
				busy_ = false;
				rest = true;
			}
		}
		if (rest)
			rest_();
	}
}

} // namespace fileserver
