// SPDX-License-Identifier: MIT
// The engine's admission (limits, the backlog, a session's order, held
// refusals) and its shutdown; what its threads do is in
// transfer-engine-threads.cpp.
#include "transfer-engine.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

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
