// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/job.h"
#include "server/server-conf.h"
#include "server/transfer.h"
#include "util/unique-fd.h"

namespace fileserver {

// Runs transfers without a thread each. An admitted request's transfer runs
// at once on the thread that submits it (the dispatcher): a reply that fits
// in its queue's free room is answered there, with no hand-off. At a full
// queue the transfer parks: its reply queue descriptor goes into one epoll
// set (a message queue is writable when not full), and one of a few engine
// threads resumes it when there is room. A parked transfer holds its open
// file and its session, no thread and no message buffer; it ends at its
// send timeout, when its session closes (client exit, CLOSE) or when
// shutdown gives up on it.
//
// A session runs one request at a time (replies never interleave in its
// queue); a uid and the server run at most their limit of transfers. A
// request that may not start yet waits in the backlog, in order.
class TransferEngine : public JobSink
{
public:
	// @threads: engine threads that resume parked transfers. Throws
	// std::system_error if the epoll descriptor cannot be made.
	TransferEngine(unsigned threads, TransferLimits limits, ServerStats &stats,
	               std::function<std::string()> status);
	~TransferEngine() override;
	TransferEngine(const TransferEngine &) = delete;
	TransferEngine &operator=(const TransferEngine &) = delete;

	// Starts @job's transfer on this thread if its session, uid and the
	// server may run one more, or queues it in the backlog; @job is left
	// intact unless accepted.
	[[nodiscard]] SubmitResult submit(Job &&job) override;
	// Apply to requests submitted and started from now on.
	void set_limits(TransferLimits limits);

	// Shutdown, in steps so that the caller can ping a watchdog meanwhile:
	// stop taking requests; wait until nothing runs or waits;
	void stop_accepting();
	[[nodiscard]] bool wait_idle(std::chrono::milliseconds timeout);
	// give up: transfers end with ERROR ESHUTDOWN if their queue has room
	// within kAbortSlice; returns how many were unfinished;
	std::size_t abort();
	// and join the engine threads once every transfer ended. False if some
	// did not within @timeout (stuck in a system call): the threads are
	// then left running, and the process must exit without destroying us.
	bool join(std::chrono::milliseconds timeout);

	[[nodiscard]] bool aborting() const { return aborting_.load(std::memory_order_relaxed); }
	[[nodiscard]] unsigned threads() const { return static_cast<unsigned>(threads_.size()); }
	[[nodiscard]] std::size_t busy() const;    // in progress: sending or parked
	[[nodiscard]] std::size_t parked() const;  // waiting for room in their reply queue
	[[nodiscard]] std::size_t waiting() const; // in the backlog
	// Advances when a transfer ends or a parked one moves: proof of progress.
	[[nodiscard]] std::uint64_t progress() const { return progress_.load(); }

	// How often parked transfers are checked for their timeouts and
	// closed sessions, and how long shutdown leaves them to send ERROR.
	static constexpr std::chrono::milliseconds kSweepInterval{100};
	static constexpr std::chrono::milliseconds kAbortSlice{100};

private:
	using TransferPtr = std::shared_ptr<Transfer>;
	struct UserCount {
		unsigned running = 0;
		unsigned waiting = 0;
	};

	bool admissible_locked(const Job &job) const;
	void start_locked(const Job &job);
	// Pumps @t, and whatever it lets start, until each is done or parked.
	void drive(TransferPtr t) noexcept;
	// Ends @t; queues in @next the waiting transfers its end lets start.
	void end(Transfer &t, std::vector<TransferPtr> &next);
	bool park(const TransferPtr &t);
	void run();
	void resume(std::uint64_t key);
	void sweep();
	void start_waiting_locked(std::vector<TransferPtr> &next);
	void arm_timer(bool on);
	[[nodiscard]] std::optional<Error> expired_locked(const Transfer &t, std::uint64_t since_usec,
	                                                  std::uint64_t now) const;

	ServerStats &stats_;
	std::function<std::string()> status_;
	std::atomic<bool> aborting_{false};
	TransferEnv env_;
	UniqueFD epoll_;
	UniqueFD timer_; // ticks every kSweepInterval while transfers are parked
	UniqueFD quit_fd_;

	mutable std::mutex lock_;
	std::condition_variable idle_;
	TransferLimits limits_;
	std::deque<Job> waiting_;
	std::map<uid_t, UserCount> users_;
	std::unordered_set<const Session *> running_sessions_;
	struct Parked {
		TransferPtr transfer;
		std::uint64_t since_usec;
	};
	std::unordered_map<std::uint64_t, Parked> parked_; // by epoll key
	std::uint64_t next_key_ = kFirstKey;
	std::size_t running_ = 0; // sending or parked
	std::uint64_t abort_usec_ = 0;
	bool stopping_ = false;
	bool quit_ = false;
	bool timer_armed_ = false;
	std::atomic<std::uint64_t> progress_{0};
	std::vector<std::thread> threads_;

	// epoll keys of the timer and the quit event; parked transfers' follow.
	static constexpr std::uint64_t kTimerKey = 0, kQuitKey = 1, kFirstKey = 2;
};

} // namespace fileserver
