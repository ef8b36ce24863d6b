// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/job.h"
#include "server/serving-context.h"
#include "server/session-table.h"
#include "util/error.h"
#include "util/mqueue.h"
#include "util/unique-fd.h"

namespace fileserver {

// Takes requests off the server queue and hands those of sessions to the
// transfer engine, which answers what fits at once on this same thread.
//
// The primary path is mq_notify(SIGEV_THREAD): re-register, then drain
// without blocking until EAGAIN. Any process that can open the queue can
// take the registration away (mq_notify then fails with EBUSY), so the loop
// also exposes a fallback: while unregistered, the owner polls the queue
// descriptor, calls drain() and retry_registration() periodically.
// While requests keep coming, the busy hook's threads take them instead
// (take_one()), and rest() hands the queue back to mq_notify.
class RequestLoop
{
public:
	using ContextSource = std::function<std::shared_ptr<const ServingContext>()>;

	// @queue must be O_NONBLOCK. Only one loop may run in a process.
	RequestLoop(const MessageQueue &queue, JobSink &transfers, ContextSource context, ServerStats &stats,
	            SessionTable &sessions);
	~RequestLoop();
	RequestLoop(const RequestLoop &) = delete;
	RequestLoop &operator=(const RequestLoop &) = delete;

	// Registers for notification and drains what is already queued.
	void start();
	// Stops taking requests: drops the registration and waits for a drain in
	// progress on a notification thread. Queued requests stay in the queue.
	void stop();

	// Receives and dispatches until the queue is empty.
	void drain();
	// Called by a notification thread once it drained the queue, instead
	// of registering again: whoever watches the queue while requests keep
	// coming calls take_one() when it is readable, and rest() after a pause.
	// The hook returns false if it cannot watch: the thread registers again.
	void set_busy_hook(std::function<bool()> hook) { busy_hook_ = std::move(hook); }
	// Receives and dispatches one request; its start is to be run once the
	// caller lets another thread take the next.
	TakenRequest take_one();
	// The same, waiting up to @wait for one on @from, a blocking descriptor
	// of the server queue (the request receivers' way); false on timeout.
	// Requests are taken one at a time: a waiter holds the others back.
	TakenRequest take_one(const MessageQueue &from, std::chrono::milliseconds wait);
	void rest();
	// Re-registers and drains if the registration was lost, or if requests
	// wait while no drain ran since the last call (a notification thread
	// that glibc failed to start). Called periodically; true when registered.
	bool check();

	[[nodiscard]] bool registered() const { return registered_.load(); }
	[[nodiscard]] bool stopped() const { return stopping_.load(); }
	// Readable when the loop wants its owner's attention (registration lost).
	[[nodiscard]] int wake_fd() const { return wake_.get(); }
	void clear_wake();
	// Advances on every drain pass: the dispatcher's sign of life.
	[[nodiscard]] std::uint64_t heartbeat() const { return heartbeat_.load(); }

private:
	static void on_notify(union sigval);
	static void notified();
	int arm();
	// Receives one request from @from (waiting up to @wait; 0: not at all)
	// and dispatches it under the dispatch lock.
	TakenRequest receive_one(const MessageQueue &from, std::chrono::milliseconds wait);
	// Returns the transfer to run once the dispatch lock is released.
	TransferPtr dispatch(std::span<const std::uint8_t> msg);
	void dispatch_job(std::span<const std::uint8_t> msg, Job &job, TransferPtr &start);
	void fail_job(Job &job, std::size_t size, const char *what) noexcept;
	void refuse(Job &job, const Error &err);
	void refuse_now(Job &job, const Error &err);
	void log_dropped(std::size_t size, std::string_view why, std::uint64_t now_usec);
	// session-open.cpp: OPEN, and the answer to a version-1 client.
	void open_session(std::size_t size, Job &job);
	bool send_challenge(const Session &session, const protocol::Request &req,
	                    std::chrono::milliseconds idle_timeout);
	void answer_old_version(std::size_t size, Job &job);
	bool old_client_due(const std::string &queue, std::uint64_t now_usec);
	void reject(std::string_view why, std::uint64_t now_usec);

	const MessageQueue &queue_;
	JobSink &transfers_;
	ContextSource context_;
	ServerStats &stats_;
	SessionTable &sessions_;
	std::size_t message_size_ = 0;
	std::function<bool()> busy_hook_;
	std::mutex arm_lock_;
	std::mutex dispatch_lock_;
	UniqueFD wake_;
	std::atomic<bool> registered_{false};
	std::atomic<bool> stopping_{false};
	std::atomic<bool> told_stolen_{false};
	std::atomic<std::uint64_t> heartbeat_{0};
	std::atomic<std::uint64_t> last_drop_log_usec_{0};
	std::atomic<std::uint64_t> last_reject_log_usec_{0};
	std::mutex old_clients_lock_;
	std::unordered_map<std::string, std::uint64_t> old_clients_; // reply queue -> last answer
	std::uint64_t last_check_beat_ = 0;                          // only check() uses it
};

} // namespace fileserver
