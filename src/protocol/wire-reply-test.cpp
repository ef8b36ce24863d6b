// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/wire-test-helpers.h"

using namespace fileserver::protocol;
using namespace fileserver::protocol::test;

TEST_SUITE_BEGIN("wire-reply");

TEST_CASE("reply header round trip for every type")
{
	for (auto type : {ReplyType::Meta, ReplyType::Data, ReplyType::End, ReplyType::Error,
	                  ReplyType::Entries, ReplyType::Pong}) {
		CAPTURE(static_cast<int>(type));
		ReplyHeader in = sample_header(type);
		in.payload_size = 9999; // encode_reply sets the real size
		const std::vector<std::uint8_t> payload = {1, 2, 3};
		auto msg = make_reply(in, payload);
		REQUIRE(msg.size() == kReplyHeaderSize + 3);
		CHECK(peek<std::uint32_t>(msg, 0) == kReplyMagic);
		CHECK(peek<std::uint32_t>(msg, kRepOffPayloadSize) == 3);
		CHECK(peek<std::uint32_t>(msg, kRepOffReserved) == 0);

		ReplyHeader out;
		std::span<const std::uint8_t> pl;
		REQUIRE(decode_reply(msg, out, pl) == Status::Ok);
		CHECK(out.type == type);
		CHECK(out.request_id == 0xfeedfacecafebeefULL);
		CHECK(out.nonce == make_nonce(0x5a));
		CHECK(out.seq == 77);
		CHECK(out.payload_size == 3);
		REQUIRE(pl.size() == 3);
		CHECK(pl.data() == msg.data() + kReplyHeaderSize);
		CHECK(pl[2] == 3);
	}
}

TEST_CASE("reply with an empty payload")
{
	auto msg = make_reply(sample_header(ReplyType::End), {});
	REQUIRE(msg.size() == kReplyHeaderSize);
	ReplyHeader out;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(msg, out, pl) == Status::Ok);
	CHECK(out.payload_size == 0);
	CHECK(pl.empty());
}

TEST_CASE("DATA reply via encode_reply_header (zero-copy path)")
{
	std::vector<std::uint8_t> buf(kReplyHeaderSize + 1000, 0xee);
	for (std::size_t i = 0; i < 1000; i++)
		buf[kReplyHeaderSize + i] = static_cast<std::uint8_t>(i * 31);
	ReplyHeader h = sample_header(ReplyType::Data);
	h.seq = 3;
	h.payload_size = 1000;
	encode_reply_header(h, buf);

	ReplyHeader out;
	std::span<const std::uint8_t> pl;
	REQUIRE(decode_reply(buf, out, pl) == Status::Ok);
	CHECK(out.type == ReplyType::Data);
	CHECK(out.seq == 3);
	CHECK(out.request_id == h.request_id);
	CHECK(out.nonce == h.nonce);
	CHECK(out.payload_size == 1000);
	REQUIRE(pl.size() == 1000);
	bool same = true;
	for (std::size_t i = 0; i < 1000; i++)
		same = same && pl[i] == static_cast<std::uint8_t>(i * 31);
	CHECK(same);
	// The payload area was left alone and the reserved word was cleared.
	CHECK(peek<std::uint32_t>(buf, kRepOffReserved) == 0);
}

TEST_CASE("encode_reply returns 0 when the payload does not fit")
{
	ReplyHeader h = sample_header(ReplyType::Data);
	std::vector<std::uint8_t> payload(100, 0x42);

	std::vector<std::uint8_t> small(kReplyHeaderSize + 99);
	CHECK(encode_reply(h, payload, small) == 0);

	std::vector<std::uint8_t> tiny(kReplyHeaderSize - 1);
	CHECK(encode_reply(h, {}, tiny) == 0);
	CHECK(encode_reply(h, {}, std::span<std::uint8_t>()) == 0);

	std::vector<std::uint8_t> exact(kReplyHeaderSize + 100);
	CHECK(encode_reply(h, payload, exact) == kReplyHeaderSize + 100);

	std::vector<std::uint8_t> big(kReplyHeaderSize + 500, 0xcc);
	CHECK(encode_reply(h, payload, big) == kReplyHeaderSize + 100);
	CHECK(peek<std::uint32_t>(big, kRepOffPayloadSize) == 100);
	CHECK(big[kReplyHeaderSize + 99] == 0x42);
	CHECK(big[kReplyHeaderSize + 100] == 0xcc);

	std::vector<std::uint8_t> header_only(kReplyHeaderSize);
	CHECK(encode_reply(h, {}, header_only) == kReplyHeaderSize);
}

TEST_CASE("decode_reply: malformed headers")
{
	const std::vector<std::uint8_t> payload = {9, 8, 7, 6};
	auto msg = make_reply(sample_header(ReplyType::Entries), payload);
	ReplyHeader out;
	std::span<const std::uint8_t> pl;

	SUBCASE("empty")
	{
		CHECK(decode_reply(std::span<const std::uint8_t>(), out, pl) == Status::TooShort);
	}
	SUBCASE("shorter than the header")
	{
		msg.resize(kReplyHeaderSize - 1);
		CHECK(decode_reply(msg, out, pl) == Status::TooShort);
	}
	SUBCASE("request magic")
	{
		poke<std::uint32_t>(msg, 0, kRequestMagic);
		CHECK(decode_reply(msg, out, pl) == Status::BadMagic);
	}
	SUBCASE("zero magic")
	{
		poke<std::uint32_t>(msg, 0, 0);
		CHECK(decode_reply(msg, out, pl) == Status::BadMagic);
	}
	SUBCASE("version 0")
	{
		poke<std::uint16_t>(msg, kRepOffVersion, 0);
		CHECK(decode_reply(msg, out, pl) == Status::BadVersion);
	}
	SUBCASE("version 2")
	{
		poke<std::uint16_t>(msg, kRepOffVersion, 2);
		CHECK(decode_reply(msg, out, pl) == Status::BadVersion);
	}
	SUBCASE("type 0")
	{
		poke<std::uint16_t>(msg, kRepOffType, 0);
		CHECK(decode_reply(msg, out, pl) == Status::BadType);
	}
	SUBCASE("type max + 1")
	{
		poke<std::uint16_t>(msg, kRepOffType, static_cast<std::uint16_t>(ReplyType::Status) + 1);
		CHECK(decode_reply(msg, out, pl) == Status::BadType);
	}
	SUBCASE("type 0xffff")
	{
		poke<std::uint16_t>(msg, kRepOffType, 0xffff);
		CHECK(decode_reply(msg, out, pl) == Status::BadType);
	}
	SUBCASE("reserved word not zero")
	{
		for (std::size_t off = kRepOffReserved; off < kReplyHeaderSize; off++) {
			CAPTURE(off);
			auto m = msg;
			m[off] = 1;
			CHECK(decode_reply(m, out, pl) == Status::BadReserved);
		}
	}
	SUBCASE("declared payload bigger than the message")
	{
		poke<std::uint32_t>(msg, kRepOffPayloadSize, 5);
		CHECK(decode_reply(msg, out, pl) == Status::BadLength);
		poke<std::uint32_t>(msg, kRepOffPayloadSize, 0xffffffff);
		CHECK(decode_reply(msg, out, pl) == Status::BadLength);
	}
	SUBCASE("declared payload smaller than the message")
	{
		poke<std::uint32_t>(msg, kRepOffPayloadSize, 3);
		CHECK(decode_reply(msg, out, pl) == Status::BadLength);
		poke<std::uint32_t>(msg, kRepOffPayloadSize, 0);
		CHECK(decode_reply(msg, out, pl) == Status::BadLength);
	}
	SUBCASE("message truncated")
	{
		msg.pop_back();
		CHECK(decode_reply(msg, out, pl) == Status::BadLength);
	}
	SUBCASE("a request is not a reply")
	{
		auto req = encode_request(sample_request());
		CHECK(decode_reply(req, out, pl) == Status::BadMagic);
	}
}

TEST_SUITE_END();
