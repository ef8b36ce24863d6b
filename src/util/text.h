// SPDX-License-Identifier: MIT
#pragma once

// Bytes from outside (file names, paths, configuration strings) are not
// text: these helpers decide how they are shown. docs/protocol.md, "Names
// that are not UTF-8", states the convention.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fileserver {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s);

// For a terminal or a log line, as GNU `ls -b` escapes: C escapes (\n, \t,
// \\, ...) and \ooo octal for other control characters (C0, DEL, C1) and
// for bytes that are not UTF-8. Printable UTF-8 passes unchanged.
std::string escape_for_terminal(std::string_view s);

// For JSON: a string when @s is valid UTF-8, otherwise an array of its byte
// values, as journalctl --output=json does; JSON written by the programs is
// therefore always valid.
nlohmann::json json_bytes(std::string_view s);

// The inverse of json_bytes(): a string, or an array of integers 0-255.
// False if @j is neither.
bool bytes_from_json(const nlohmann::json &j, std::string &out);

} // namespace fileserver
