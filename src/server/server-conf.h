// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "server/access-policy.h"

namespace fileserver {

// Raised for any configuration problem; the message names the key.
class ConfigError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

// The server's settings. docs and fileserver.json(5) list every key; a
// reload applies all but those of restart_only_keys().
struct Config {
	std::string root;
	std::string queue = "/fileserver";
	unsigned workers = 4; // make_config(): default_workers()
	unsigned backlog = 64;
	std::string log_level = "info";
	std::chrono::milliseconds send_timeout{5000};
	std::chrono::milliseconds shutdown_timeout{10000};
	long queue_max_messages = 10;   // only when the server creates the queue
	long queue_message_size = 8192; // only when the server creates the queue
	AccessPolicy access;            // "access", "allow", "deny"
	// Transfers in progress at once (sending, or parked on a full reply
	// queue); per client uid (0: automatic, see transfer_limits()).
	unsigned max_transfers = 1024;
	unsigned max_transfers_per_uid = 0;
	unsigned max_waiting_per_uid = 0;
	// Protocol-2 sessions (docs/protocol.md): open at once in all, per uid
	// (0: automatic, see sessions_per_uid()), and unused this long.
	unsigned max_sessions = 1024;
	unsigned max_sessions_per_uid = 0;
	std::chrono::milliseconds session_idle_timeout{60000};

	bool operator==(const Config &) const = default;
};

// The engine threads when "workers" is not set: one per CPU this process
// may run on (its affinity mask), at least 2 (a read stuck on a broken file
// system holds one) and at most 16. More threads than CPUs only take turns:
// on 2 CPUs, 4 threads cost 20-40 % more CPU per small request than 2.
unsigned default_workers();

// Builds a configuration from defaults, then the JSON object @file (may be
// null: no file), then @overrides (command-line options, same keys).
// Throws ConfigError naming the offending key.
Config make_config(const nlohmann::json &file, const nlohmann::json &overrides);

// Parses a configuration file's text; throws ConfigError on a syntax error.
nlohmann::json parse_config_text(std::string_view text, const std::string &origin);

// Reads @path. A missing file yields null when @missing_ok, else throws.
nlohmann::json read_config_file(const std::string &path, bool missing_ok);

inline constexpr unsigned kMaxTransfers = 65536;

// How many transfers may be in progress and wait to start, in all and per
// client uid.
struct TransferLimits {
	unsigned max_transfers = 1024; // sending, or parked on a full reply queue
	unsigned backlog = 64;         // accepted, waiting to start
	unsigned max_per_uid = 256;
	unsigned max_waiting_per_uid = 32;
};
// The limits in force: the explicit per-uid values, or automatically a
// quarter of max_transfers and half the backlog (each at least one).
TransferLimits transfer_limits(const Config &config);

// The sessions one uid may have open at once: max_sessions_per_uid, or
// automatically a quarter of max_sessions (at least one).
unsigned sessions_per_uid(const Config &config);

// The configuration as a JSON object with every key (the file's format).
nlohmann::json config_json(const Config &config);

// The settings that only a restart applies (a reload keeps their running
// values), in the order of the configuration keys.
std::vector<std::string_view> restart_only_keys();
// Lists the restart-only settings that differ, comma-separated ("" if none).
std::string restart_only_changes(const Config &old_config, const Config &new_config);
// @fresh with the restart-only settings of @running: what a reload applies.
Config keep_restart_only(Config fresh, const Config &running);

} // namespace fileserver
