// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>

#include "server/server-conf.h"
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
	// Requests with an unknown session or a wrong secret, and OPENs over the
	// per-queue challenge limit: never answered.
	std::atomic<std::uint64_t> rejected{0};
};

} // namespace fileserver
