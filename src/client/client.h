// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/exchange.h"
#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver {

struct PingInfo {
	protocol::Pong pong;
	std::chrono::microseconds round_trip{0};
};

struct Listing {
	protocol::Meta dir;
	std::vector<protocol::Entry> entries; // in the server's order
};

// A client of one server queue. It opens a protocol session at its first
// call (client/session.h) and uses it for every call after: a Client that
// stays up is much cheaper per call than one per call. Calls on one Client
// are serialised (one request in flight per session), so it may be shared
// between threads but does not run their calls in parallel; a copy has a
// session of its own (opened at its first call) and shares only the host's
// queue limits and the open server queue, so copies do run in parallel.
// A call on a session the server no longer knows (it was restarted) that
// times out without a reply is retried once on a new session. The session
// is closed when the Client is destroyed.
//
// Every call returns a Result: on failure an Error whose code is the
// server's errno (from an ERROR reply) or one of the client's own codes in
// client/exchange.h (kErrNoServer, kErrTimedOut, kErrProtocol, ...).
class Client
{
public:
	// Receives file data in order; returns 0 or -errno to abort (the call
	// then fails with kErrLocal, why naming the errno).
	using DataSink = std::function<int(std::span<const std::uint8_t>)>;
	// Called once with the file's metadata before any data.
	using MetaHandler = std::function<void(const protocol::Meta &)>;

	explicit Client(ClientOptions options);
	Client(const Client &other);
	Client &operator=(const Client &other);
	~Client();

	// Opens the session now if none is open (calls open one when needed).
	[[nodiscard]] Result<void> connect() const;
	[[nodiscard]] Result<PingInfo> ping() const;
	// The server's live statistics, a JSON object as text (docs/protocol.md).
	[[nodiscard]] Result<std::string> status() const;
	[[nodiscard]] Result<protocol::Meta> stat(const std::string &path) const;
	[[nodiscard]] Result<Listing> list(const std::string &path) const;
	[[nodiscard]] Result<void> get(const std::string &path, std::uint64_t offset, std::uint64_t length,
	                               const MetaHandler &on_meta, const DataSink &sink) const;
	// Sends the request of a GET now, for the next get() with the same
	// arguments to take its reply: the server prepares it while the
	// caller finishes what it does. One at a time (while one is pending,
	// this does nothing); any other call first closes the session, the
	// pending GET's replies with it (the next call opens another).
	[[nodiscard]] Result<void> get_ahead(const std::string &path, std::uint64_t offset,
	                                     std::uint64_t length) const;

	// Messages dropped in the last call because they were not part of its
	// reply stream (wrong request id or secret, undecodable).
	[[nodiscard]] std::uint64_t foreign_messages() const { return foreign_.load(); }
	[[nodiscard]] const ClientOptions &options() const { return options_; }

private:
	struct SessionSlot; // this object's session and the lock of its calls
	struct Ahead;       // a GET sent ahead of its call
	// What a GET asks for: a GET sent ahead is taken by the get() that
	// asks for the same.
	struct GetKey {
		std::string_view path;
		std::uint64_t offset = 0;
		std::uint64_t length = 0;
	};

	// Runs @body on the session, opening one first if there is none. A GET
	// sent ahead that @takes does not name is dropped with the session.
	Result<void> call(const std::function<Result<void>(Exchange &)> &body,
	                  const GetKey *takes = nullptr) const;

	ClientOptions options_;
	std::shared_ptr<ClientShared> shared_;
	std::unique_ptr<SessionSlot> slot_;
	mutable std::atomic<std::uint64_t> foreign_{0};
};

} // namespace fileserver
