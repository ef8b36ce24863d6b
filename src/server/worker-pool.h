// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <map>
#include <sys/stat.h>
#include <sys/types.h>

#include "protocol/wire.h"
#include "server/session.h"

namespace fileserver {

struct ServingContext;

// A request taken off the server queue, with the configuration it was
// accepted under: a reload never changes a transfer midway.
struct Job {
	protocol::Request request;
	std::shared_ptr<const ServingContext> context;
	std::uint64_t received_usec = 0;
	// The client's session: its reply queue, and its uid (the queue's
	// owner, proven by the challenge), which fairness keys on.
	SessionRef session;
	uid_t client_uid = static_cast<uid_t>(-1);
};

// Per-client-uid limits, so that one user cannot take every worker and the
// whole backlog.
struct UserLimits {
	unsigned max_running = UINT32_MAX; // transfers in progress
	unsigned max_waiting = UINT32_MAX; // accepted, waiting for a worker
};

enum class SubmitResult {
	Accepted,
	Busy,     // all workers and the backlog are in use
	UserBusy, // this uid is at its limit of waiting requests
};

// A fixed set of worker threads fed from a bounded backlog.
class WorkerPool
{
public:
	using Handler = std::function<void(Job &)>;

	WorkerPool(unsigned workers, std::size_t backlog, Handler handler);
	~WorkerPool();
	WorkerPool(const WorkerPool &) = delete;
	WorkerPool &operator=(const WorkerPool &) = delete;

	// Queues @job unless the backlog, or its uid's share of it, is full;
	// @job is left intact unless accepted.
	[[nodiscard]] SubmitResult try_submit(Job &&job);
	// Applies to jobs accepted and started from now on.
	void set_user_limits(UserLimits limits);

	// Stops taking jobs and waits up to @timeout for queued and running ones
	// to finish; then raises aborting() so transfers give up, and joins.
	// Returns the number of jobs still unfinished when the timeout struck.
	std::size_t shutdown(std::chrono::milliseconds timeout);

	// The steps of shutdown(), for a caller that must keep doing something
	// (watchdog pings) while it waits:
	void stop_accepting();
	// True once nothing is queued or running; waits up to @timeout.
	bool wait_idle(std::chrono::milliseconds timeout);
	// Raises aborting(); returns the number of jobs unfinished.
	std::size_t abort();
	// Joins the workers if they all finish within @timeout; false if some
	// are stuck (in a system call that does not return), which are then
	// left running: the process must exit without destroying the pool.
	bool join(std::chrono::milliseconds timeout);

	// True once shutdown gave up waiting: transfers stop at the next chunk.
	[[nodiscard]] bool aborting() const { return aborting_.load(std::memory_order_relaxed); }

	[[nodiscard]] unsigned size() const { return static_cast<unsigned>(threads_.size()); }
	[[nodiscard]] unsigned busy() const;
	[[nodiscard]] std::size_t waiting() const;
	// Advanced by every worker after each job: proof of progress.
	[[nodiscard]] std::uint64_t completed() const { return completed_.load(); }

private:
	void run();
	void run_guarded(Job &job) noexcept;
	static void log_handler_failure(const char *what) noexcept;
	std::deque<Job>::iterator next_job();

	Handler handler_;
	std::size_t backlog_;
	mutable std::mutex lock_;
	std::condition_variable wake_;
	std::condition_variable idle_;
	unsigned running_threads_ = 0; // workers whose run() has not returned
	std::deque<Job> jobs_;
	UserLimits limits_;
	struct UserCount {
		unsigned running = 0;
		unsigned waiting = 0;
	};
	std::map<uid_t, UserCount> users_;
	unsigned busy_ = 0;
	bool stopping_ = false;
	std::atomic<bool> aborting_{false};
	std::atomic<std::uint64_t> completed_{0};
	std::vector<std::thread> threads_;
};

} // namespace fileserver
