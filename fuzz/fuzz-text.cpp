// SPDX-License-Identifier: MIT
// libFuzzer harness for util/text.h, which decides how bytes from outside
// (file names, paths, configuration strings) are shown: in a terminal or a
// log line, escape_for_terminal() lets no control byte through and is valid
// UTF-8; in JSON, json_bytes() always serialises (a string or an array of
// byte values) and bytes_from_json() gives the same bytes back, also after
// a trip through the JSON text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/text.h"

using namespace fileserver;

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

bool is_control(unsigned char c, unsigned char next)
{
	// C0 and DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F).
	return c < 0x20 || c == 0x7f || (c == 0xc2 && next >= 0x80 && next <= 0x9f);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::string_view s(reinterpret_cast<const char *>(data), size);

	std::string shown = escape_for_terminal(s);
	check(is_valid_utf8(shown));
	for (std::size_t i = 0; i < shown.size(); i++) {
		auto next = i + 1 < shown.size() ? static_cast<unsigned char>(shown[i + 1]) : 0;
		check(!is_control(static_cast<unsigned char>(shown[i]), static_cast<unsigned char>(next)));
	}
	if (is_valid_utf8(s) && s.find_first_of("\\\x7f") == std::string_view::npos) {
		bool plain = true;
		for (std::size_t i = 0; i < s.size() && plain; i++)
			plain = !is_control(static_cast<unsigned char>(s[i]),
			                    i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0);
		check(!plain || shown == s); // printable UTF-8 passes unchanged
	}

	nlohmann::json j = json_bytes(s);
	std::string text = j.dump(); // must not throw
	std::string back;
	check(bytes_from_json(j, back) && back == s);
	check(bytes_from_json(nlohmann::json::parse(text), back) && back == s);
	return 0;
}
