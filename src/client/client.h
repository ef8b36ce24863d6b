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

#include "protocol/wire.h"

namespace fileserver {

// How a client call ended; the CLI's exit code is this value.
enum class ClientStatus : int {
	Ok = 0,
	Failed = 1, // local error (output, mqueue budget) or a server-side I/O error
	Usage = 2,  // used by the CLI only
	NotFound = 3,
	Refused = 4,     // refused path or request
	Unreachable = 5, // no server, or it timed out
	Protocol = 6,    // malformed or inconsistent reply stream
	Busy = 7,        // the server is saturated: try again later
};

struct ClientResult {
	ClientStatus status = ClientStatus::Ok;
	int code = 0; // errno from the server or the local system, if any
	std::string message;
	[[nodiscard]] bool ok() const { return status == ClientStatus::Ok; }
};

struct ClientOptions {
	std::string queue = "/fileserver";
	// Longest wait for the request to be accepted and for each reply message.
	std::chrono::milliseconds timeout{10000};
};

struct PingInfo {
	protocol::Pong pong;
	std::chrono::microseconds round_trip{0};
};

struct ReplyQueueSize {
	long max_messages = 0;
	long message_size = 0;
};

// Picks the reply queue size: the largest message size the host allows,
// as many messages as fit in a quarter of the per-user budget, at most the
// host's msg_max (see docs/protocol.md).
ReplyQueueSize preferred_reply_queue_size();

// A client of one server queue. Each call creates its own private reply
// queue, so one Client may be used from several threads. A Client that stays
// up is cheaper per call than one per call: it reads the host's queue limits
// once and keeps the server queue open (reopened if its name is removed).
class Client
{
public:
	// Receives file data in order; returns 0 or -errno to abort.
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

	ClientResult ping(PingInfo &out) const;
	// The server's live statistics, a JSON object (see docs/protocol.md).
	ClientResult status(std::string &json) const;
	ClientResult stat(const std::string &path, protocol::Meta &out) const;
	ClientResult list(const std::string &path, protocol::Meta &dir,
	                  std::vector<protocol::Entry> &entries) const;
	ClientResult get(const std::string &path, std::uint64_t offset, std::uint64_t length,
	                 const MetaHandler &on_meta, const DataSink &sink) const;

	// Messages dropped in the last call because they were not part of its
	// reply stream (wrong request id or nonce, undecodable). With calls from
	// several threads: in the call that ended last.
	[[nodiscard]] std::uint64_t foreign_messages() const { return foreign_.load(); }

	// What the calls share: the reply queue size, the open server queue.
	struct Shared;

private:
	ClientOptions options_;
	std::shared_ptr<Shared> shared_;
	mutable std::atomic<std::uint64_t> foreign_{0};
};

} // namespace fileserver
