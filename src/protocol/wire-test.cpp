// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "protocol/wire.h"

using namespace fileserver::protocol;

namespace {

// Layout offsets from the format comments in wire.cpp: the tests write them
// by hand so that a change of layout shows up here.
constexpr std::size_t kReqOffVersion = 4;
constexpr std::size_t kReqOffOp = 6;
constexpr std::size_t kReqOffQueueSize = 48;
constexpr std::size_t kReqOffPathSize = 50;
constexpr std::size_t kReqOffFlags = 52;
constexpr std::size_t kReqOffReserved = 56;

constexpr std::size_t kRepOffVersion = 4;
constexpr std::size_t kRepOffType = 6;
constexpr std::size_t kRepOffPayloadSize = 40;
constexpr std::size_t kRepOffReserved = 44;

template<typename T>
void poke(std::vector<std::uint8_t> &b, std::size_t off, T v)
{
	REQUIRE(off + sizeof(v) <= b.size());
	std::memcpy(b.data() + off, &v, sizeof(v));
}

template<typename T>
T peek(std::span<const std::uint8_t> b, std::size_t off)
{
	T v;
	REQUIRE(off + sizeof(v) <= b.size());
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

Nonce make_nonce(std::uint8_t seed)
{
	Nonce n;
	for (std::size_t i = 0; i < n.size(); i++)
		n[i] = static_cast<std::uint8_t>(seed + i * 7);
	return n;
}

Request sample_request()
{
	Request r;
	r.op = Op::Get;
	r.id = 0x0123456789abcdefULL;
	r.nonce = make_nonce(0x11);
	r.offset = 4096;
	r.length = 123456;
	r.reply_queue = "/fsc-reply-42";
	r.path = "dir/sub/file.txt";
	return r;
}

// A request built byte by byte, so that decode can be fed what encode refuses
// to produce.
std::vector<std::uint8_t> raw_request(std::string_view queue, std::string_view path, std::uint16_t op = 1)
{
	std::vector<std::uint8_t> b(kRequestHeaderSize + queue.size() + path.size());
	poke<std::uint32_t>(b, 0, kRequestMagic);
	poke<std::uint16_t>(b, kReqOffVersion, kVersion);
	poke<std::uint16_t>(b, kReqOffOp, op);
	poke<std::uint64_t>(b, 8, 7);
	poke<std::uint64_t>(b, 40, kToEnd);
	poke<std::uint16_t>(b, kReqOffQueueSize, static_cast<std::uint16_t>(queue.size()));
	poke<std::uint16_t>(b, kReqOffPathSize, static_cast<std::uint16_t>(path.size()));
	if (!queue.empty())
		std::memcpy(b.data() + kRequestHeaderSize, queue.data(), queue.size());
	if (!path.empty())
		std::memcpy(b.data() + kRequestHeaderSize + queue.size(), path.data(), path.size());
	return b;
}

Status decode(const std::vector<std::uint8_t> &msg)
{
	Request r;
	return decode_request(msg, r);
}

ReplyHeader sample_header(ReplyType type)
{
	ReplyHeader h;
	h.type = type;
	h.request_id = 0xfeedfacecafebeefULL;
	h.nonce = make_nonce(0x5a);
	h.seq = 77;
	return h;
}

// Encodes a complete reply message with encode_reply.
std::vector<std::uint8_t> make_reply(const ReplyHeader &h, std::span<const std::uint8_t> payload)
{
	std::vector<std::uint8_t> out(kReplyHeaderSize + payload.size());
	std::size_t n = encode_reply(h, payload, out);
	REQUIRE(n == out.size());
	return out;
}

std::vector<std::uint8_t> raw_entry(std::uint16_t name_size, std::string_view name, std::uint8_t reserved = 0)
{
	std::vector<std::uint8_t> b(kEntryFixedSize + name.size());
	poke<std::uint16_t>(b, 0, name_size);
	poke<std::uint8_t>(b, 2, 8);
	poke<std::uint8_t>(b, 3, reserved);
	poke<std::uint32_t>(b, 4, 0100644);
	poke<std::uint64_t>(b, 8, 99);
	poke<std::int64_t>(b, 16, 1700000000);
	if (!name.empty())
		std::memcpy(b.data() + kEntryFixedSize, name.data(), name.size());
	return b;
}

} // namespace

TEST_SUITE_BEGIN("wire");

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
