// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
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

// A client of one server queue. Each call creates its own private reply
// queue, so one Client may be used from several threads. A Client that stays
// up is cheaper per call than one per call: it reads the host's queue limits
// once and keeps the server queue open (reopened if its name is removed).
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
	Client(const Client &other)
	        : options_(other.options_), shared_(other.shared_), foreign_(other.foreign_.load())
	{}
	Client &operator=(const Client &other)
	{
		options_ = other.options_;
		shared_ = other.shared_;
		foreign_.store(other.foreign_.load());
		return *this;
	}

	[[nodiscard]] Result<PingInfo> ping() const;
	// The server's live statistics, a JSON object as text (docs/protocol.md).
	[[nodiscard]] Result<std::string> status() const;
	[[nodiscard]] Result<protocol::Meta> stat(const std::string &path) const;
	[[nodiscard]] Result<Listing> list(const std::string &path) const;
	[[nodiscard]] Result<void> get(const std::string &path, std::uint64_t offset, std::uint64_t length,
	                               const MetaHandler &on_meta, const DataSink &sink) const;

	// Messages dropped in the last call because they were not part of its
	// reply stream (wrong request id or nonce, undecodable). With calls from
	// several threads: in the call that ended last.
	[[nodiscard]] std::uint64_t foreign_messages() const { return foreign_.load(); }
	[[nodiscard]] const ClientOptions &options() const { return options_; }

private:
	ClientOptions options_;
	std::shared_ptr<ClientShared> shared_;
	mutable std::atomic<std::uint64_t> foreign_{0};
};

} // namespace fileserver
