// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "server/job.h"

namespace fileserver {

// Threads that take requests off the server queue while they keep coming,
// blocked in the receive itself: the kernel hands a request straight to
// the waiting receiver, with no epoll wake-up and no re-arm, and it answers
// the request at once (a reply that does not fit parks in the transfer
// engine). A notification wakes them (wake(), the request loop's busy
// hook). One listens at a time, so a session's requests are admitted in
// the order they were sent; it wakes another to listen before it serves
// only when the request was queued already (more come than one thread
// takes). After kPause without a request they hand the queue back to
// mq_notify (@rest) and sleep, so an idle server has no thread waiting on
// a clock. A receiver keeps the directories it passed open while it works
// (cache_dirs_on_this_thread()) and drops them before it sleeps.
class RequestReceivers
{
public:
	// Waits up to the given time for a request and dispatches it.
	using Take = std::function<TakenRequest(std::chrono::milliseconds)>;
	using Run = std::function<void(TransferPtr)>;

	// Starts @threads threads, asleep until wake(). Throws std::system_error
	// if a thread cannot be started.
	RequestReceivers(unsigned threads, Take take, Run run, std::function<void()> rest);
	~RequestReceivers();
	RequestReceivers(const RequestReceivers &) = delete;
	RequestReceivers &operator=(const RequestReceivers &) = delete;

	// Requests are coming: receive until the next pause. False once stopped.
	bool wake();
	// Stops taking requests and joins the threads; a receive in progress
	// ends within kSlice. Requests not taken stay in the queue.
	void stop();

	[[nodiscard]] unsigned threads() const { return static_cast<unsigned>(threads_.size()); }

	// The longest single wait in the receive (how long stop() may take);
	// the pause after which the queue goes back to mq_notify.
	static constexpr std::chrono::milliseconds kSlice{25};
	static constexpr std::chrono::milliseconds kPause{100};

private:
	void run();

	Take take_;
	Run run_;
	std::function<void()> rest_;
	std::mutex lock_;
	std::condition_variable wake_;
	bool busy_ = false;
	bool stopping_ = false;
	bool listening_ = false; // a receiver waits in the receive
	std::uint64_t last_request_usec_ = 0;
	std::vector<std::thread> threads_;
};

} // namespace fileserver
