// SPDX-License-Identifier: MIT
#pragma once

// The benchmark's only calls into the client library (src/client/): when its
// API changes, this file and client-calls.cpp are the ones to adapt.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver {
class Client;
}

namespace fileserver::bench {

struct Received {
	std::uint64_t bytes = 0;
	std::uint32_t chunk_size = 0; // from META: the reply queue's payload size
};

// One Client that stays up (as a real client would), with a 10 s timeout:
// one protocol session, opened at the first call and kept for all calls
// (which it serialises, as Client does).
class BenchClient
{
public:
	explicit BenchClient(const std::string &queue);
	~BenchClient(); // out of line: Client is incomplete here

	// Called after each DATA message with the bytes received so far.
	using OnData = std::function<void(std::uint64_t received)>;

	// GETs @name from 0, @length bytes at most, and counts what arrives.
	[[nodiscard]] Result<Received> get(const std::string &name, std::uint64_t length = protocol::kToEnd,
	                                   const OnData &on_data = {}) const;
	// The server's STATUS, a JSON object as text.
	[[nodiscard]] Result<std::string> status() const;
	// A PING's round trip in microseconds.
	[[nodiscard]] Result<double> ping_usec() const;

private:
	std::unique_ptr<Client> client_;
};

// The reply queue the client library creates on this host.
struct ReplyQueueShape {
	long depth = 0;
	long message_size = 0;
};
ReplyQueueShape reply_queue_shape();

} // namespace fileserver::bench
