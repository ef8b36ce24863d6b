// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "protocol/wire-test-helpers.h"

using namespace fileserver::protocol;
using namespace fileserver::protocol::test;

TEST_SUITE_BEGIN("wire-request");

TEST_CASE("request round trip keeps every field")
{
	for (Op op : {Op::Get, Op::Stat, Op::List, Op::Ping, Op::Status}) {
		CAPTURE(to_string(op));
		Request in = sample_request();
		in.op = op;
		auto msg = encode_request(in);
		REQUIRE(msg.size() == kRequestHeaderSize + in.reply_queue.size() + in.path.size());

		Request out;
		REQUIRE(decode_request(msg, out) == Status::Ok);
		CHECK(out.op == op);
		CHECK(out.id == 0x0123456789abcdefULL);
		CHECK(out.nonce == make_nonce(0x11));
		CHECK(out.offset == 4096);
		CHECK(out.length == 123456);
		CHECK(out.reply_queue == "/fsc-reply-42");
		CHECK(out.path == "dir/sub/file.txt");
	}
}

TEST_CASE("request layout matches the documented offsets")
{
	Request in = sample_request();
	auto msg = encode_request(in);
	REQUIRE(msg.size() == kRequestHeaderSize + 13 + 16);
	CHECK(peek<std::uint32_t>(msg, 0) == kRequestMagic);
	CHECK(peek<std::uint16_t>(msg, 4) == 1);
	CHECK(peek<std::uint16_t>(msg, 6) == 1);
	CHECK(peek<std::uint64_t>(msg, 8) == 0x0123456789abcdefULL);
	CHECK(msg[16] == 0x11);
	CHECK(peek<std::uint64_t>(msg, 32) == 4096);
	CHECK(peek<std::uint64_t>(msg, 40) == 123456);
	CHECK(peek<std::uint16_t>(msg, 48) == 13);
	CHECK(peek<std::uint16_t>(msg, 50) == 16);
	CHECK(peek<std::uint32_t>(msg, 52) == 0);
	CHECK(peek<std::uint64_t>(msg, 56) == 0);
	CHECK(std::string(msg.begin() + 64, msg.end()) == "/fsc-reply-42dir/sub/file.txt");
	if constexpr (std::endian::native == std::endian::little)
		CHECK(std::string(msg.begin(), msg.begin() + 4) == "FSRQ");
}

TEST_CASE("request with an empty path and default length")
{
	Request in;
	in.op = Op::Ping;
	in.reply_queue = "/q";
	auto msg = encode_request(in);
	REQUIRE(msg.size() == kRequestHeaderSize + 2);
	Request out;
	out.path = "stale";
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.op == Op::Ping);
	CHECK(out.path.empty());
	CHECK(out.length == kToEnd);
	CHECK(out.offset == 0);
	CHECK(out.reply_queue == "/q");
}

TEST_CASE("request path of exactly kMaxPathSize bytes is accepted")
{
	Request in = sample_request();
	in.path = std::string(kMaxPathSize, 'p');
	auto msg = encode_request(in);
	REQUIRE(msg.size() == kRequestHeaderSize + in.reply_queue.size() + kMaxPathSize);
	Request out;
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.path == in.path);
}

TEST_CASE("request reply queue of 256 bytes is accepted")
{
	Request in = sample_request();
	in.reply_queue = "/" + std::string(255, 'q');
	REQUIRE(in.reply_queue.size() == kMaxQueueNameSize);
	auto msg = encode_request(in);
	REQUIRE_FALSE(msg.empty());
	Request out;
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.reply_queue == in.reply_queue);
	CHECK(decode(raw_request(in.reply_queue, "x")) == Status::Ok);
}

TEST_CASE("encode_request returns empty for invalid input")
{
	Request r = sample_request();
	SUBCASE("empty reply queue")
	{
		r.reply_queue = "";
	}
	SUBCASE("reply queue without a leading slash")
	{
		r.reply_queue = "fsc-reply";
	}
	SUBCASE("reply queue of only a slash")
	{
		r.reply_queue = "/";
	}
	SUBCASE("reply queue with a second slash")
	{
		r.reply_queue = "/fsc/reply";
	}
	SUBCASE("reply queue with an embedded NUL")
	{
		r.reply_queue = std::string("/fsc\0reply", 10);
	}
	SUBCASE("reply queue longer than 256 bytes")
	{
		r.reply_queue = "/" + std::string(256, 'q');
	}
	SUBCASE("path longer than kMaxPathSize")
	{
		r.path = std::string(kMaxPathSize + 1, 'p');
	}
	SUBCASE("op 0")
	{
		r.op = static_cast<Op>(0);
	}
	SUBCASE("op past the last")
	{
		r.op = static_cast<Op>(6);
	}
	CHECK(encode_request(r).empty());
}

TEST_CASE("decode_request: too short")
{
	CHECK(decode(std::vector<std::uint8_t>{}) == Status::TooShort);
	auto msg = encode_request(sample_request());
	msg.resize(kRequestHeaderSize - 1);
	CHECK(decode(msg) == Status::TooShort);
	msg.resize(1);
	CHECK(decode(msg) == Status::TooShort);
}

TEST_CASE("decode_request: header alone has an empty reply queue")
{
	auto msg = raw_request("", "");
	REQUIRE(msg.size() == kRequestHeaderSize);
	CHECK(decode(msg) == Status::BadQueueName);
}

TEST_CASE("decode_request: bad magic")
{
	auto msg = encode_request(sample_request());
	SUBCASE("reply magic")
	{
		poke<std::uint32_t>(msg, 0, kReplyMagic);
	}
	SUBCASE("zero")
	{
		poke<std::uint32_t>(msg, 0, 0);
	}
	SUBCASE("one bit off")
	{
		poke<std::uint32_t>(msg, 0, kRequestMagic ^ 0x80000000u);
	}
	CHECK(decode(msg) == Status::BadMagic);
}

TEST_CASE("decode_request: bad version")
{
	auto msg = encode_request(sample_request());
	SUBCASE("0")
	{
		poke<std::uint16_t>(msg, kReqOffVersion, 0);
	}
	SUBCASE("2")
	{
		poke<std::uint16_t>(msg, kReqOffVersion, 2);
	}
	SUBCASE("0xffff")
	{
		poke<std::uint16_t>(msg, kReqOffVersion, 0xffff);
	}
	CHECK(decode(msg) == Status::BadVersion);
}

TEST_CASE("decode_request: unknown op")
{
	auto msg = encode_request(sample_request());
	SUBCASE("0")
	{
		poke<std::uint16_t>(msg, kReqOffOp, 0);
	}
	SUBCASE("max + 1")
	{
		poke<std::uint16_t>(msg, kReqOffOp, static_cast<std::uint16_t>(Op::Status) + 1);
	}
	SUBCASE("0xffff")
	{
		poke<std::uint16_t>(msg, kReqOffOp, 0xffff);
	}
	CHECK(decode(msg) == Status::BadType);
}

TEST_CASE("decode_request: reserved flags and bytes must be zero")
{
	auto good = encode_request(sample_request());
	for (std::size_t off = kReqOffFlags; off < kRequestHeaderSize; off++) {
		CAPTURE(off);
		auto msg = good;
		msg[off] = 0x01;
		CHECK(decode(msg) == Status::BadReserved);
		msg[off] = 0x80;
		CHECK(decode(msg) == Status::BadReserved);
	}
	CHECK(kReqOffReserved + 8 == kRequestHeaderSize);
	CHECK(decode(good) == Status::Ok);
}

TEST_CASE("decode_request: declared lengths disagree with the message size")
{
	Request in = sample_request();
	auto msg = encode_request(in);
	auto qlen = static_cast<std::uint16_t>(in.reply_queue.size());
	auto plen = static_cast<std::uint16_t>(in.path.size());

	SUBCASE("queue size bigger")
	{
		poke<std::uint16_t>(msg, kReqOffQueueSize, qlen + 1);
	}
	SUBCASE("queue size smaller")
	{
		poke<std::uint16_t>(msg, kReqOffQueueSize, qlen - 1);
	}
	SUBCASE("queue size huge")
	{
		poke<std::uint16_t>(msg, kReqOffQueueSize, 0xffff);
	}
	SUBCASE("path size bigger")
	{
		poke<std::uint16_t>(msg, kReqOffPathSize, plen + 1);
	}
	SUBCASE("path size smaller")
	{
		poke<std::uint16_t>(msg, kReqOffPathSize, plen - 1);
	}
	SUBCASE("path size zero")
	{
		poke<std::uint16_t>(msg, kReqOffPathSize, 0);
	}
	SUBCASE("message truncated by one byte")
	{
		msg.pop_back();
	}
	SUBCASE("message with a trailing byte")
	{
		msg.push_back('x');
	}
	SUBCASE("message cut right after the header")
	{
		msg.resize(kRequestHeaderSize);
	}
	CHECK(decode(msg) == Status::BadLength);
}

TEST_CASE("decode_request: path longer than kMaxPathSize")
{
	CHECK(decode(raw_request("/q", std::string(kMaxPathSize + 1, 'p'))) == Status::PathTooLong);
	CHECK(decode(raw_request("/q", std::string(60000, 'p'))) == Status::PathTooLong);
	CHECK(decode(raw_request("/q", std::string(kMaxPathSize, 'p'))) == Status::Ok);
}

TEST_CASE("decode_request: invalid reply queue names")
{
	std::string name;
	SUBCASE("empty")
	{
		name = "";
	}
	SUBCASE("no leading slash")
	{
		name = "fsc-reply";
	}
	SUBCASE("only a slash")
	{
		name = "/";
	}
	SUBCASE("a second slash")
	{
		name = "/fsc/reply";
	}
	SUBCASE("a trailing slash")
	{
		name = "/fsc/";
	}
	SUBCASE("embedded NUL")
	{
		name = std::string("/fsc\0x", 6);
	}
	SUBCASE("trailing NUL")
	{
		name = std::string("/fsc\0", 5);
	}
	SUBCASE("longer than 256 bytes")
	{
		name = "/" + std::string(256, 'q');
	}
	CAPTURE(name);
	CHECK(decode(raw_request(name, "file")) == Status::BadQueueName);
}

TEST_CASE("decode_request runs its checks in the documented order")
{
	// Each message fails two checks: the earlier one is reported.
	auto msg = encode_request(sample_request());
	auto bad_magic_and_version = msg;
	poke<std::uint32_t>(bad_magic_and_version, 0, 0);
	poke<std::uint16_t>(bad_magic_and_version, kReqOffVersion, 9);
	CHECK(decode(bad_magic_and_version) == Status::BadMagic);

	auto bad_version_and_op = msg;
	poke<std::uint16_t>(bad_version_and_op, kReqOffVersion, 9);
	poke<std::uint16_t>(bad_version_and_op, kReqOffOp, 0);
	CHECK(decode(bad_version_and_op) == Status::BadVersion);

	auto bad_op_and_flags = msg;
	poke<std::uint16_t>(bad_op_and_flags, kReqOffOp, 0);
	poke<std::uint32_t>(bad_op_and_flags, kReqOffFlags, 1);
	CHECK(decode(bad_op_and_flags) == Status::BadType);

	auto bad_flags_and_length = msg;
	poke<std::uint32_t>(bad_flags_and_length, kReqOffFlags, 1);
	bad_flags_and_length.push_back(0);
	CHECK(decode(bad_flags_and_length) == Status::BadReserved);

	// A declared path size over the bound that the message does not hold.
	auto bad_length_and_path = raw_request("/q", "p");
	poke<std::uint16_t>(bad_length_and_path, kReqOffPathSize, kMaxPathSize + 1);
	CHECK(decode(bad_length_and_path) == Status::BadLength);

	// The reply queue is checked before the path bound, so that a request
	// with a too long path can still be answered.
	CHECK(decode(raw_request("no-slash", std::string(kMaxPathSize + 1, 'p'))) == Status::BadQueueName);
	CHECK(decode(raw_request("/q", std::string(kMaxPathSize + 1, 'p'))) == Status::PathTooLong);
}

TEST_CASE("decode_request fills everything but the path when the path is too long")
{
	Request req;
	req.op = Op::Get;
	req.id = 0x1122334455667788ULL;
	req.nonce.fill(0x5a);
	req.offset = 7;
	req.length = 9;
	req.reply_queue = "/reply";
	req.path = "x";
	auto msg = encode_request(req);
	REQUIRE(!msg.empty());
	// Grow the path beyond the bound by hand: encode_request refuses to.
	msg.resize(msg.size() - 1);
	msg.insert(msg.end(), kMaxPathSize + 1, 'p');
	poke<std::uint16_t>(msg, kReqOffPathSize, kMaxPathSize + 1);
	Request out;
	REQUIRE(decode_request(msg, out) == Status::PathTooLong);
	CHECK(out.op == Op::Get);
	CHECK(out.id == req.id);
	CHECK(out.nonce == req.nonce);
	CHECK(out.reply_queue == "/reply");
	CHECK(out.path.empty());
}

TEST_CASE("decode_request keeps an embedded NUL in the path")
{
	const std::string path("a\0b/../etc", 10);
	auto msg = raw_request("/q", path);
	Request out;
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.path.size() == 10);
	CHECK(out.path == path);
	CHECK(out.path[1] == '\0');

	// encode carries it through as well.
	Request in = sample_request();
	in.path = path;
	auto enc = encode_request(in);
	REQUIRE_FALSE(enc.empty());
	Request out2;
	REQUIRE(decode_request(enc, out2) == Status::Ok);
	CHECK(out2.path == path);
}

TEST_SUITE_END();
