// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "server/session.h"
#include "util/error.h"
#include "util/unique-fd.h"

namespace fileserver {

struct Config;

// The limits a session table enforces; from the configuration in force.
struct SessionLimits {
	unsigned max_sessions = 1024;
	unsigned max_per_uid = 256;
	std::chrono::milliseconds idle_timeout{60000};
};
SessionLimits session_limits(const Config &config);

// At most this many sessions per reply queue may wait for their client's
// first request: naming someone else's queue earns them this many messages.
inline constexpr unsigned kMaxChallengedPerQueue = 4;
// A session whose client never used its secret is closed after this long.
inline constexpr std::chrono::milliseconds kChallengeTimeout{10000};

enum class SessionEnd {
	Close,
	ClientExit,
	Idle,
	ChallengeTimeout,
	Shutdown,
	Discarded
};
std::string_view to_string(SessionEnd why);

// Every open session, by id. Thread-safe: the dispatcher creates and looks
// up, transfers end, the main loop reaps and sweeps.
class SessionTable
{
public:
	using Clock = std::function<std::uint64_t()>; // monotonic microseconds

	// Throws std::system_error if the epoll descriptor cannot be made.
	explicit SessionTable(Clock clock = monotonic_usec);
	~SessionTable();
	SessionTable(const SessionTable &) = delete;
	SessionTable &operator=(const SessionTable &) = delete;

	// True if the queue (by st_dev/st_ino) has kMaxChallengedPerQueue
	// sessions still in state CHALLENGED.
	[[nodiscard]] bool challenge_limit_reached(const struct stat &queue);

	// Counts an answer other than a challenge (an ERROR refusing an OPEN)
	// against the same per-queue limit: false, and nothing counted, when
	// the queue already had its share within kChallengeTimeout.
	bool charge_refusal(const struct stat &queue);

	// Adds @session (reply queue, its stat, uid, pid and pidfd filled in):
	// gives it a random id and secret, state CHALLENGED. Fails with EBUSY
	// (why: the text for the client) over max_sessions or max_per_uid, and
	// with EAGAIN over the per-queue limit (not to be answered).
	Result<void> create(const std::shared_ptr<Session> &session, const SessionLimits &limits);

	// The open session @id if @secret is its secret (compared in constant
	// time); marks it ACTIVE and used. Null otherwise.
	std::shared_ptr<Session> lookup(std::uint64_t id, const protocol::Secret &secret);

	// Ends session @id (if open): out of the table, marked closed; the
	// descriptors go with the last job that holds it. False if not open.
	bool close(std::uint64_t id, SessionEnd why);

	// Readable when a client process of some session exited.
	[[nodiscard]] int exit_fd() const { return epoll_.get(); }
	// Closes the sessions whose client exited; returns how many.
	std::size_t reap();
	// Closes idle sessions and CHALLENGED ones past kChallengeTimeout.
	std::size_t sweep(const SessionLimits &limits);
	// Closes every session (server stop).
	void close_all();

	[[nodiscard]] std::size_t size() const;
	[[nodiscard]] std::size_t challenged() const;

private:
	using QueueKey = std::pair<dev_t, ino_t>;
	void erase_locked(std::unordered_map<std::uint64_t, std::shared_ptr<Session>>::iterator it,
	                  SessionEnd why);
	void unchallenge_locked(const Session &s);

	Clock clock_;
	UniqueFD epoll_;
	mutable std::mutex lock_;
	std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions_;
	std::map<uid_t, unsigned> per_uid_;
	std::map<QueueKey, unsigned> challenged_per_queue_;
	struct Refusals {
		unsigned count = 0;
		std::uint64_t since_usec = 0;
	};
	// Refusals per queue in the current window; pruned by sweep().
	std::map<QueueKey, Refusals> refused_per_queue_;
	unsigned answered_locked(const QueueKey &key, std::uint64_t now);
	std::size_t challenged_ = 0;
};

} // namespace fileserver
