// SPDX-License-Identifier: MIT
#include "cli/format.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "util/text.h"

namespace fileserver::cli {

using nlohmann::json;

namespace {

std::string shown(const std::string &s, bool escape)
{
	return escape ? escape_for_terminal(s) : s;
}

void sort_by_name(std::vector<protocol::Entry> &entries)
{
	std::sort(entries.begin(), entries.end(),
	          [](const auto &a, const auto &b) { return a.name < b.name; });
}

} // namespace

std::string type_name(std::uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "char-device";
	case S_IFBLK: return "block-device";
	default: return "unknown";
	}
}

std::string mode_octal(std::uint32_t mode)
{
	char b[8];
	std::snprintf(b, sizeof(b), "%04o", mode & 07777);
	return b;
}

std::string mode_string(std::uint32_t mode)
{
	std::string s = "?rwxrwxrwx";
	switch (mode & S_IFMT) {
	case S_IFREG: s[0] = '-'; break;
	case S_IFDIR: s[0] = 'd'; break;
	case S_IFLNK: s[0] = 'l'; break;
	case S_IFIFO: s[0] = 'p'; break;
	case S_IFSOCK: s[0] = 's'; break;
	case S_IFCHR: s[0] = 'c'; break;
	case S_IFBLK: s[0] = 'b'; break;
	}
	for (int i = 0; i < 9; i++)
		if (!(mode & (1u << (8 - i))))
			s[1 + static_cast<std::size_t>(i)] = '-';
	return s;
}

std::string iso_time(std::int64_t sec, std::uint32_t nsec, bool with_nsec)
{
	time_t t = static_cast<time_t>(sec);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return std::to_string(sec);
	char b[64];
	std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	std::string s = b;
	if (with_nsec) {
		char n[16];
		std::snprintf(n, sizeof(n), ".%09u", nsec);
		s += n;
	}
	return s + "Z";
}

std::string stat_human(const std::string &path, const protocol::Meta &m, bool escape)
{
	char b[512];
	std::snprintf(b, sizeof(b),
	              "  Type: %s\n  Size: %llu\n  Mode: %s (%s)\n   Uid: %u\n   Gid: %u\n Mtime: %s\n",
	              type_name(m.mode).c_str(), static_cast<unsigned long long>(m.size),
	              mode_octal(m.mode).c_str(), mode_string(m.mode).c_str(), m.uid, m.gid,
	              iso_time(m.mtime_sec, m.mtime_nsec, true).c_str());
	return "  Path: " + shown(path, escape) + "\n" + b;
}

json stat_json(const std::string &path, const protocol::Meta &m)
{
	return json{{"path", json_bytes(path)},
	            {"type", type_name(m.mode)},
	            {"size", m.size},
	            {"mode", mode_octal(m.mode)},
	            {"uid", m.uid},
	            {"gid", m.gid},
	            {"mtime", iso_time(m.mtime_sec, m.mtime_nsec, true)},
	            {"mtime_sec", m.mtime_sec},
	            {"mtime_nsec", m.mtime_nsec}};
}

std::string ls_human(std::vector<protocol::Entry> entries, bool escape)
{
	sort_by_name(entries);
	std::string out;
	for (const auto &e : entries) {
		char b[128];
		std::snprintf(b, sizeof(b), "%s %12llu %s ", mode_string(e.mode).c_str(),
		              static_cast<unsigned long long>(e.size),
		              iso_time(e.mtime_sec, 0, false).c_str());
		out += b;
		out += shown(e.name, escape);
		out += '\n';
	}
	return out;
}

json ls_json(std::vector<protocol::Entry> entries)
{
	sort_by_name(entries);
	json arr = json::array();
	for (const auto &e : entries)
		arr.push_back({{"name", json_bytes(e.name)},
		               {"type", type_name(e.mode)},
		               {"size", e.size},
		               {"mode", mode_octal(e.mode)},
		               {"mtime", iso_time(e.mtime_sec, 0, false)}});
	return arr;
}

std::string ping_human(const std::string &queue, const PingInfo &info, bool escape)
{
	char b[64];
	std::snprintf(b, sizeof(b), " (protocol %u), %.3f ms\n", info.protocol_version,
	              static_cast<double>(info.round_trip.count()) / 1000.0);
	return "pong from " + shown(queue, escape) + ": " + shown(info.server_version, escape) + b;
}

json ping_json(const std::string &queue, const PingInfo &info)
{
	return json{{"queue", json_bytes(queue)},
	            {"server_version", json_bytes(info.server_version)},
	            {"protocol_version", info.protocol_version},
	            {"round_trip_ms", static_cast<double>(info.round_trip.count()) / 1000.0}};
}

Result<json> parse_status(const std::string &text)
{
	// The parser rejects invalid UTF-8 too: what it accepts dumps safely.
	json j = json::parse(text, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		return Error{EBADMSG, "the server's status is not a JSON object"};
	return j;
}

std::string status_human(const json &status, bool escape)
{
	std::string out;
	for (const auto &[key, value] : status.items()) {
		std::string v = value.is_string() ? value.get<std::string>() : dump_line(value);
		std::string k = shown(key, escape);
		out += std::string(k.size() < 18 ? 18 - k.size() : 0, ' ') + k + ": " + shown(v, escape) +
		       "\n";
	}
	return out;
}

std::string dump_line(const json &j)
{
	return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace fileserver::cli
