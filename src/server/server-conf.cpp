// SPDX-License-Identifier: MIT
#include "server-conf.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "build-config.h"
#include "protocol/wire.h"
#include "server/worker-pool.h"
#include "util/mqueue.h"

namespace fileserver {

using nlohmann::json;

namespace {

const std::set<std::string_view> kLogLevels = {"trace", "debug",    "info", "warning",
                                               "error", "critical", "off"};

// A value for an error message: scalars as written, containers by their
// type only (dumping a deeply nested one would recurse without bound).
std::string describe(const json &v)
{
	if (v.is_structured())
		return std::string("an ") + (v.is_array() ? "array" : "object");
	std::string text = v.dump();
	return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

std::uint64_t get_uint(const json &v, const std::string &key, std::uint64_t min, std::uint64_t max)
{
	if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
		throw ConfigError("\"" + key + "\": expected a non-negative integer, got " + describe(v));
	auto n = v.get<std::uint64_t>();
	if (n < min || n > max)
		throw ConfigError("\"" + key + "\": " + std::to_string(n) + " is out of range [" +
		                  std::to_string(min) + ", " + std::to_string(max) + "]");
	return n;
}

std::string get_string(const json &v, const std::string &key)
{
	if (!v.is_string())
		throw ConfigError("\"" + key + "\": expected a string, got " + describe(v));
	return v.get<std::string>();
}

void apply(Config &c, const json &obj, const std::string &origin)
{
	if (obj.is_null())
		return;
	if (!obj.is_object())
		throw ConfigError(origin + ": expected a JSON object at the top level");
	for (const auto &[key, v] : obj.items()) {
		if (key == "root") {
			c.root = get_string(v, key);
			if (c.root.empty() || c.root[0] != '/')
				throw ConfigError("\"root\": must be an absolute path, got \"" + c.root +
				                  "\"");
		} else if (key == "queue") {
			c.queue = get_string(v, key);
			if (!is_valid_queue_name(c.queue))
				throw ConfigError("\"queue\": \"" + c.queue +
				                  "\" is not a queue name (one '/' then 1-255 characters, no "
				                  "other '/')");
		} else if (key == "workers") {
			c.workers = static_cast<unsigned>(get_uint(v, key, 1, 1024));
		} else if (key == "backlog") {
			c.backlog = static_cast<unsigned>(get_uint(v, key, 0, 65536));
		} else if (key == "log_level") {
			c.log_level = get_string(v, key);
			if (!kLogLevels.contains(c.log_level))
				throw ConfigError("\"log_level\": unknown level \"" + c.log_level +
				                  "\" (trace, debug, info, warning, error, critical, off)");
		} else if (key == "send_timeout_ms") {
			c.send_timeout = std::chrono::milliseconds(get_uint(v, key, 1, 3600000));
		} else if (key == "shutdown_timeout_ms") {
			c.shutdown_timeout = std::chrono::milliseconds(get_uint(v, key, 0, 3600000));
		} else if (key == "queue_max_messages") {
			c.queue_max_messages = static_cast<long>(get_uint(v, key, 1, 65536));
		} else if (key == "queue_message_size") {
			c.queue_message_size = static_cast<long>(
			        get_uint(v, key, protocol::kMaxRequestSize, 16 * 1024 * 1024));
		} else if (key == "max_transfers_per_uid") {
			c.max_transfers_per_uid = static_cast<unsigned>(get_uint(v, key, 0, 1024));
		} else if (key == "max_waiting_per_uid") {
			c.max_waiting_per_uid = static_cast<unsigned>(get_uint(v, key, 0, 65536));
		} else if (key == "access") {
			std::string mode = get_string(v, key);
			if (!parse_access_mode(mode, c.access.mode))
				throw ConfigError("\"access\": unknown policy \"" + mode +
				                  "\" (world-readable, owner, all)");
		} else if (key == "allow" || key == "deny") {
			auto &list = key == "allow" ? c.access.allow : c.access.deny;
			if (!v.is_array() || v.size() > 1024)
				throw ConfigError("\"" + key +
				                  "\": expected an array of at most 1024 patterns, got " +
				                  describe(v));
			list.clear();
			for (const auto &p : v) {
				if (!p.is_string() || p.get<std::string>().empty() ||
				    p.get<std::string>().size() > 4096)
					throw ConfigError(
					        "\"" + key +
					        "\": each pattern must be a non-empty string, got " +
					        describe(p));
				list.push_back(p.get<std::string>());
			}
		} else {
			throw ConfigError("\"" + key + "\": unknown setting");
		}
	}
}

} // namespace

Config make_config(const json &file, const json &overrides)
{
	Config c;
	c.root = FILESERVER_DEFAULT_ROOT;
	apply(c, file, "configuration file");
	apply(c, overrides, "command line");
	return c;
}

json parse_config_text(std::string_view text, const std::string &origin)
{
	try {
		return json::parse(text);
	} catch (const json::exception &e) { // parse_error, and out_of_range for huge numbers
		throw ConfigError(origin + ": invalid JSON: " + e.what());
	}
}

json read_config_file(const std::string &path, bool missing_ok)
{
	std::ifstream in(path);
	if (!in) {
		int err = errno;
		if (err == ENOENT && missing_ok)
			return nullptr;
		throw ConfigError(path + ": cannot read: " + std::strerror(err));
	}
	std::stringstream ss;
	ss << in.rdbuf();
	if (in.bad())
		throw ConfigError(path + ": read error");
	return parse_config_text(ss.str(), path);
}

json config_json(const Config &c)
{
	return {
	        {"root", c.root},
	        {"queue", c.queue},
	        {"workers", c.workers},
	        {"backlog", c.backlog},
	        {"log_level", c.log_level},
	        {"send_timeout_ms", c.send_timeout.count()},
	        {"shutdown_timeout_ms", c.shutdown_timeout.count()},
	        {"queue_max_messages", c.queue_max_messages},
	        {"queue_message_size", c.queue_message_size},
	        {"max_transfers_per_uid", c.max_transfers_per_uid},
	        {"max_waiting_per_uid", c.max_waiting_per_uid},
	        {"access", std::string(to_string(c.access.mode))},
	        {"allow", c.access.allow},
	        {"deny", c.access.deny},
	};
}

UserLimits user_limits(const Config &c)
{
	UserLimits l;
	l.max_running = c.max_transfers_per_uid ? c.max_transfers_per_uid : std::max(1u, c.workers - 1);
	l.max_waiting = c.max_waiting_per_uid ? c.max_waiting_per_uid : std::max(1u, c.backlog / 2);
	return l;
}

std::string restart_only_changes(const Config &a, const Config &b)
{
	std::string out;
	auto note = [&](bool changed, const char *key) {
		if (changed)
			out += (out.empty() ? "" : ", ") + std::string(key);
	};
	note(a.queue != b.queue, "queue");
	note(a.workers != b.workers, "workers");
	note(a.backlog != b.backlog, "backlog");
	note(a.queue_max_messages != b.queue_max_messages, "queue_max_messages");
	note(a.queue_message_size != b.queue_message_size, "queue_message_size");
	return out;
}

} // namespace fileserver
