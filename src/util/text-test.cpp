// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "util/text.h"

using namespace fileserver;
using namespace std::string_literals;

TEST_CASE("is_valid_utf8 accepts strict UTF-8 only")
{
	CHECK(is_valid_utf8(""));
	CHECK(is_valid_utf8("plain ascii"));
	CHECK(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")); // é € 😀
	CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));                          // U+10FFFF
	CHECK(is_valid_utf8("nul\0inside"s));

	CHECK_FALSE(is_valid_utf8("\xff"));
	CHECK_FALSE(is_valid_utf8("\x80"));             // a lone continuation byte
	CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
	CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong, 3 bytes
	CHECK_FALSE(is_valid_utf8("\xf0\x80\x80\xaf")); // overlong, 4 bytes
	CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate U+D800
	CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));     // surrogate U+DFFF
	CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
	CHECK_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
	CHECK_FALSE(is_valid_utf8("ok\xc3"));           // truncated at the end
	CHECK_FALSE(is_valid_utf8("\xc3("));            // bad continuation
}

TEST_CASE("escape_for_terminal escapes controls and bytes that are not UTF-8")
{
	CHECK(escape_for_terminal("plain caf\xc3\xa9 \xe2\x82\xac") == "plain caf\xc3\xa9 \xe2\x82\xac");
	CHECK(escape_for_terminal("a\x1b[31mb") == "a\\033[31mb");
	CHECK(escape_for_terminal("line\nnext\ttab") == "line\\nnext\\ttab");
	CHECK(escape_for_terminal("back\\slash") == "back\\\\slash");
	CHECK(escape_for_terminal("del\x7f") == "del\\177");
	CHECK(escape_for_terminal("csi\xc2\x9b") == "csi\\302\\233"); // C1 U+009B
	CHECK(escape_for_terminal("bad\xff\xfe") == "bad\\377\\376");
	CHECK(escape_for_terminal("\xc0\xaf") == "\\300\\257"); // overlong: bytes, not a '/'
	CHECK(escape_for_terminal("nul\0"s) == "nul\\000");
	CHECK(escape_for_terminal("\xc2\xa0") == "\xc2\xa0"); // U+00A0 is not C1
}

TEST_CASE("json_bytes and bytes_from_json round-trip any bytes")
{
	CHECK(json_bytes("root/d\xc3\xa9j\xc3\xa0") == nlohmann::json("root/d\xc3\xa9j\xc3\xa0"));
	nlohmann::json bad = json_bytes("a\xff");
	CHECK(bad == nlohmann::json::array({97, 255}));
	CHECK_NOTHROW((void)bad.dump()); // always valid JSON

	for (std::string s : {""s, "text"s, "caf\xc3\xa9"s, "\xff\xfe\x00z"s, "\xed\xa0\x80"s}) {
		// Through text, as the programs exchange it.
		nlohmann::json j = nlohmann::json::parse(json_bytes(s).dump());
		std::string back = "unchanged";
		REQUIRE(bytes_from_json(j, back));
		CHECK(back == s);
	}

	std::string out = "unchanged";
	CHECK_FALSE(bytes_from_json(nlohmann::json(42), out));
	CHECK_FALSE(bytes_from_json(nlohmann::json::array({1, 256}), out));
	CHECK_FALSE(bytes_from_json(nlohmann::json::array({1, -1}), out));
	CHECK_FALSE(bytes_from_json(nlohmann::json::array({"a"}), out));
	CHECK(out == "unchanged");
}
