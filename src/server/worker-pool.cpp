// SPDX-License-Identifier: MIT
#include "worker-pool.h"

#include <signal.h>

namespace fileserver {

WorkerPool::WorkerPool(unsigned workers, std::size_t backlog, Handler handler)
        : handler_(std::move(handler)), backlog_(backlog)
{
	threads_.reserve(workers);
	running_threads_ = workers;
	for (unsigned i = 0; i < workers; i++)
		threads_.emplace_back([this] {
			run();
			std::lock_guard guard(lock_);
			running_threads_--;
			idle_.notify_all();
		});
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
	stop_accepting();
	std::size_t unfinished = wait_idle(timeout) ? 0 : abort();
	join(std::chrono::milliseconds::max());
	return unfinished;
}

void WorkerPool::stop_accepting()
{
	{
		std::lock_guard guard(lock_);
		stopping_ = true;
	}
	wake_.notify_all();
}

bool WorkerPool::wait_idle(std::chrono::milliseconds timeout)
{
	std::unique_lock guard(lock_);
	return idle_.wait_for(guard, timeout, [this] { return jobs_.empty() && busy_ == 0; });
}

std::size_t WorkerPool::abort()
{
	std::lock_guard guard(lock_);
	aborting_.store(true);
	return jobs_.size() + busy_;
}

bool WorkerPool::join(std::chrono::milliseconds timeout)
{
	{
		std::unique_lock guard(lock_);
		if (timeout == std::chrono::milliseconds::max())
			idle_.wait(guard, [this] { return running_threads_ == 0; });
		else if (!idle_.wait_for(guard, timeout, [this] { return running_threads_ == 0; }))
			return false;
	}
	for (auto &t : threads_)
		t.join();
	threads_.clear();
	return true;
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
