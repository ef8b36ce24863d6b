// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/wire-test-helpers.h"

using namespace fileserver::protocol;
using namespace fileserver::protocol::test;

TEST_SUITE_BEGIN("wire-payload");

TEST_CASE("META round trip")
{
	Meta in;
	in.size = 10'000'000'000ULL;
	in.offset = 4096;
	in.length = 10'000'000'000ULL - 4096;
	in.mode = 0100640;
	in.uid = 1000;
	in.gid = 4242;
	in.mtime_sec = -86400; // before the epoch
	in.mtime_nsec = 999'999'999;
	in.chunk_size = 65536 - kReplyHeaderSize;
	auto b = encode_meta(in);
	static_assert(sizeof(b) == kMetaSize);
	CHECK(peek<std::uint32_t>(b, 36) == 0);

	auto msg = make_reply(sample_header(ReplyType::Meta), b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	Meta out;
	REQUIRE(decode_meta(pl, out) == Status::Ok);
	CHECK(out.size == 10'000'000'000ULL);
	CHECK(out.offset == 4096);
	CHECK(out.length == 10'000'000'000ULL - 4096);
	CHECK(out.mode == 0100640);
	CHECK(out.uid == 1000);
	CHECK(out.gid == 4242);
	CHECK(out.mtime_sec == -86400);
	CHECK(out.mtime_nsec == 999'999'999);
	CHECK(out.chunk_size == 65536 - kReplyHeaderSize);
}

TEST_CASE("META edge values are accepted")
{
	Meta in;
	SUBCASE("empty file")
	{}
	SUBCASE("offset at the end, nothing to send")
	{
		in.size = 100;
		in.offset = 100;
		in.length = 0;
	}
	SUBCASE("whole file")
	{
		in.size = UINT64_MAX;
		in.offset = 0;
		in.length = UINT64_MAX;
	}
	Meta out;
	out.size = 1234;
	auto b = encode_meta(in);
	REQUIRE(decode_meta(b, out) == Status::Ok);
	CHECK(out.size == in.size);
	CHECK(out.offset == in.offset);
	CHECK(out.length == in.length);
}

TEST_CASE("decode_meta: malformed payloads")
{
	Meta m;
	m.size = 1000;
	m.offset = 100;
	m.length = 900;
	m.mtime_nsec = 5;
	auto good = encode_meta(m);
	std::vector<std::uint8_t> b(good.begin(), good.end());
	Meta out;
	REQUIRE(decode_meta(b, out) == Status::Ok);

	SUBCASE("empty")
	{
		CHECK(decode_meta({}, out) == Status::BadPayload);
	}
	SUBCASE("one byte short")
	{
		b.pop_back();
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("one byte long")
	{
		b.push_back(0);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("reserved word not zero")
	{
		poke<std::uint32_t>(b, 36, 1);
		CHECK(decode_meta(b, out) == Status::BadReserved);
	}
	SUBCASE("offset > size")
	{
		poke<std::uint64_t>(b, 8, 1001);
		poke<std::uint64_t>(b, 16, 0);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("length > size - offset")
	{
		poke<std::uint64_t>(b, 16, 901);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("offset + length overflows 64 bits")
	{
		poke<std::uint64_t>(b, 16, UINT64_MAX - 50);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("mtime_nsec == 1e9")
	{
		poke<std::uint32_t>(b, 48, 1'000'000'000u);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
	SUBCASE("mtime_nsec == UINT32_MAX")
	{
		poke<std::uint32_t>(b, 48, UINT32_MAX);
		CHECK(decode_meta(b, out) == Status::BadPayload);
	}
}

TEST_CASE("END round trip and malformed sizes")
{
	auto b = encode_end(End{0x1122334455667788ULL});
	static_assert(sizeof(b) == kEndSize);
	auto msg = make_reply(sample_header(ReplyType::End), b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	CHECK(h.type == ReplyType::End);
	End out;
	REQUIRE(decode_end(pl, out) == Status::Ok);
	CHECK(out.total == 0x1122334455667788ULL);

	std::vector<std::uint8_t> v(b.begin(), b.end());
	CHECK(decode_end({}, out) == Status::BadPayload);
	v.pop_back();
	CHECK(decode_end(v, out) == Status::BadPayload);
	v.push_back(0);
	v.push_back(0);
	CHECK(decode_end(v, out) == Status::BadPayload);
}

TEST_CASE("ERROR round trip")
{
	Error in;
	in.code = 13;
	in.text = "permission denied";
	auto b = encode_error(in);
	REQUIRE(b.size() == kErrorFixedSize + 17);
	auto msg = make_reply(sample_header(ReplyType::Error), b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	CHECK(h.type == ReplyType::Error);
	Error out;
	REQUIRE(decode_error(pl, out) == Status::Ok);
	CHECK(out.code == 13);
	CHECK(out.text == "permission denied");

	Error empty;
	empty.code = 2;
	Error out2;
	out2.text = "stale";
	REQUIRE(decode_error(encode_error(empty), out2) == Status::Ok);
	CHECK(out2.code == 2);
	CHECK(out2.text.empty());
}

TEST_CASE("ERROR text is cut to kMaxErrorText")
{
	Error in;
	in.code = 5;
	in.text = std::string(kMaxErrorText, 'a') + "OVERFLOW";
	auto b = encode_error(in);
	REQUIRE(b.size() == kErrorFixedSize + kMaxErrorText);
	Error out;
	REQUIRE(decode_error(b, out) == Status::Ok);
	CHECK(out.text == std::string(kMaxErrorText, 'a'));
}

TEST_CASE("decode_error: malformed payloads")
{
	Error out;
	auto b = encode_error(Error{22, "bad"});
	SUBCASE("empty")
	{
		CHECK(decode_error({}, out) == Status::BadPayload);
	}
	SUBCASE("shorter than the fixed part")
	{
		b.resize(kErrorFixedSize - 1);
		CHECK(decode_error(b, out) == Status::BadPayload);
	}
	SUBCASE("declared text bigger than the payload")
	{
		poke<std::uint32_t>(b, 4, 4);
		CHECK(decode_error(b, out) == Status::BadPayload);
		poke<std::uint32_t>(b, 4, UINT32_MAX);
		CHECK(decode_error(b, out) == Status::BadPayload);
	}
	SUBCASE("declared text smaller than the payload")
	{
		poke<std::uint32_t>(b, 4, 2);
		CHECK(decode_error(b, out) == Status::BadPayload);
	}
	SUBCASE("text longer than kMaxErrorText")
	{
		std::vector<std::uint8_t> big(kErrorFixedSize + kMaxErrorText + 1, 'x');
		poke<std::uint32_t>(big, 0, 22);
		poke<std::uint32_t>(big, 4, static_cast<std::uint32_t>(kMaxErrorText + 1));
		CHECK(decode_error(big, out) == Status::BadPayload);
		// The bound itself is fine.
		big.pop_back();
		poke<std::uint32_t>(big, 4, static_cast<std::uint32_t>(kMaxErrorText));
		CHECK(decode_error(big, out) == Status::Ok);
		CHECK(out.text.size() == kMaxErrorText);
	}
}

TEST_CASE("PONG round trip")
{
	Pong in;
	in.protocol_version = 1;
	in.server_version = "0.1.0";
	auto b = encode_pong(in);
	REQUIRE(b.size() == kPongFixedSize + 5);
	auto msg = make_reply(sample_header(ReplyType::Pong), b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	CHECK(h.type == ReplyType::Pong);
	Pong out;
	out.protocol_version = 99;
	REQUIRE(decode_pong(pl, out) == Status::Ok);
	CHECK(out.protocol_version == 1);
	CHECK(out.server_version == "0.1.0");

	// The version text is bounded at 64 bytes.
	in.server_version = std::string(64, 'v') + "-extra";
	auto lb = encode_pong(in);
	REQUIRE(lb.size() == kPongFixedSize + 64);
	REQUIRE(decode_pong(lb, out) == Status::Ok);
	CHECK(out.server_version == std::string(64, 'v'));
}

TEST_CASE("decode_pong: malformed payloads")
{
	Pong out;
	auto b = encode_pong(Pong{1, "1.2"});
	SUBCASE("empty")
	{
		CHECK(decode_pong({}, out) == Status::BadPayload);
	}
	SUBCASE("shorter than the fixed part")
	{
		b.resize(kPongFixedSize - 1);
		CHECK(decode_pong(b, out) == Status::BadPayload);
	}
	SUBCASE("declared text bigger")
	{
		poke<std::uint16_t>(b, 2, 4);
		CHECK(decode_pong(b, out) == Status::BadPayload);
	}
	SUBCASE("declared text smaller")
	{
		poke<std::uint16_t>(b, 2, 2);
		CHECK(decode_pong(b, out) == Status::BadPayload);
	}
	SUBCASE("text longer than 64 bytes")
	{
		std::vector<std::uint8_t> big(kPongFixedSize + 65, 'v');
		poke<std::uint16_t>(big, 0, 1);
		poke<std::uint16_t>(big, 2, 65);
		CHECK(decode_pong(big, out) == Status::BadPayload);
	}
}

TEST_CASE("ENTRIES round trip")
{
	std::vector<std::uint8_t> payload;
	Entry a;
	a.type = 8; // DT_REG
	a.mode = 0100644;
	a.size = 12345;
	a.mtime_sec = 1700000000;
	a.name = "file.txt";
	Entry d;
	d.type = 4; // DT_DIR
	d.mode = 040755;
	d.size = 4096;
	d.mtime_sec = -1;
	d.name = std::string(kMaxEntryName, 'n');
	Entry odd;
	odd.type = 10;
	odd.name = "sp ace\t\x7f\xc3\xa9";
	REQUIRE(append_entry(payload, a, 65536));
	REQUIRE(append_entry(payload, d, 65536));
	REQUIRE(append_entry(payload, odd, 65536));
	CHECK(payload.size() == 3 * kEntryFixedSize + 8 + kMaxEntryName + odd.name.size());

	auto msg = make_reply(sample_header(ReplyType::Entries), payload);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	std::vector<Entry> out;
	REQUIRE(decode_entries(pl, out) == Status::Ok);
	REQUIRE(out.size() == 3);
	CHECK(out[0].type == 8);
	CHECK(out[0].mode == 0100644);
	CHECK(out[0].size == 12345);
	CHECK(out[0].mtime_sec == 1700000000);
	CHECK(out[0].name == "file.txt");
	CHECK(out[1].type == 4);
	CHECK(out[1].mode == 040755);
	CHECK(out[1].size == 4096);
	CHECK(out[1].mtime_sec == -1);
	CHECK(out[1].name == d.name);
	CHECK(out[2].type == 10);
	CHECK(out[2].name == odd.name);

	std::vector<Entry> none;
	CHECK(decode_entries({}, none) == Status::Ok);
	CHECK(none.empty());
}

TEST_CASE("decode_entries: malformed payloads")
{
	std::vector<Entry> out;
	std::vector<std::uint8_t> b;

	SUBCASE("zero-length name")
	{
		b = raw_entry(0, "");
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("truncated fixed part")
	{
		b = raw_entry(3, "abc");
		b.resize(kEntryFixedSize - 1);
		CHECK(decode_entries(b, out) == Status::BadPayload);
		b.resize(1);
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("truncated name")
	{
		b = raw_entry(3, "abc");
		b.pop_back();
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("declared name bigger than the rest")
	{
		b = raw_entry(0xffff, "abc");
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("name longer than NAME_MAX")
	{
		b = raw_entry(256, std::string(256, 'n'));
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("name containing '/'")
	{
		b = raw_entry(5, "ab/cd");
		CHECK(decode_entries(b, out) == Status::BadPayload);
		b = raw_entry(1, "/");
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("name containing NUL")
	{
		b = raw_entry(3, std::string_view("a\0b", 3));
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("reserved byte not zero")
	{
		b = raw_entry(3, "abc", 1);
		CHECK(decode_entries(b, out) == Status::BadReserved);
	}
	SUBCASE("valid entry followed by a truncated one")
	{
		b = raw_entry(3, "abc");
		auto second = raw_entry(3, "def");
		b.insert(b.end(), second.begin(), second.begin() + 10);
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("valid entry followed by trailing bytes")
	{
		b = raw_entry(3, "abc");
		b.push_back(0);
		CHECK(decode_entries(b, out) == Status::BadPayload);
	}
	SUBCASE("the raw builder itself is valid")
	{
		b = raw_entry(3, "abc");
		auto second = raw_entry(256 - 1, std::string(255, 'z'));
		b.insert(b.end(), second.begin(), second.end());
		REQUIRE(decode_entries(b, out) == Status::Ok);
		REQUIRE(out.size() == 2);
		CHECK(out[0].name == "abc");
		CHECK(out[0].size == 99);
		CHECK(out[1].name == std::string(255, 'z'));
	}
}

TEST_CASE("append_entry respects its limit and leaves the payload unchanged")
{
	Entry e;
	e.type = 8;
	e.name = "0123456789"; // 10 bytes: an entry of 34
	const std::size_t need = kEntryFixedSize + 10;

	std::vector<std::uint8_t> payload;
	REQUIRE(append_entry(payload, e, need)); // exactly fits
	REQUIRE(payload.size() == need);
	const auto before = payload;

	CHECK_FALSE(append_entry(payload, e, 2 * need - 1));
	CHECK(payload == before);
	CHECK_FALSE(append_entry(payload, e, need));
	CHECK(payload == before);
	CHECK_FALSE(append_entry(payload, e, 0));
	CHECK(payload == before);

	CHECK(append_entry(payload, e, 2 * need));
	CHECK(payload.size() == 2 * need);
	std::vector<Entry> out;
	REQUIRE(decode_entries(payload, out) == Status::Ok);
	CHECK(out.size() == 2);
}

TEST_CASE("append_entry refuses names it cannot encode")
{
	std::vector<std::uint8_t> payload = {};
	Entry first;
	first.name = "a";
	REQUIRE(append_entry(payload, first, 4096));
	const auto before = payload;

	Entry e;
	e.name = "";
	CHECK_FALSE(append_entry(payload, e, 4096));
	CHECK(payload == before);
	e.name = std::string(kMaxEntryName + 1, 'n');
	CHECK_FALSE(append_entry(payload, e, 4096));
	CHECK(payload == before);
	e.name = std::string(kMaxEntryName, 'n');
	CHECK(append_entry(payload, e, 4096));
	CHECK(payload.size() == before.size() + kEntryFixedSize + kMaxEntryName);
}

TEST_CASE("to_string names every status")
{
	CHECK(to_string(Status::Ok) == "ok");
	for (auto s :
	     {Status::TooShort, Status::BadMagic, Status::BadVersion, Status::BadType, Status::BadLength,
	      Status::BadQueueName, Status::PathTooLong, Status::BadReserved, Status::BadPayload}) {
		CHECK(to_string(s) != "ok");
		CHECK(to_string(s) != "unknown status");
	}
	CHECK(to_string(Op::Get) == "get");
	CHECK(to_string(Op::List) == "ls");
}

TEST_SUITE_END();
