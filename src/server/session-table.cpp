// SPDX-License-Identifier: MIT
#include "session-table.h"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include <spdlog/spdlog.h>

#include "server/server-conf.h"
#include "util/constant-time.h"
#include "util/errno-util.h"
#include "util/random.h"

namespace fileserver {

SessionLimits session_limits(const Config &config)
{
	SessionLimits l;
	l.max_sessions = config.max_sessions;
	l.max_per_uid = sessions_per_uid(config);
	l.idle_timeout = config.session_idle_timeout;
	return l;
}

std::string_view to_string(SessionEnd why)
{
	switch (why) {
	case SessionEnd::Close: return "closed by the client";
	case SessionEnd::ClientExit: return "client exited";
	case SessionEnd::Idle: return "idle";
	case SessionEnd::ChallengeTimeout: return "challenge not answered";
	case SessionEnd::Shutdown: return "server stopping";
	case SessionEnd::Discarded: return "challenge not delivered";
	}
	return "unknown";
}

SessionTable::SessionTable(Clock clock) : clock_(std::move(clock)), epoll_(epoll_create1(EPOLL_CLOEXEC))
{
	if (!epoll_)
		throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

SessionTable::~SessionTable()
{
	close_all();
}

// Messages this queue received from OPENs not yet answered by its reader:
// challenges pending and refusals of the current window.
unsigned SessionTable::answered_locked(const QueueKey &key, std::uint64_t now)
{
	unsigned n = 0;
	if (auto c = challenged_per_queue_.find(key); c != challenged_per_queue_.end())
		n += c->second;
	if (auto r = refused_per_queue_.find(key); r != refused_per_queue_.end()) {
		auto window = static_cast<std::uint64_t>(
		        std::chrono::duration_cast<std::chrono::microseconds>(kChallengeTimeout).count());
		if (now - r->second.since_usec >= window)
			refused_per_queue_.erase(r);
		else
			n += r->second.count;
	}
	return n;
}

bool SessionTable::challenge_limit_reached(const struct stat &queue)
{
	std::lock_guard guard(lock_);
	return answered_locked({queue.st_dev, queue.st_ino}, clock_()) >= kMaxChallengedPerQueue;
}

bool SessionTable::charge_refusal(const struct stat &queue)
{
	std::lock_guard guard(lock_);
	QueueKey key{queue.st_dev, queue.st_ino};
	std::uint64_t now = clock_();
	if (answered_locked(key, now) >= kMaxChallengedPerQueue)
		return false;
	Refusals &r = refused_per_queue_[key];
	if (r.count == 0)
		r.since_usec = now;
	r.count++;
	return true;
}

Result<void> SessionTable::create(const std::shared_ptr<Session> &s, const SessionLimits &limits)
{
	s->state.store(SessionState::Challenged);
	s->last_use_usec.store(clock_());
	random_bytes(s->secret);
	std::lock_guard guard(lock_);
	QueueKey key{s->reply_stat.st_dev, s->reply_stat.st_ino};
	if (answered_locked(key, clock_()) >= kMaxChallengedPerQueue)
		return Error{EAGAIN, "too many unanswered challenges in this reply queue"};
	if (sessions_.size() >= limits.max_sessions)
		return Error{EBUSY, "server busy: " + std::to_string(sessions_.size()) + " sessions open"};
	auto u = per_uid_.find(s->uid);
	if (u != per_uid_.end() && u->second >= limits.max_per_uid)
		return Error{EBUSY, "server busy: too many sessions of uid " + std::to_string(s->uid)};
	do
		s->id = random_u64();
	while (s->id == 0 || sessions_.count(s->id));
	struct epoll_event ev = {};
	ev.events = EPOLLIN;
	ev.data.u64 = s->id;
	if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s->pidfd.get(), &ev) < 0) {
		int err = errno;
		return Error{err, "cannot watch the client process: " + errno_string(err)};
	}
	sessions_.emplace(s->id, s);
	per_uid_[s->uid]++;
	challenged_per_queue_[key]++;
	challenged_++;
	return {};
}

std::shared_ptr<Session> SessionTable::lookup(std::uint64_t id, const protocol::Secret &secret)
{
	std::lock_guard guard(lock_);
	auto it = sessions_.find(id);
	if (it == sessions_.end())
		return nullptr;
	Session &s = *it->second;
	if (!equal_constant_time(s.secret, secret) || s.closed.load())
		return nullptr;
	if (s.state.load() == SessionState::Challenged) {
		unchallenge_locked(s);
		s.state.store(SessionState::Active);
	}
	s.last_use_usec.store(clock_());
	return it->second;
}

void SessionTable::unchallenge_locked(const Session &s)
{
	auto q = challenged_per_queue_.find({s.reply_stat.st_dev, s.reply_stat.st_ino});
	if (q != challenged_per_queue_.end() && --q->second == 0)
		challenged_per_queue_.erase(q);
	challenged_--;
}

void SessionTable::erase_locked(std::unordered_map<std::uint64_t, std::shared_ptr<Session>>::iterator it,
                                SessionEnd why)
{
	Session &s = *it->second;
	s.closed.store(true);
	// The pidfd may outlive the table entry (a job holds it): stop watching now.
	epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.pidfd.get(), nullptr);
	if (s.state.load() == SessionState::Challenged)
		unchallenge_locked(s);
	auto u = per_uid_.find(s.uid);
	if (u != per_uid_.end() && --u->second == 0)
		per_uid_.erase(u);
	spdlog::debug("Session {:016x} of uid {} (pid {}) ended: {}", s.id, s.uid, s.pid, to_string(why));
	sessions_.erase(it);
}

bool SessionTable::close(std::uint64_t id, SessionEnd why)
{
	std::lock_guard guard(lock_);
	auto it = sessions_.find(id);
	if (it == sessions_.end())
		return false;
	erase_locked(it, why);
	return true;
}

std::size_t SessionTable::reap()
{
	std::size_t n = 0;
	struct epoll_event events[64];
	for (;;) {
		int r = epoll_wait(epoll_.get(), events, 64, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n;
		for (int i = 0; i < r; i++)
			n += close(events[i].data.u64, SessionEnd::ClientExit) ? 1 : 0;
		if (r < 64)
			return n;
	}
}

std::size_t SessionTable::sweep(const SessionLimits &limits)
{
	std::uint64_t now = clock_();
	auto idle = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(limits.idle_timeout).count());
	auto challenge = static_cast<std::uint64_t>(
	        std::chrono::duration_cast<std::chrono::microseconds>(kChallengeTimeout).count());
	std::size_t n = 0;
	std::lock_guard guard(lock_);
	for (auto it = sessions_.begin(); it != sessions_.end();) {
		auto next = std::next(it);
		Session &s = *it->second;
		std::uint64_t unused = now - std::min(now, s.last_use_usec.load());
		if (s.state.load() == SessionState::Challenged && unused >= challenge) {
			erase_locked(it, SessionEnd::ChallengeTimeout);
			n++;
		} else if (s.in_flight.load() == 0 && unused >= idle) {
			erase_locked(it, SessionEnd::Idle);
			n++;
		}
		it = next;
	}
	for (auto it = refused_per_queue_.begin(); it != refused_per_queue_.end();)
		it = now - it->second.since_usec >= challenge ? refused_per_queue_.erase(it) : std::next(it);
	return n;
}

void SessionTable::close_all()
{
	std::lock_guard guard(lock_);
	while (!sessions_.empty())
		erase_locked(sessions_.begin(), SessionEnd::Shutdown);
}

std::size_t SessionTable::size() const
{
	std::lock_guard guard(lock_);
	return sessions_.size();
}

std::size_t SessionTable::challenged() const
{
	std::lock_guard guard(lock_);
	return challenged_;
}

} // namespace fileserver
