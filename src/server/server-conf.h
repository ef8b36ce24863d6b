// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "server/access-policy.h"

namespace fileserver {

// Raised for any configuration problem; the message names the key.
class ConfigError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

// The server's settings. docs and fileserver.json(5) list every key; the
// comments say which ones a reload applies.
struct Config {
	std::string root;                                  // reload: yes
	std::string queue = "/fileserver";                 // reload: no (restart)
	unsigned workers = 4;                              // reload: no (restart)
	unsigned backlog = 64;                             // reload: no (restart)
	std::string log_level = "info";                    // reload: yes
	std::chrono::milliseconds send_timeout{5000};      // reload: yes
	std::chrono::milliseconds shutdown_timeout{10000}; // reload: yes
	long queue_max_messages = 10;   // reload: no; only when the server creates the queue
	long queue_message_size = 8192; // reload: no; only when the server creates the queue
	AccessPolicy access;            // reload: yes ("access", "allow", "deny")
	// Per client uid (0: automatic, see user_limits()). reload: yes
	unsigned max_transfers_per_uid = 0;
	unsigned max_waiting_per_uid = 0;

	bool operator==(const Config &) const = default;
};

// Builds a configuration from defaults, then the JSON object @file (may be
// null: no file), then @overrides (command-line options, same keys).
// Throws ConfigError naming the offending key.
Config make_config(const nlohmann::json &file, const nlohmann::json &overrides);

// Parses a configuration file's text; throws ConfigError on a syntax error.
nlohmann::json parse_config_text(std::string_view text, const std::string &origin);

// Reads @path. A missing file yields null when @missing_ok, else throws.
nlohmann::json read_config_file(const std::string &path, bool missing_ok);

// The per-uid limits in force: an explicit value, or automatically all
// workers but one (at least one) and half the backlog (at least one).
struct UserLimits;
UserLimits user_limits(const Config &config);

// The configuration as a JSON object with every key (the file's format).
nlohmann::json config_json(const Config &config);

// Lists settings whose change only a restart applies.
std::string restart_only_changes(const Config &old_config, const Config &new_config);

} // namespace fileserver
