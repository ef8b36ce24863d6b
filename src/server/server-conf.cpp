// SPDX-License-Identifier: MIT
#include "server-conf.h"

#include <sched.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "build-config.h"
#include "protocol/wire.h"
#include "util/mqueue.h"
#include "util/text.h"

namespace fileserver {

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxSessions = 1048576;

const std::set<std::string_view> kLogLevels = {"trace", "debug",    "info", "warning",
                                               "error", "critical", "off"};

// A value for an error message: scalars as written, containers by their
// type only (dumping a deeply nested one would recurse without bound).
std::string describe(const json &v)
{
	if (v.is_structured())
		return std::string("an ") + (v.is_array() ? "array" : "object");
	std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
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

// Every string setting is UTF-8 text without NUL: a NUL would cut it short
// where it reaches the system ("/tmp\u0000/x" would serve /tmp), and other
// bytes (possible from the command line) could not be written back as JSON
// (--print-config, STATUS, the re-exec handover).
std::string get_string(const json &v, const std::string &key)
{
	if (!v.is_string())
		throw ConfigError("\"" + key + "\": expected a string, got " + describe(v));
	auto s = v.get<std::string>();
	if (s.find('\0') != std::string::npos)
		throw ConfigError("\"" + key + "\": contains a NUL byte: " + describe(v));
	if (!is_valid_utf8(s))
		throw ConfigError("\"" + key + "\": is not valid UTF-8: " + escape_for_terminal(s));
	return s;
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
				throw ConfigError("\"root\": must be an absolute path, got " + describe(v));
		} else if (key == "queue") {
			c.queue = get_string(v, key);
			if (!is_valid_queue_name(c.queue))
				throw ConfigError("\"queue\": " + describe(v) +
				                  " is not a queue name (one '/' then 1-255 characters, no "
				                  "other '/')");
		} else if (key == "workers") {
			c.workers = static_cast<unsigned>(get_uint(v, key, 1, 1024));
		} else if (key == "backlog") {
			c.backlog = static_cast<unsigned>(get_uint(v, key, 0, 65536));
		} else if (key == "log_level") {
			c.log_level = get_string(v, key);
			if (!kLogLevels.contains(c.log_level))
				throw ConfigError("\"log_level\": unknown level " + describe(v) +
				                  " (trace, debug, info, warning, error, critical, off)");
		} else if (key == "send_timeout_ms") {
			c.send_timeout = std::chrono::milliseconds(get_uint(v, key, 1, 3600000));
		} else if (key == "shutdown_timeout_ms") {
			c.shutdown_timeout = std::chrono::milliseconds(get_uint(v, key, 0, 3600000));
		} else if (key == "queue_max_messages") {
			c.queue_max_messages = static_cast<long>(get_uint(v, key, 1, 65536));
		} else if (key == "queue_message_size") {
			c.queue_message_size = static_cast<long>(
			        get_uint(v, key, protocol::kMaxRequestSize, 16 * 1024 * 1024));
		} else if (key == "max_transfers") {
			c.max_transfers = static_cast<unsigned>(get_uint(v, key, 1, kMaxTransfers));
		} else if (key == "max_transfers_per_uid") {
			// Checked against max_transfers once every key is in.
			c.max_transfers_per_uid = static_cast<unsigned>(get_uint(v, key, 0, kMaxTransfers));
		} else if (key == "max_waiting_per_uid") {
			c.max_waiting_per_uid = static_cast<unsigned>(get_uint(v, key, 0, 65536));
		} else if (key == "max_sessions") {
			c.max_sessions = static_cast<unsigned>(get_uint(v, key, 1, kMaxSessions));
		} else if (key == "max_sessions_per_uid") {
			// Checked against max_sessions once every key is in.
			c.max_sessions_per_uid = static_cast<unsigned>(get_uint(v, key, 0, kMaxSessions));
		} else if (key == "session_idle_timeout_ms") {
			c.session_idle_timeout = std::chrono::milliseconds(get_uint(v, key, 1000, 86400000));
		} else if (key == "access") {
			std::string mode = get_string(v, key);
			if (!parse_access_mode(mode, c.access.mode))
				throw ConfigError("\"access\": unknown policy " + describe(v) +
				                  " (world-readable, owner, all)");
		} else if (key == "allow" || key == "deny") {
			auto &list = key == "allow" ? c.access.allow : c.access.deny;
			if (!v.is_array() || v.size() > 1024)
				throw ConfigError("\"" + key +
				                  "\": expected an array of at most 1024 patterns, got " +
				                  describe(v));
			list.clear();
			for (const auto &p : v) {
				std::string pattern = get_string(p, key);
				if (pattern.empty() || pattern.size() > 4096)
					throw ConfigError(
					        "\"" + key +
					        "\": each pattern must be a non-empty string, got " +
					        describe(p));
				list.push_back(std::move(pattern));
			}
		} else {
			throw ConfigError(describe(json(key)) + ": unknown setting");
		}
	}
}

} // namespace

unsigned default_workers()
{
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	int n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 2;
	return static_cast<unsigned>(std::clamp(n, 2, 16));
}

Config make_config(const json &file, const json &overrides)
{
	Config c;
	c.root = FILESERVER_DEFAULT_ROOT;
	c.workers = default_workers();
	apply(c, file, "configuration file");
	apply(c, overrides, "command line");
	// Across keys: the file may set one and the command line the other.
	if (c.max_transfers_per_uid > c.max_transfers)
		throw ConfigError("\"max_transfers_per_uid\": " + std::to_string(c.max_transfers_per_uid) +
		                  " is more than \"max_transfers\" (" + std::to_string(c.max_transfers) +
		                  "; 0 means automatic)");
	if (c.max_sessions_per_uid > c.max_sessions)
		throw ConfigError("\"max_sessions_per_uid\": " + std::to_string(c.max_sessions_per_uid) +
		                  " is more than \"max_sessions\" (" + std::to_string(c.max_sessions) +
		                  "; 0 means automatic)");
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
	        {"max_transfers", c.max_transfers},
	        {"max_transfers_per_uid", c.max_transfers_per_uid},
	        {"max_waiting_per_uid", c.max_waiting_per_uid},
	        {"max_sessions", c.max_sessions},
	        {"max_sessions_per_uid", c.max_sessions_per_uid},
	        {"session_idle_timeout_ms", c.session_idle_timeout.count()},
	        {"access", std::string(to_string(c.access.mode))},
	        {"allow", c.access.allow},
	        {"deny", c.access.deny},
	};
}

TransferLimits transfer_limits(const Config &c)
{
	TransferLimits l;
	l.max_transfers = c.max_transfers;
	l.backlog = c.backlog;
	l.max_per_uid = c.max_transfers_per_uid ? c.max_transfers_per_uid : std::max(1u, c.max_transfers / 4);
	l.max_waiting_per_uid = c.max_waiting_per_uid ? c.max_waiting_per_uid : std::max(1u, c.backlog / 2);
	return l;
}

unsigned sessions_per_uid(const Config &c)
{
	return c.max_sessions_per_uid ? c.max_sessions_per_uid : std::max(1u, c.max_sessions / 4);
}

namespace {

// A setting that only a restart applies: the queue and the threads exist
// for the life of the process.
struct RestartOnlySetting {
	std::string_view key;
	bool (*differs)(const Config &, const Config &);
	void (*keep)(Config &to, const Config &from);
};

template<auto Member>
constexpr RestartOnlySetting restart_only(std::string_view key)
{
	return {key, [](const Config &a, const Config &b) { return a.*Member != b.*Member; },
	        [](Config &to, const Config &from) { to.*Member = from.*Member; }};
}

// The one list; fileserver.json(5) (RELOAD) and fileserverd(8) (SIGHUP) name these keys.
constexpr std::array kRestartOnly = {
        restart_only<&Config::queue>("queue"),
        restart_only<&Config::workers>("workers"),
        restart_only<&Config::backlog>("backlog"),
        restart_only<&Config::queue_max_messages>("queue_max_messages"),
        restart_only<&Config::queue_message_size>("queue_message_size"),
};

} // namespace

std::vector<std::string_view> restart_only_keys()
{
	std::vector<std::string_view> keys;
	for (const auto &s : kRestartOnly)
		keys.push_back(s.key);
	return keys;
}

std::string restart_only_changes(const Config &a, const Config &b)
{
	std::string out;
	for (const auto &s : kRestartOnly)
		if (s.differs(a, b))
			out += (out.empty() ? "" : ", ") + std::string(s.key);
	return out;
}

Config keep_restart_only(Config fresh, const Config &running)
{
	for (const auto &s : kRestartOnly)
		s.keep(fresh, running);
	return fresh;
}

} // namespace fileserver
