// SPDX-License-Identifier: MIT
#include "worker-pool.h"

#include <signal.h>

namespace fileserver {

WorkerPool::WorkerPool(unsigned workers, std::size_t backlog, Handler handler)
	: handler_(std::move(handler)), backlog_(backlog)
{
	threads_.reserve(workers);
	for (unsigned i = 0; i < workers; i++)
		threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool()
{
	shutdown(std::chrono::milliseconds(0));
}

bool WorkerPool::try_submit(Job &&job)
{
	{
		std::lock_guard guard(lock_);
		std::size_t idle = threads_.size() - busy_;
		if (stopping_ || jobs_.size() >= backlog_ + idle)
			return false;
		jobs_.push_back(std::move(job));
	}
	wake_.notify_one();
	return true;
}

void WorkerPool::run()
{
	std::unique_lock guard(lock_);
	for (;;) {
		wake_.wait(guard, [this] { return stopping_ || !jobs_.empty(); });
		if (jobs_.empty())
			return; // stopping, and nothing left to serve
		Job job = std::move(jobs_.front());
		jobs_.pop_front();
		busy_++;
		guard.unlock();
		handler_(job);
		job = Job{};
		completed_.fetch_add(1);
		guard.lock();
		busy_--;
		if (jobs_.empty() && busy_ == 0)
			idle_.notify_all();
	}
}

std::size_t WorkerPool::shutdown(std::chrono::milliseconds timeout)
{
	std::size_t unfinished = 0;
	{
		std::unique_lock guard(lock_);
		if (threads_.empty())
			return 0;
		stopping_ = true;
		wake_.notify_all();
		if (!idle_.wait_for(guard, timeout, [this] { return jobs_.empty() && busy_ == 0; })) {
			unfinished = jobs_.size() + busy_;
			aborting_.store(true);
		}
	}
	for (auto &t : threads_)
		t.join();
	threads_.clear();
	return unfinished;
}

unsigned WorkerPool::busy() const
{
	std::lock_guard guard(lock_);
	return busy_;
}

std::size_t WorkerPool::waiting() const
{
	std::lock_guard guard(lock_);
	return jobs_.size();
}

} // namespace fileserver
