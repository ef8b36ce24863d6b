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
	// @threads: engine threads, which resume parked transfers and take
	// requests while they keep coming. Throws std::system_error if the
	// epoll descriptor, the timer or the quit event cannot be made.
	TransferEngine(unsigned threads, TransferLimits limits, ServerStats &stats,
	               std::function<std::string()> status);
	~TransferEngine() override;
	TransferEngine(const TransferEngine &) = delete;
	TransferEngine &operator=(const TransferEngine &) = delete;

	// Admits @job's transfer (@start: run() it now) if its session, uid and
	// the server may run one more, or queues it in the backlog; @job is
	// left intact unless accepted.
	[[nodiscard]] SubmitResult submit(Job &&job, TransferPtr &start) override;
	void run(TransferPtr transfer) override { drive(std::move(transfer)); }
	[[nodiscard]] bool hold_refusal(Job &job, const Error &err) override;

	// Requests, when the server has no blocking descriptor of its queue to
	// give request receivers: while they keep coming, the engine threads
	// take them off the server queue @fd (readable when one waits), one at a time with
	// @take (receive and admit), and run each on the thread that took it;
	// after kRequestPause without one, @rest hands the queue back to
	// mq_notify. Set once.
	using TakeRequest = std::function<TakenRequest()>;
	void set_request_queue(int fd, TakeRequest take, std::function<void()> rest);
	// Starts watching the request queue (from a notification thread);
	// false if it cannot.
	bool requests_busy();
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
	static constexpr std::chrono::milliseconds kRequestPause{100};
	// A transfer sends at most this many messages in one turn, then lets
	// the thread take other requests and transfers: a client that reads as
	// fast as the server sends holds no thread for long.
	static constexpr unsigned kTurnMessages = 64;
	// Refusals held behind a session's requests in progress: per session,
	// and in all (each holds its request, path included).
	static constexpr unsigned kHeldRefusalsPerSession = 4, kHeldRefusals = 256;

private:
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
	// Waits for room in @t's reply queue (after a full queue, or after its
	// turn: then the queue may have room, and the wait is one epoll pass);
	// false if it cannot (@t is then lost). Its send timeout runs from the
	// last message it sent.
	bool park(const TransferPtr &t);
	void run();
	void resume(std::uint64_t key);
	void sweep();
	void start_waiting_locked(std::vector<TransferPtr> &next);
	void arm_timer(bool on);
	void unwatch_requests_locked();
	void take_request();
	[[nodiscard]] std::optional<Error> expired_locked(const Transfer &t, std::uint64_t since_usec,
	                                                  std::uint64_t now) const;

	std::atomic<bool> aborting_{false};
	TransferEnv env_; // what every transfer shares
	UniqueFD epoll_;
	// Ticks every kSweepInterval while transfers are parked or the request
	// queue is watched (its pause is checked there too).
	UniqueFD timer_;
	UniqueFD quit_fd_;

	mutable std::mutex lock_;
	std::condition_variable idle_;
	TransferLimits limits_;
	std::deque<Job> waiting_;
	std::map<uid_t, UserCount> users_;
	std::unordered_set<const Session *> running_sessions_;
	struct Parked {
		TransferPtr transfer;
		std::uint64_t since_usec; // the last message sent, or the start
	};
	std::unordered_map<std::uint64_t, Parked> parked_; // by epoll key
	std::uint64_t next_key_ = kFirstKey;
	std::size_t running_ = 0; // sending or parked
	std::size_t held_refusals_ = 0;
	std::uint64_t abort_usec_ = 0;
	bool stopping_ = false;
	bool timer_armed_ = false;
	int request_fd_ = -1;
	TakeRequest take_request_;
	std::function<void()> rest_requests_;
	bool watching_requests_ = false;
	std::atomic<std::uint64_t> last_request_usec_{0};
	std::atomic<std::uint64_t> progress_{0};
	std::vector<std::thread> threads_;

	// epoll keys of the timer and the quit event; parked transfers' follow.
	static constexpr std::uint64_t kTimerKey = 0, kQuitKey = 1, kRequestsKey = 2, kFirstKey = 3;
};

} // namespace fileserver
