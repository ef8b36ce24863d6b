// SPDX-License-Identifier: MIT
#pragma once

// What the stalled-clients phase reads from the daemon's STATUS
// (docs/protocol.md): how many transfers run, wait or are parked, and how
// many requests failed so far.

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

struct StatusCounts {
	std::uint64_t busy = 0;    // transfers in progress (sending or parked)
	std::uint64_t parked = 0;  // of those, waiting for room in a reply queue
	bool has_parked = false;   // a server older than the streaming engine has no such key
	std::uint64_t waiting = 0; // requests accepted but not started
	std::uint64_t failed = 0;  // requests that ended in failure since start
};

// The counts of a STATUS reply; nullopt unless it is a JSON object with
// busy, waiting and failed.
std::optional<StatusCounts> parse_status(std::string_view text);

// Whether @now shows no more transfers at work than @idle did (taken with no
// load: the STATUS request may count itself as busy).
bool back_to_idle(const StatusCounts &now, const StatusCounts &idle);

nlohmann::json to_json(const StatusCounts &s);

} // namespace fileserver::bench
