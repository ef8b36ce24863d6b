// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "protocol/wire.h"
#include "util/mqueue.h"
#include "util/time-util.h"
#include "util/unique-fd.h"

namespace fileserver {

enum class SessionState {
	Challenged, // CHALLENGE sent, no request with the secret seen yet
	Active,     // the client proved it reads the reply queue
};

// One client session (protocol 2). Shared by the session table and the jobs
// that serve its requests: its reply queue and pidfd close when the last of
// them lets go, so a transfer never writes to a reused descriptor.
struct Session {
	std::uint64_t id = 0;
	protocol::Secret secret = {};
	std::string reply_queue; // the name, for logs
	MessageQueue reply;      // O_WRONLY | O_NONBLOCK
	struct stat reply_stat = {};
	std::size_t message_size = 0;
	uid_t uid = static_cast<uid_t>(-1); // the reply queue's owner: the client
	pid_t pid = 0;
	UniqueFD pidfd; // readable once the client process exits

	// Set once the session ends (CLOSE, client exit, idle, shutdown): its
	// transfers stop at their next send.
	std::atomic<bool> closed{false};
	std::atomic<SessionState> state{SessionState::Challenged};
	std::atomic<std::uint64_t> last_use_usec{0};
	std::atomic<unsigned> in_flight{0}; // jobs accepted and not finished
};

// A job's hold on its session: counts the job as in flight (a session with
// requests in flight is never idle) and marks the session used when the job
// ends. Move-only; empty when default-constructed.
class SessionRef
{
public:
	SessionRef() = default;
	SessionRef(std::shared_ptr<Session> session, std::uint64_t now_usec) : s_(std::move(session))
	{
		if (s_) {
			s_->in_flight.fetch_add(1);
			s_->last_use_usec.store(now_usec);
		}
	}
	SessionRef(SessionRef &&other) noexcept = default;
	SessionRef &operator=(SessionRef &&other) noexcept
	{
		release();
		s_ = std::move(other.s_);
		return *this;
	}
	SessionRef(const SessionRef &) = delete;
	SessionRef &operator=(const SessionRef &) = delete;
	~SessionRef() { release(); }

	[[nodiscard]] Session *get() const { return s_.get(); }
	Session *operator->() const { return s_.get(); }
	Session &operator*() const { return *s_; }
	explicit operator bool() const { return s_ != nullptr; }

private:
	void release() noexcept
	{
		if (auto s = std::exchange(s_, nullptr)) {
			s->last_use_usec.store(monotonic_usec());
			s->in_flight.fetch_sub(1);
		}
	}

	std::shared_ptr<Session> s_;
};

} // namespace fileserver
