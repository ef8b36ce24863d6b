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
		last_request_usec_ = monotonic_usec();
		if (busy_)
			return true;
		busy_ = true;
	}
	wake_.notify_one(); // one listens; it wakes another when it needs one
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

// One receiver listens at a time (the request loop's dispatch lock would
// serialise more anyway). It hands listening on before it serves only if
// the request was queued already: more come than one thread takes. At one
// request at a time, one thread receives and serves them all, with no
// wake-up of another in between; at more, they all end up working.
void RequestReceivers::run()
{
	const auto pause = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(kPause).count());
	// Requests back to back pass the same directories: each receiver keeps
	// those it passed open while requests keep coming, none while it sleeps.
	cache_dirs_on_this_thread(true);
	std::unique_lock guard(lock_);
	for (;;) {
		if (!busy_ && !stopping_) {
			guard.unlock();
			forget_cached_dirs();
			guard.lock();
		}
		wake_.wait(guard, [this] { return stopping_ || (busy_ && !listening_); });
		if (stopping_)
			return;
		listening_ = true;
		guard.unlock();
		TakenRequest taken = take_(kSlice);
		guard.lock();
		listening_ = false;
		if (taken.received) {
			last_request_usec_ = monotonic_usec();
			if (taken.queued)
				wake_.notify_one();
			if (taken.start) {
				guard.unlock();
				run_(std::move(taken.start));
				guard.lock();
			}
			continue;
		}
		// A slice without a request: after a pause, the queue goes back
		// to mq_notify (registered, then drained: nothing is missed).
		if (busy_ && !stopping_ && monotonic_usec() - last_request_usec_ >= pause) {
			busy_ = false;
			guard.unlock();
			rest_();
			guard.lock();
		}
	}
}

} // namespace fileserver
