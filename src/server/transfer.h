// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/server-conf.h"
#include "server/worker-pool.h"
#include "util/unique-fd.h"

namespace fileserver {

// What a request is served under: the configuration and the opened root.
// Replaced as a whole on reload; jobs keep the one they were accepted with.
struct ServingContext {
	Config config;
	UniqueFD root;
};

struct ServerStats {
	std::atomic<std::uint64_t> served{0};  // finished with outcome ok
	std::atomic<std::uint64_t> failed{0};  // any other outcome
	std::atomic<std::uint64_t> bytes{0};   // file bytes sent
	std::atomic<std::uint64_t> dropped{0}; // undecodable messages on the server queue
};

// Serves one request on a worker thread: opens the client's reply queue,
// resolves the path beneath the root and streams the reply.
class Transfer
{
public:
	// @status: the server's statistics as a JSON object, for STATUS.
	using StatusSource = std::function<std::string()>;

	Transfer(const WorkerPool &pool, ServerStats &stats, StatusSource status)
		: pool_(pool), stats_(stats), status_(std::move(status))
	{
	}
	void serve(Job &job);

private:
	const WorkerPool &pool_;
	ServerStats &stats_;
	StatusSource status_;
};

// Answers a request with an error without waiting (busy, refused before
// dispatch): the dispatcher must never block on a client's queue.
void reply_error_now(const MessageQueue &reply, const protocol::Request &request, int code,
                     const std::string &why);

} // namespace fileserver
