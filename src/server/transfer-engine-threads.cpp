// SPDX-License-Identifier: MIT
// What the engine's threads do: take requests off the server queue while
// they keep coming (when there are no request receivers), drive transfers,
// park them on a full reply queue and resume them, and sweep the parked
// ones on the timer's tick. Admission, limits and shutdown are in
// transfer-engine.cpp.
#include "transfer-engine.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "util/errno-util.h"
#include "util/time-util.h"

namespace fileserver {

void TransferEngine::set_request_queue(int fd, TakeRequest take, std::function<void()> rest)
{
	std::lock_guard guard(lock_);
	request_fd_ = fd;
	take_request_ = std::move(take);
	rest_requests_ = std::move(rest);
}

bool TransferEngine::requests_busy()
{
	std::lock_guard guard(lock_);
	last_request_usec_.store(monotonic_usec());
	if (watching_requests_)
		return true;
	if (stopping_ || request_fd_ < 0)
		return false;
	// One-shot: the thread woken takes one request and arms the queue again
	// before it runs it, so another thread may take the next meanwhile, and
	// a session's requests are admitted in order. Without it every waiting
	// thread would wake for each request.
	struct epoll_event ev = {};
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = kRequestsKey;
	if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, request_fd_, &ev) < 0) {
		spdlog::error("Cannot watch the server queue with epoll: {}; a notification thread "
		              "serves each request",
		              errno_string(errno));
		return false;
	}
	watching_requests_ = true;
	if (!timer_armed_)
		arm_timer(true);
	return true;
}

void TransferEngine::unwatch_requests_locked()
{
	if (!watching_requests_)
		return;
	epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, request_fd_, nullptr);
	watching_requests_ = false;
}

void TransferEngine::take_request()
{
	{
		// An event from before the queue was handed back is stale.
		std::lock_guard guard(lock_);
		if (!watching_requests_)
			return;
	}
	TakenRequest taken = take_request_();
	if (taken.received)
		last_request_usec_.store(monotonic_usec());
	{
		std::lock_guard guard(lock_);
		if (watching_requests_) {
			struct epoll_event ev = {};
			ev.events = EPOLLIN | EPOLLONESHOT;
			ev.data.u64 = kRequestsKey;
			epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, request_fd_, &ev);
		}
	}
	if (taken.start)
		drive(std::move(taken.start));
}

void TransferEngine::drive(TransferPtr first) noexcept
{
	std::vector<TransferPtr> work;
	work.push_back(std::move(first));
	while (!work.empty()) {
		TransferPtr t = std::move(work.back());
		work.pop_back();
		Transfer::Step step = t->pump(kTurnMessages);
		if (step != Transfer::Step::Done && park(t))
			continue;
		end(*t, work);
	}
}

bool TransferEngine::park(const TransferPtr &t)
{
	int fd = t->session().reply.get();
	std::lock_guard guard(lock_);
	std::uint64_t key = next_key_++;
	struct epoll_event ev = {};
	ev.events = EPOLLOUT | EPOLLONESHOT;
	ev.data.u64 = key;
	// A session's queue stays in the set between its transfers (disarmed,
	// or armed with the key of a transfer that ended: a stale key finds
	// nothing); closing the queue takes it out.
	int r = epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
	if (r < 0 && errno == ENOENT)
		r = epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
	if (r < 0) {
		int err = errno;
		t->give_up(Error::from_errno(err, "cannot wait for room in the reply queue: " +
		                                          errno_string(err)));
		return false;
	}
	parked_.emplace(key, Parked{t, t->last_sent_usec()});
	if (!timer_armed_)
		arm_timer(true);
	return true;
}

void TransferEngine::arm_timer(bool on)
{
	struct itimerspec its = {};
	if (on) {
		auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(kSweepInterval).count();
		its.it_value.tv_nsec = ns;
		its.it_interval.tv_nsec = ns;
	}
	if (timerfd_settime(timer_.get(), 0, &its, nullptr) == 0)
		timer_armed_ = on;
}

void TransferEngine::run()
{
	struct epoll_event events[16];
	for (;;) {
		int n = epoll_wait(epoll_.get(), events, 16, -1);
		if (n < 0 && errno != EINTR) {
			spdlog::critical("epoll_wait in the transfer engine failed: {}", errno_string(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			std::uint64_t key = events[i].data.u64;
			if (key == kQuitKey)
				return;
			if (key == kTimerKey)
				sweep();
			else if (key == kRequestsKey)
				take_request();
			else
				resume(key);
		}
	}
}

void TransferEngine::resume(std::uint64_t key)
{
	TransferPtr t;
	{
		std::lock_guard guard(lock_);
		auto it = parked_.find(key);
		if (it == parked_.end())
			return; // the sweep ended it first
		t = std::move(it->second.transfer);
		parked_.erase(it);
	}
	progress_.fetch_add(1);
	drive(std::move(t));
}

std::optional<Error> TransferEngine::expired_locked(const Transfer &t, std::uint64_t since_usec,
                                                    std::uint64_t now) const
{
	const Session &s = t.session();
	if (s.closed.load()) {
		struct pollfd p = {s.pidfd.get(), POLLIN, 0};
		if (s.pidfd && poll(&p, 1, 0) > 0)
			return Error{ESRCH, "client exited"};
		return Error{ECANCELED, "session closed"};
	}
	// A shutdown that gave up waiting leaves one slice for room: a slow
	// reader still gets the ERROR ESHUTDOWN that tells it why.
	auto slice = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(kAbortSlice).count());
	if (aborting_.load() && now - abort_usec_ >= slice)
		return Error{ESHUTDOWN, "cut off by the shutdown timeout"};
	auto timeout = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(t.send_timeout()).count());
	if (now - since_usec >= timeout)
		return Error{ETIMEDOUT, "client stopped reading (send timed out)"};
	return std::nullopt;
}

// On the timer's tick, on one thread at a time (the timer is one-shot in
// the epoll set until re-armed here).
void TransferEngine::sweep()
{
	std::uint64_t ticks;
	[[maybe_unused]] ssize_t n = read(timer_.get(), &ticks, sizeof(ticks));
	std::vector<std::pair<TransferPtr, Error>> expired;
	bool rest = false;
	{
		std::lock_guard guard(lock_);
		std::uint64_t now = monotonic_usec();
		auto pause = static_cast<std::uint64_t>(
		        std::chrono::duration_cast<std::chrono::microseconds>(kRequestPause).count());
		if (watching_requests_ && now - last_request_usec_.load() >= pause) {
			unwatch_requests_locked();
			rest = true;
		}
		for (auto it = parked_.begin(); it != parked_.end();) {
			if (auto why = expired_locked(*it->second.transfer, it->second.since_usec, now)) {
				expired.emplace_back(std::move(it->second.transfer), std::move(*why));
				it = parked_.erase(it);
			} else
				++it;
		}
		if (parked_.empty() && !watching_requests_)
			arm_timer(false);
		struct epoll_event ev = {};
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.u64 = kTimerKey;
		epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, timer_.get(), &ev);
	}
	// Registered again and drained: requests arriving from now on notify.
	if (rest)
		rest_requests_();
	std::vector<TransferPtr> next;
	for (auto &[t, why] : expired) {
		t->give_up(std::move(why));
		end(*t, next);
	}
	for (auto &t : next)
		drive(std::move(t));
}

} // namespace fileserver
