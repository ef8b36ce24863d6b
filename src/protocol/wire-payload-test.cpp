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
	// Empty file; offset at the end, nothing to send; the whole of the largest file.
	for (auto [size, offset, length] :
	     {std::array<std::uint64_t, 3>{0, 0, 0}, {100, 100, 0}, {UINT64_MAX, 0, UINT64_MAX}}) {
		CAPTURE(size);
		Meta in;
		in.size = size;
		in.offset = offset;
		in.length = length;
		Meta out;
		REQUIRE(decode_meta(encode_meta(in), out) == Status::Ok);
		CHECK(out.size == size);
		CHECK(out.offset == offset);
		CHECK(out.length == length);
	}
}

TEST_CASE("decode_meta: malformed payloads")
{
	Meta m;
	m.size = 1000;
	m.offset = 100;
	m.length = 900;
	m.mtime_nsec = 5;
	auto good = encode_meta(m);
	const std::vector<std::uint8_t> b(good.begin(), good.end());
	Meta out;
	REQUIRE(decode_meta(b, out) == Status::Ok);
	auto bad = [&](auto change) { return decode_meta(changed(b, change), out); };
	CHECK(decode_meta({}, out) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.pop_back(); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.push_back(0); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 36, 1); }) == Status::BadReserved);
	// offset > size
	CHECK(bad([](auto &v) {
		      poke<std::uint64_t>(v, 8, 1001);
		      poke<std::uint64_t>(v, 16, 0);
	      }) == Status::BadPayload);
	// length > size - offset, and offset + length past 2^64
	CHECK(bad([](auto &v) { poke<std::uint64_t>(v, 16, 901); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint64_t>(v, 16, UINT64_MAX - 50); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 48, 1'000'000'000u); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 48, UINT32_MAX); }) == Status::BadPayload);
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

	// The text is cut to kMaxErrorText bytes.
	in.text = std::string(kMaxErrorText, 'a') + "OVERFLOW";
	REQUIRE(encode_error(in).size() == kErrorFixedSize + kMaxErrorText);
	REQUIRE(decode_error(encode_error(in), out) == Status::Ok);
	CHECK(out.text == std::string(kMaxErrorText, 'a'));
}

TEST_CASE("decode_error: malformed payloads")
{
	Error out;
	const auto b = encode_error(Error{22, "bad"});
	auto bad = [&](auto change) { return decode_error(changed(b, change), out); };
	CHECK(decode_error({}, out) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.resize(kErrorFixedSize - 1); }) == Status::BadPayload);
	// Declared text bigger, then smaller than the payload.
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 4, 4); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 4, UINT32_MAX); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint32_t>(v, 4, 2); }) == Status::BadPayload);

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

TEST_CASE("PONG round trip")
{
	Pong in;
	CHECK(in.protocol_version == 2);
	in.server_version = "0.1.0";
	auto b = encode_pong(in);
	REQUIRE(b.size() == kPongFixedSize + 5);
	CHECK(peek<std::uint16_t>(b, 0) == kVersion);
	auto msg = make_reply(sample_header(ReplyType::Pong), b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	CHECK(h.type == ReplyType::Pong);
	Pong out;
	out.protocol_version = 99;
	REQUIRE(decode_pong(pl, out) == Status::Ok);
	CHECK(out.protocol_version == 2);
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
	const auto b = encode_pong(Pong{2, "1.2"});
	auto bad = [&](auto change) { return decode_pong(changed(b, change), out); };
	CHECK(decode_pong({}, out) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.resize(kPongFixedSize - 1); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint16_t>(v, 2, 4); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint16_t>(v, 2, 2); }) == Status::BadPayload);
	std::vector<std::uint8_t> big(kPongFixedSize + 65, 'v');
	poke<std::uint16_t>(big, 0, 2);
	poke<std::uint16_t>(big, 2, 65);
	CHECK(decode_pong(big, out) == Status::BadPayload);
}

TEST_CASE("CHALLENGE round trip")
{
	Challenge in;
	in.session = 0x8877665544332211ULL;
	in.secret = make_nonce(0x77);
	in.idle_timeout_ms = 60000;
	auto b = encode_challenge(in);
	static_assert(sizeof(b) == kChallengeSize);
	CHECK(peek<std::uint64_t>(b, 0) == in.session);
	CHECK(std::memcmp(b.data() + 8, in.secret.data(), 16) == 0);
	CHECK(peek<std::uint32_t>(b, 24) == 60000);
	CHECK(peek<std::uint32_t>(b, 28) == 0);

	// The reply to OPEN carries the OPEN's nonce in its header.
	ReplyHeader hdr = sample_header(ReplyType::Challenge);
	auto msg = make_reply(hdr, b);
	ReplyHeader h;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, h, pl) == Status::Ok);
	CHECK(h.type == ReplyType::Challenge);
	CHECK(h.nonce == hdr.nonce);
	Challenge out;
	REQUIRE(decode_challenge(pl, out) == Status::Ok);
	CHECK(out.session == in.session);
	CHECK(out.secret == in.secret);
	CHECK(out.idle_timeout_ms == 60000);
	CHECK(encode_challenge(out) == b);

	// Edge values: any idle timeout, any session id but 0.
	in.session = 1;
	in.idle_timeout_ms = UINT32_MAX;
	REQUIRE(decode_challenge(encode_challenge(in), out) == Status::Ok);
	CHECK(out.session == 1);
	CHECK(out.idle_timeout_ms == UINT32_MAX);
}

TEST_CASE("decode_challenge: malformed payloads")
{
	Challenge in;
	in.session = 42;
	in.secret = make_nonce(1);
	auto good = encode_challenge(in);
	const std::vector<std::uint8_t> b(good.begin(), good.end());
	Challenge out;
	auto bad = [&](auto change) { return decode_challenge(changed(b, change), out); };
	CHECK(decode_challenge({}, out) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.pop_back(); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { v.push_back(0); }) == Status::BadPayload);
	CHECK(bad([](auto &v) { poke<std::uint64_t>(v, 0, 0); }) == Status::BadPayload);
	for (std::size_t off = 28; off < kChallengeSize; off++) {
		CAPTURE(off);
		CHECK(bad([off](auto &v) { v[off] = 1; }) == Status::BadPayload);
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
	auto decode_entries_of = [&](const std::vector<std::uint8_t> &b) { return decode_entries(b, out); };
	auto join = [](std::vector<std::uint8_t> a, const std::vector<std::uint8_t> &b, std::size_t n) {
		a.insert(a.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
		return a;
	};
	const auto abc = raw_entry(3, "abc");
	CHECK(decode_entries_of(raw_entry(0, "")) == Status::BadPayload);
	// Truncated fixed part, truncated name, name size past the end.
	CHECK(decode_entries_of(changed(abc, [](auto &v) { v.resize(kEntryFixedSize - 1); })) ==
	      Status::BadPayload);
	CHECK(decode_entries_of(changed(abc, [](auto &v) { v.resize(1); })) == Status::BadPayload);
	CHECK(decode_entries_of(changed(abc, [](auto &v) { v.pop_back(); })) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(0xffff, "abc")) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(256, std::string(256, 'n'))) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(5, "ab/cd")) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(1, "/")) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(3, std::string_view("a\0b", 3))) == Status::BadPayload);
	CHECK(decode_entries_of(raw_entry(3, "abc", 1)) == Status::BadReserved);
	// A valid entry followed by a truncated one, or by a stray byte.
	CHECK(decode_entries_of(join(abc, raw_entry(3, "def"), 10)) == Status::BadPayload);
	CHECK(decode_entries_of(join(abc, {0}, 1)) == Status::BadPayload);

	// The raw builder itself is valid.
	out.clear();
	auto second = raw_entry(256 - 1, std::string(255, 'z'));
	REQUIRE(decode_entries_of(join(abc, second, second.size())) == Status::Ok);
	REQUIRE(out.size() == 2);
	CHECK(out[0].name == "abc");
	CHECK(out[0].size == 99);
	CHECK(out[1].name == std::string(255, 'z'));
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

TEST_SUITE_END();
