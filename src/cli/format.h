// SPDX-License-Identifier: MIT
#pragma once

// What fileserverctl prints, as pure functions of a reply: human lines and
// --json objects. JSON is always valid: every string that comes from bytes
// (names, paths, versions) goes through json_bytes() (util/text.h), a
// string when it is UTF-8 and an array of byte values when not. Human text
// escapes control characters with escape_for_terminal() when @escape is set
// (output to a terminal).

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/session.h"
#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver::cli {

// "file", "directory", "symlink", "fifo", "socket", "char-device",
// "block-device" or "unknown".
std::string type_name(std::uint32_t mode);
std::string mode_octal(std::uint32_t mode);  // "0644"
std::string mode_string(std::uint32_t mode); // "-rw-r--r--"
// "2024-05-01T12:00:00Z", with ".123456789" before the Z if @with_nsec.
std::string iso_time(std::int64_t sec, std::uint32_t nsec, bool with_nsec);

std::string stat_human(const std::string &path, const protocol::Meta &m, bool escape);
nlohmann::json stat_json(const std::string &path, const protocol::Meta &m);

// Sorted by name (bytewise), one line per entry.
std::string ls_human(std::vector<protocol::Entry> entries, bool escape);
nlohmann::json ls_json(std::vector<protocol::Entry> entries);

std::string ping_human(const std::string &queue, const PingInfo &info, bool escape);
nlohmann::json ping_json(const std::string &queue, const PingInfo &info);

// The server's STATUS text as an object; a protocol error (kErrBadReply)
// if it is not a JSON object. Never throws.
Result<nlohmann::json> parse_status(const std::string &text);
// One "key: value" line per member.
std::string status_human(const nlohmann::json &status, bool escape);

// One line of JSON; never throws (invalid UTF-8 cannot occur in what the
// functions above build, and would be replaced).
std::string dump_line(const nlohmann::json &j);

} // namespace fileserver::cli
