// SPDX-License-Identifier: MIT
#include "text.h"

#include <cstdint>

namespace fileserver {

namespace {

// Length of the valid UTF-8 sequence at @s[i], or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i)
{
	auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
	unsigned char c = byte(i);
	if (c < 0x80)
		return 1;
	std::size_t len;
	std::uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (i + len > s.size())
		return 0;
	for (std::size_t k = 1; k < len; k++) {
		unsigned char cc = byte(i + k);
		if ((cc & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (cc & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	return len;
}

void append_octal(std::string &out, unsigned char c)
{
	out += '\\';
	out += static_cast<char>('0' + ((c >> 6) & 7));
	out += static_cast<char>('0' + ((c >> 3) & 7));
	out += static_cast<char>('0' + (c & 7));
}

} // namespace

bool is_valid_utf8(std::string_view s)
{
	for (std::size_t i = 0; i < s.size();) {
		std::size_t n = utf8_sequence(s, i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

std::string escape_for_terminal(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (std::size_t i = 0; i < s.size();) {
		std::size_t n = utf8_sequence(s, i);
		auto c = static_cast<unsigned char>(s[i]);
		if (n == 0) {
			append_octal(out, c);
			i++;
			continue;
		}
		if (n == 1) {
			switch (c) {
			case '\\': out += "\\\\"; break;
			case '\a': out += "\\a"; break;
			case '\b': out += "\\b"; break;
			case '\f': out += "\\f"; break;
			case '\n': out += "\\n"; break;
			case '\r': out += "\\r"; break;
			case '\t': out += "\\t"; break;
			case '\v': out += "\\v"; break;
			default:
				if (c < 0x20 || c == 0x7f)
					append_octal(out, c);
				else
					out += static_cast<char>(c);
			}
		} else if (n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0) {
			// U+0080..U+009F: C1 controls (CSI among them) act on terminals.
			append_octal(out, c);
			append_octal(out, static_cast<unsigned char>(s[i + 1]));
		} else {
			out.append(s.substr(i, n));
		}
		i += n;
	}
	return out;
}

nlohmann::json json_bytes(std::string_view s)
{
	if (is_valid_utf8(s))
		return std::string(s);
	nlohmann::json bytes = nlohmann::json::array();
	for (char c : s)
		bytes.push_back(static_cast<unsigned>(static_cast<unsigned char>(c)));
	return bytes;
}

bool bytes_from_json(const nlohmann::json &j, std::string &out)
{
	if (j.is_string()) {
		out = j.get<std::string>();
		return true;
	}
	if (!j.is_array())
		return false;
	std::string s;
	for (const auto &b : j) {
		if (!b.is_number_unsigned() || b.get<unsigned>() > 255)
			return false;
		s += static_cast<char>(b.get<unsigned>());
	}
	out = std::move(s);
	return true;
}

} // namespace fileserver
