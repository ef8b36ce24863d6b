// SPDX-License-Identifier: MIT
#pragma once

// A protocol session as the client holds it (docs/protocol.md, "Sessions"):
// a private reply queue whose name is unlinked as soon as the server has
// answered OPEN, the session id and secret from the CHALLENGE, and the
// server queue it was opened on. Requests of the session carry the secret;
// only this process (or root) could read it from the queue.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "client/exchange.h"
#include "protocol/wire.h"
#include "util/error.h"
#include "util/mqueue.h"

namespace fileserver {

class Session
{
public:
	// Creates the reply queue (reclaiming this uid's stale reply queues
	// first if the uid's budget or the system's queues run out), sends OPEN
	// and waits for the CHALLENGE (an ERROR fails with the server's code).
	// Dropped messages are added to @foreign.
	static Result<std::unique_ptr<Session>> open(const ClientOptions &options, ClientShared &shared,
	                                             std::uint64_t &foreign);
	// Sends CLOSE without waiting, from the process that opened it only.
	~Session();
	Session(const Session &) = delete;
	Session &operator=(const Session &) = delete;

	[[nodiscard]] std::uint64_t id() const { return id_; }
	[[nodiscard]] const protocol::Secret &secret() const { return secret_; }
	[[nodiscard]] const std::shared_ptr<const MessageQueue> &server() const { return server_; }
	[[nodiscard]] const MessageQueue &replies() const { return replies_; }
	// A request id not used before in this session: a counter from a
	// random start (the secret, not the id, keeps forged replies out).
	[[nodiscard]] std::uint64_t next_request_id() const
	{
		std::uint64_t id;
		while ((id = next_id_.fetch_add(1)) == 0) {
		}
		return id;
	}
	// Room for the largest reply message.
	[[nodiscard]] std::span<std::uint8_t> buffer() const { return {buf_.get(), buf_size_}; }

	// Whether a request on it can still be served: opened by this process
	// (not inherited through fork), the server queue still linked (a server
	// that went away forgot its sessions), not idle for as long as the
	// server keeps an unused session.
	[[nodiscard]] bool usable() const;
	// Marks the end of a call: the idle time counts from here.
	void used();

private:
	Session() = default;

	std::shared_ptr<const MessageQueue> server_;
	MessageQueue replies_;
	std::unique_ptr<std::uint8_t[]> buf_; // not zeroed: receive() fills it
	std::size_t buf_size_ = 0;
	std::uint64_t id_ = 0;
	protocol::Secret secret_ = {};
	std::uint64_t idle_timeout_usec_ = 0;
	std::uint64_t last_used_usec_ = 0;
	pid_t pid_ = 0;
	mutable std::atomic<std::uint64_t> next_id_{0};
};

} // namespace fileserver
