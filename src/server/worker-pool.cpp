// SPDX-License-Identifier: MIT
#include "worker-pool.h"

#include <signal.h>

#include <exception>

#include <spdlog/spdlog.h>

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

SubmitResult WorkerPool::try_submit(Job &&job)
{
	{
		std::lock_guard guard(lock_);
		std::size_t idle = threads_.size() - busy_;
		if (stopping_ || jobs_.size() >= backlog_ + idle)
			return SubmitResult::Busy;
		UserCount &u = users_[job.client_uid];
		if (u.waiting >= limits_.max_waiting) {
			if (u.waiting == 0 && u.running == 0)
				users_.erase(job.client_uid);
			return SubmitResult::UserBusy;
		}
		u.waiting++;
		jobs_.push_back(std::move(job));
	}
	wake_.notify_one();
	return SubmitResult::Accepted;
}

void WorkerPool::set_user_limits(UserLimits limits)
{
	{
		std::lock_guard guard(lock_);
		limits_ = limits;
	}
	wake_.notify_all();
}

// The first queued job whose uid may start one more transfer: FIFO among
// those, so that a uid at its limit does not hold up the others. Once
// aborting, any job goes (it fails fast).
std::deque<Job>::iterator WorkerPool::next_job()
{
	for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
		auto u = users_.find(it->client_uid);
		if (aborting_.load() || u == users_.end() || u->second.running < limits_.max_running)
			return it;
	}
	return jobs_.end();
}

void WorkerPool::run()
{
	std::unique_lock guard(lock_);
	for (;;) {
		std::deque<Job>::iterator it;
		wake_.wait(guard, [&] {
			it = next_job();
			return it != jobs_.end() || (stopping_ && jobs_.empty());
		});
		if (it == jobs_.end())
			return; // stopping, and nothing left to serve
		Job job = std::move(*it);
		jobs_.erase(it);
		uid_t uid = job.client_uid;
		users_[uid].waiting--;
		users_[uid].running++;
		busy_++;
		guard.unlock();
		run_guarded(job);
		job = Job{};
		completed_.fetch_add(1);
		guard.lock();
		busy_--;
		UserCount &u = users_[uid];
		if (--u.running == 0 && u.waiting == 0)
			users_.erase(uid);
		// A job of this uid may have been held back by its limit. With no
		// job queued there is none: waking the idle workers for nothing
		// cost a context switch each, per request.
		if (!jobs_.empty())
			wake_.notify_all();
		if (jobs_.empty() && busy_ == 0)
			idle_.notify_all();
	}
}

// A thread boundary: the handler fails its own requests, so an exception
// here is a bug in it; it must not take the worker, or the process, along.
void WorkerPool::run_guarded(Job &job) noexcept
{
	try {
		handler_(job);
	} catch (const std::exception &e) {
		log_handler_failure(e.what());
	} catch (...) {
		log_handler_failure("unknown exception");
	}
}

void WorkerPool::log_handler_failure(const char *what) noexcept
{
	try {
		spdlog::error("A worker's request failed: {}", what);
	} catch (...) {
		// Nothing left to tell it with.
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
	std::size_t unfinished;
	{
		std::lock_guard guard(lock_);
		aborting_.store(true);
		unfinished = jobs_.size() + busy_;
	}
	wake_.notify_all(); // jobs held back by their uid's limit go now, to fail fast
	return unfinished;
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
