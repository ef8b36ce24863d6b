// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cerrno>
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
	                  ReplyType::Entries, ReplyType::Pong, ReplyType::Status, ReplyType::Challenge}) {
		CAPTURE(static_cast<int>(type));
		ReplyHeader in = sample_header(type);
		in.payload_size = 9999; // encode_reply sets the real size
		const std::vector<std::uint8_t> payload = {1, 2, 3};
		auto msg = make_reply(in, payload);
		REQUIRE(msg.size() == kReplyHeaderSize + 3);
		CHECK(peek<std::uint32_t>(msg, 0) == kReplyMagic);
		CHECK(peek<std::uint16_t>(msg, kRepOffVersion) == 2);
		CHECK(peek<std::uint16_t>(msg, kRepOffType) == static_cast<std::uint16_t>(type));
		CHECK(peek<std::uint64_t>(msg, 8) == 0xfeedfacecafebeefULL);
		CHECK(peek<std::uint64_t>(msg, 32) == 77);
		CHECK(peek<std::uint32_t>(msg, kRepOffPayloadSize) == 3);
		CHECK(peek<std::uint32_t>(msg, kRepOffReserved) == 0);

		ReplyHeader out;
		out.version = 0;
		std::span<const std::uint8_t> pl;
		REQUIRE(decode_reply(msg, out, pl) == Status::Ok);
		CHECK(out.version == kVersion);
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
	SUBCASE("version 1")
	{
		poke<std::uint16_t>(msg, kRepOffVersion, 1);
		CHECK(decode_reply(msg, out, pl) == Status::BadVersion);
	}
	SUBCASE("version 3")
	{
		poke<std::uint16_t>(msg, kRepOffVersion, 3);
		CHECK(decode_reply(msg, out, pl) == Status::BadVersion);
	}
	SUBCASE("type 0")
	{
		poke<std::uint16_t>(msg, kRepOffType, 0);
		CHECK(decode_reply(msg, out, pl) == Status::BadType);
	}
	SUBCASE("type max + 1")
	{
		poke<std::uint16_t>(msg, kRepOffType, static_cast<std::uint16_t>(ReplyType::Challenge) + 1);
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

// Old clients: a version-1 request is recognised, and answered with an ERROR
// in a reply header of version 1, the only one such a client decodes.

TEST_CASE("a reply header of version 1 is encodable, not decodable")
{
	ReplyHeader h = sample_header(ReplyType::Error);
	h.version = kVersion1;
	auto text = std::string("protocol version 1 is not supported");
	auto payload = encode_error(Error{EPROTONOSUPPORT, text});
	auto msg = make_reply(h, payload);
	CHECK(peek<std::uint32_t>(msg, 0) == kReplyMagic);
	CHECK(peek<std::uint16_t>(msg, kRepOffVersion) == 1);
	CHECK(peek<std::uint16_t>(msg, kRepOffType) == static_cast<std::uint16_t>(ReplyType::Error));
	CHECK(peek<std::uint32_t>(msg, kRepOffPayloadSize) == payload.size());
	CHECK(std::memcmp(msg.data() + 16, h.nonce.data(), h.nonce.size()) == 0);
	ReplyHeader out;
	std::span<const std::uint8_t> pl;
	CHECK(decode_reply(msg, out, pl) == Status::BadVersion);

	// Apart from the version, the header is the one of version 2.
	poke<std::uint16_t>(msg, kRepOffVersion, kVersion);
	REQUIRE(decode_reply(msg, out, pl) == Status::Ok);
	Error err;
	REQUIRE(decode_error(pl, err) == Status::Ok);
	CHECK(err.code == EPROTONOSUPPORT);
	CHECK(err.text == text);
}

TEST_CASE("version-1 requests give OldVersion with op, id, nonce and reply queue")
{
	for (Op op : {Op::Get, Op::Stat, Op::List, Op::Ping, Op::Status}) {
		CAPTURE(to_string(op));
		Request in = sample_request_v1();
		in.op = op;
		auto msg = encode_request_v1(in);
		REQUIRE(msg.size() == kRequestHeaderSize + 13 + 16);
		CHECK(peek<std::uint16_t>(msg, kReqOffVersion) == kVersion1);
		CHECK(peek<std::uint32_t>(msg, kReqOffPid) == 0);
		CHECK(peek<std::uint64_t>(msg, kReqOffSession) == 0);
		CHECK(std::string(msg.begin() + 64, msg.end()) == "/fsc-reply-42dir/sub/file.txt");
		Request out;
		out.session = 3;
		out.pid = 3;
		REQUIRE(decode_request(msg, out) == Status::OldVersion);
		CHECK(out.op == op);
		CHECK(out.id == in.id);
		CHECK(out.nonce == in.nonce);
		CHECK(out.reply_queue == "/fsc-reply-42");
		CHECK(out.session == 0);
		CHECK(out.pid == 0);
	}
	// A path too long is no reason to keep the old client waiting.
	CHECK(decode(raw_request("/q", std::string(kMaxPathSize + 1, 'p'), 1, kVersion1)) ==
	      Status::OldVersion);
	CHECK(decode(raw_request("/q", "", 4, kVersion1)) == Status::OldVersion);
}

TEST_CASE("invalid version-1 requests are malformed")
{
	auto good = encode_request_v1(sample_request_v1());
	REQUIRE(decode(good) == Status::OldVersion);
	for (std::uint16_t op : {0, 6, 7, 8}) {
		auto m = good;
		poke<std::uint16_t>(m, kReqOffOp, op);
		CHECK(decode(m) == Status::BadType);
	}
	for (std::size_t off = kReqOffPid; off < kRequestHeaderSize; off++) {
		auto m = good;
		m[off] = 1;
		CHECK(decode(m) == Status::BadReserved);
	}
	auto m = good;
	m.push_back(0);
	CHECK(decode(m) == Status::BadLength);
	CHECK(decode(raw_request("", "f", 1, kVersion1)) == Status::BadQueueName);
	CHECK(decode(raw_request("/a/b", "f", 1, kVersion1)) == Status::BadQueueName);
	m = good;
	m.resize(kRequestHeaderSize - 1);
	CHECK(decode(m) == Status::TooShort);
	// Order: the op before the reserved fields before the size.
	m = good;
	poke<std::uint16_t>(m, kReqOffOp, 6);
	m[kReqOffPid] = 1;
	CHECK(decode(m) == Status::BadType);
	m = good;
	m[kReqOffPid] = 1;
	m.push_back(0);
	CHECK(decode(m) == Status::BadReserved);
}

TEST_CASE("encode_request_v1 refuses what version 1 cannot say")
{
	Request r = sample_request_v1();
	REQUIRE_FALSE(encode_request_v1(r).empty());
	r.op = Op::Open;
	CHECK(encode_request_v1(r).empty());
	r.op = Op::Close;
	CHECK(encode_request_v1(r).empty());
	r = sample_request_v1();
	r.reply_queue = "";
	CHECK(encode_request_v1(r).empty());
	r = sample_request_v1();
	r.path = std::string(kMaxPathSize + 1, 'p');
	CHECK(encode_request_v1(r).empty());
}

TEST_CASE("to_string names every status")
{
	CHECK(to_string(Status::Ok) == "ok");
	for (auto s : {Status::TooShort, Status::BadMagic, Status::BadVersion, Status::BadType,
	               Status::BadLength, Status::BadQueueName, Status::PathTooLong, Status::BadReserved,
	               Status::BadPayload, Status::OldVersion}) {
		CHECK(to_string(s) != "ok");
		CHECK(to_string(s) != "unknown status");
	}
	CHECK(to_string(Op::Get) == "get");
	CHECK(to_string(Op::List) == "ls");
	CHECK(to_string(Op::Open) == "open");
	CHECK(to_string(Op::Close) == "close");
}

TEST_SUITE_END();
