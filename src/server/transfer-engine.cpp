// SPDX-License-Identifier: MIT
#include "transfer-engine.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "util/errno-util.h"
#include "util/time-util.h"

namespace fileserver {

namespace {

void add_to_epoll(int epoll_fd, int fd, std::uint32_t events, std::uint64_t key)
{
	struct epoll_event ev = {};
	ev.events = events;
	ev.data.u64 = key;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		throw_errno(errno, "epoll_ctl");
}

} // namespace

TransferEngine::TransferEngine(unsigned threads, TransferLimits limits, ServerStats &stats,
                               std::function<std::string()> status)
        : env_{stats, std::move(status), aborting_}, limits_(limits)
{
	epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
	if (!epoll_)
		throw_errno(errno, "epoll_create1");
	timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
	if (!timer_)
		throw_errno(errno, "timerfd_create");
	quit_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (!quit_fd_)
		throw_errno(errno, "eventfd");
	add_to_epoll(epoll_.get(), timer_.get(), EPOLLIN | EPOLLONESHOT, kTimerKey);
	add_to_epoll(epoll_.get(), quit_fd_.get(), EPOLLIN, kQuitKey);
	threads_.reserve(threads);
	for (unsigned i = 0; i < threads; i++)
		threads_.emplace_back([this] { run(); });
}

TransferEngine::~TransferEngine()
{
	stop_accepting();
	if (!wait_idle(std::chrono::milliseconds(0)))
		abort();
	join(std::chrono::milliseconds::max());
}

bool TransferEngine::admissible_locked(const Job &job) const
{
	// A session runs one request at a time, even at abort: replies never
	// interleave, and its queue is in the epoll set once.
	if (running_sessions_.contains(job.session.get()))
		return false;
	if (job.refusal)
		return true; // an ERROR: no limit applies
	if (aborting_.load())
		return true; // it fails at once with ESHUTDOWN
	auto u = users_.find(job.client_uid);
	return running_ < limits_.max_transfers &&
	       (u == users_.end() || u->second.running < limits_.max_per_uid);
}

void TransferEngine::start_locked(const Job &job)
{
	running_++;
	users_[job.client_uid].running++;
	running_sessions_.insert(job.session.get());
}

SubmitResult TransferEngine::submit(Job &&job, TransferPtr &start)
{
	std::lock_guard guard(lock_);
	if (stopping_)
		return SubmitResult::Busy;
	if (admissible_locked(job)) {
		start_locked(job);
		start = std::make_shared<Transfer>(std::move(job), env_);
		return SubmitResult::Accepted;
	}
	if (waiting_.size() >= limits_.backlog)
		return SubmitResult::Busy;
	UserCount &u = users_[job.client_uid];
	if (u.waiting >= limits_.max_waiting_per_uid) {
		if (u.waiting == 0 && u.running == 0)
			users_.erase(job.client_uid);
		return SubmitResult::UserBusy;
	}
	u.waiting++;
	waiting_.push_back(std::move(job));
	return SubmitResult::Accepted;
}

bool TransferEngine::hold_refusal(Job &job, const Error &err)
{
	std::lock_guard guard(lock_);
	const Session *session = job.session.get();
	if (stopping_ || held_refusals_ >= kHeldRefusals)
		return false;
	bool in_progress = running_sessions_.contains(session);
	unsigned held = 0;
	for (const Job &w : waiting_)
		if (w.session.get() == session) {
			in_progress = true;
			held += w.refusal ? 1 : 0;
		}
	if (!in_progress || held >= kHeldRefusalsPerSession)
		return false;
	job.refusal = err;
	waiting_.push_back(std::move(job));
	held_refusals_++;
	return true;
}

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
	auto [received, start] = take_request_();
	if (received)
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
	if (start)
		drive(std::move(start));
}

void TransferEngine::set_limits(TransferLimits limits)
{
	std::vector<TransferPtr> next;
	{
		std::lock_guard guard(lock_);
		limits_ = limits;
		start_waiting_locked(next); // higher limits may let some start
	}
	for (auto &t : next)
		drive(std::move(t));
}

// The waiting requests that may start now, in order: a session, a uid or
// the server at its limit holds back its own, not the others.
void TransferEngine::start_waiting_locked(std::vector<TransferPtr> &next)
{
	if (waiting_.empty())
		return;
	// A session's requests start in the order they came: one held back
	// holds back the rest of its session (a refusal would pass it).
	std::unordered_set<const Session *> held_back;
	for (auto it = waiting_.begin(); it != waiting_.end();) {
		if (held_back.contains(it->session.get()) || !admissible_locked(*it)) {
			held_back.insert(it->session.get());
			++it;
			continue;
		}
		start_locked(*it);
		if (it->refusal)
			held_refusals_--;
		else
			users_[it->client_uid].waiting--;
		next.push_back(std::make_shared<Transfer>(std::move(*it), env_));
		it = waiting_.erase(it);
	}
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

void TransferEngine::end(Transfer &t, std::vector<TransferPtr> &next)
{
	const Session *session = &t.session();
	uid_t uid = t.uid();
	t.finish();
	std::lock_guard guard(lock_);
	running_--;
	running_sessions_.erase(session);
	UserCount &u = users_[uid];
	if (--u.running == 0 && u.waiting == 0)
		users_.erase(uid);
	progress_.fetch_add(1);
	start_waiting_locked(next);
	if (running_ == 0 && waiting_.empty())
		idle_.notify_all();
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

void TransferEngine::stop_accepting()
{
	std::lock_guard guard(lock_);
	stopping_ = true;
	unwatch_requests_locked();
}

bool TransferEngine::wait_idle(std::chrono::milliseconds timeout)
{
	std::unique_lock guard(lock_);
	return idle_.wait_for(guard, timeout, [this] { return running_ == 0 && waiting_.empty(); });
}

std::size_t TransferEngine::abort()
{
	std::vector<TransferPtr> next;
	std::size_t unfinished;
	{
		std::lock_guard guard(lock_);
		unfinished = running_ + waiting_.size();
		abort_usec_ = monotonic_usec();
		aborting_.store(true);
		start_waiting_locked(next); // each fails at once with ESHUTDOWN
		if (!parked_.empty() && !timer_armed_)
			arm_timer(true);
	}
	for (auto &t : next)
		drive(std::move(t));
	return unfinished;
}

bool TransferEngine::join(std::chrono::milliseconds timeout)
{
	{
		std::unique_lock guard(lock_);
		auto idle = [this] { return running_ == 0 && waiting_.empty(); };
		if (timeout == std::chrono::milliseconds::max())
			idle_.wait(guard, idle);
		else if (!idle_.wait_for(guard, timeout, idle))
			return false;
	}
	std::uint64_t one = 1;
	[[maybe_unused]] ssize_t n = write(quit_fd_.get(), &one, sizeof(one));
	for (auto &t : threads_)
		t.join();
	threads_.clear();
	return true;
}

std::size_t TransferEngine::busy() const
{
	std::lock_guard guard(lock_);
	return running_;
}

std::size_t TransferEngine::parked() const
{
	std::lock_guard guard(lock_);
	return parked_.size();
}

std::size_t TransferEngine::waiting() const
{
	std::lock_guard guard(lock_);
	return waiting_.size();
}

} // namespace fileserver
