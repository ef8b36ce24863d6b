// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "protocol/wire-test-helpers.h"

using namespace fileserver::protocol;
using namespace fileserver::protocol::test;

TEST_SUITE_BEGIN("wire-request");

namespace {

constexpr auto kOpen = static_cast<std::uint16_t>(Op::Open);

std::vector<std::uint8_t> with_path_too_long(std::vector<std::uint8_t> msg)
{
	std::size_t plen = peek<std::uint16_t>(msg, kReqOffPathSize);
	REQUIRE(plen <= msg.size());
	// erase, not resize: GCC 12 at -O1 with the sanitizers warns falsely
	// (-Wstringop-overflow) on the resize's path that would grow the vector.
	msg.erase(msg.end() - static_cast<std::ptrdiff_t>(plen), msg.end());
	msg.insert(msg.end(), kMaxPathSize + 1, 'p');
	poke<std::uint16_t>(msg, kReqOffPathSize, kMaxPathSize + 1);
	return msg;
}

} // namespace

TEST_CASE("session request round trip keeps every field")
{
	for (Op op : {Op::Get, Op::Stat, Op::List, Op::Ping, Op::Status, Op::Close}) {
		CAPTURE(to_string(op));
		Request in = sample_request();
		in.op = op;
		auto msg = encode_request(in);
		REQUIRE(msg.size() == kRequestHeaderSize + in.path.size());

		Request out;
		out.reply_queue = "/stale";
		out.pid = 9;
		REQUIRE(decode_request(msg, out) == Status::Ok);
		CHECK(out.op == op);
		CHECK(out.id == 0x0123456789abcdefULL);
		CHECK(out.nonce == make_nonce(0x11));
		CHECK(out.offset == 4096);
		CHECK(out.length == 123456);
		CHECK(out.reply_queue.empty());
		CHECK(out.path == "dir/sub/file.txt");
		CHECK(out.pid == 0);
		CHECK(out.session == kSampleSession);
		CHECK(encode_request(out) == msg);
	}
}

TEST_CASE("OPEN round trip keeps every field")
{
	Request in = sample_open();
	auto msg = encode_request(in);
	REQUIRE(msg.size() == kRequestHeaderSize + in.reply_queue.size());
	Request out;
	out.path = "stale";
	out.session = 5;
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.op == Op::Open);
	CHECK(out.id == 0x0123456789abcdefULL);
	CHECK(out.nonce == make_nonce(0x22));
	CHECK(out.reply_queue == "/fsc-reply-42");
	CHECK(out.path.empty());
	CHECK(out.pid == kSamplePid);
	CHECK(out.session == 0);
	CHECK(encode_request(out) == msg);
}

TEST_CASE("request layout matches the documented offsets")
{
	auto msg = encode_request(sample_request());
	REQUIRE(msg.size() == kRequestHeaderSize + 16);
	CHECK(peek<std::uint32_t>(msg, 0) == kRequestMagic);
	CHECK(peek<std::uint16_t>(msg, 4) == 2);
	CHECK(peek<std::uint16_t>(msg, 6) == 1);
	CHECK(peek<std::uint64_t>(msg, 8) == 0x0123456789abcdefULL);
	CHECK(msg[16] == 0x11);
	CHECK(peek<std::uint64_t>(msg, 32) == 4096);
	CHECK(peek<std::uint64_t>(msg, 40) == 123456);
	CHECK(peek<std::uint16_t>(msg, 48) == 0);
	CHECK(peek<std::uint16_t>(msg, 50) == 16);
	CHECK(peek<std::uint32_t>(msg, 52) == 0);
	CHECK(peek<std::uint64_t>(msg, 56) == kSampleSession);
	CHECK(std::string(msg.begin() + 64, msg.end()) == "dir/sub/file.txt");
	if constexpr (std::endian::native == std::endian::little)
		CHECK(std::string(msg.begin(), msg.begin() + 4) == "FSRQ");

	auto open = encode_request(sample_open());
	REQUIRE(open.size() == kRequestHeaderSize + 13);
	CHECK(peek<std::uint16_t>(open, 4) == 2);
	CHECK(peek<std::uint16_t>(open, 6) == 6);
	CHECK(open[16] == 0x22);
	CHECK(peek<std::uint16_t>(open, 48) == 13);
	CHECK(peek<std::uint16_t>(open, 50) == 0);
	CHECK(peek<std::uint32_t>(open, 52) == kSamplePid);
	CHECK(peek<std::uint64_t>(open, 56) == 0);
	CHECK(std::string(open.begin() + 64, open.end()) == "/fsc-reply-42");
}

TEST_CASE("requests at their bounds are accepted")
{
	Request ping;
	ping.op = Op::Ping;
	ping.session = 1;
	auto msg = encode_request(ping);
	REQUIRE(msg.size() == kRequestHeaderSize); // empty path, length to the end
	Request out;
	REQUIRE(decode_request(msg, out) == Status::Ok);
	CHECK(out.length == kToEnd);
	CHECK(out.session == 1);

	Request get = sample_request();
	get.path = std::string(kMaxPathSize, 'p');
	REQUIRE(decode_request(encode_request(get), out) == Status::Ok);
	CHECK(out.path == get.path);

	Request open = sample_open();
	open.reply_queue = "/" + std::string(255, 'q');
	REQUIRE(open.reply_queue.size() == kMaxQueueNameSize);
	REQUIRE(decode_request(encode_request(open), out) == Status::Ok);
	CHECK(out.reply_queue == open.reply_queue);
	open.reply_queue = "/q";
	open.pid = UINT32_MAX;
	REQUIRE(decode_request(encode_request(open), out) == Status::Ok);
	CHECK(out.pid == UINT32_MAX);

	// CLOSE, PING and STATUS may carry a path; the server ignores it.
	for (auto op : {Op::Close, Op::Ping, Op::Status})
		CHECK(decode(raw_request("", "ignored", static_cast<std::uint16_t>(op))) == Status::Ok);
}

TEST_CASE("encode_request returns empty for invalid input")
{
	using Change = std::function<void(Request &)>;
	const std::vector<std::pair<const char *, Change>> open_cases = {
	        {"empty reply queue", [](Request &r) { r.reply_queue = ""; }},
	        {"no leading slash", [](Request &r) { r.reply_queue = "fsc-reply"; }},
	        {"only a slash", [](Request &r) { r.reply_queue = "/"; }},
	        {"a second slash", [](Request &r) { r.reply_queue = "/fsc/reply"; }},
	        {"a NUL", [](Request &r) { r.reply_queue = std::string("/fsc\0r", 6); }},
	        {"257 bytes", [](Request &r) { r.reply_queue = "/" + std::string(256, 'q'); }},
	        {"pid 0", [](Request &r) { r.pid = 0; }},
	        {"a session", [](Request &r) { r.session = 1; }},
	        {"a path", [](Request &r) { r.path = "x"; }},
	};
	for (const auto &[name, change] : open_cases) {
		CAPTURE(name);
		Request r = sample_open();
		change(r);
		CHECK(encode_request(r).empty());
	}
	const std::vector<std::pair<const char *, Change>> session_cases = {
	        {"session 0", [](Request &r) { r.session = 0; }},
	        {"a pid", [](Request &r) { r.pid = 1; }},
	        {"a reply queue", [](Request &r) { r.reply_queue = "/q"; }},
	        {"path too long", [](Request &r) { r.path = std::string(kMaxPathSize + 1, 'p'); }},
	        {"op 0", [](Request &r) { r.op = static_cast<Op>(0); }},
	        {"op past the last", [](Request &r) { r.op = static_cast<Op>(8); }},
	};
	for (const auto &[name, change] : session_cases) {
		CAPTURE(name);
		Request r = sample_request();
		change(r);
		CHECK(encode_request(r).empty());
	}
}

TEST_CASE("decode_request: header checks")
{
	auto msg = encode_request(sample_request());
	CHECK(decode(std::vector<std::uint8_t>{}) == Status::TooShort);
	CHECK(decode(std::vector<std::uint8_t>(msg.begin(), msg.begin() + kRequestHeaderSize - 1)) ==
	      Status::TooShort);
	for (std::uint32_t magic : {kReplyMagic, 0u, kRequestMagic ^ 0x80000000u}) {
		auto m = msg;
		poke<std::uint32_t>(m, 0, magic);
		CHECK(decode(m) == Status::BadMagic);
	}
	for (std::uint16_t version : {0, 3, 0xffff}) {
		auto m = msg;
		poke<std::uint16_t>(m, kReqOffVersion, version);
		CHECK(decode(m) == Status::BadVersion);
	}
	for (std::uint16_t op : {0, 8, 0xffff}) {
		auto m = msg;
		poke<std::uint16_t>(m, kReqOffOp, op);
		CHECK(decode(m) == Status::BadType);
	}
}

TEST_CASE("decode_request: the field rules of OPEN")
{
	auto good = encode_request(sample_open());
	REQUIRE(decode(good) == Status::Ok);
	auto m = good;
	poke<std::uint32_t>(m, kReqOffPid, 0);
	CHECK(decode(m) == Status::BadReserved);
	for (std::size_t off = kReqOffSession; off < kRequestHeaderSize; off++) {
		CAPTURE(off);
		m = good;
		m[off] = 0x80;
		CHECK(decode(m) == Status::BadReserved);
	}
	// A path: refused even when the message holds it.
	m = good;
	m.push_back('p');
	poke<std::uint16_t>(m, kReqOffPathSize, 1);
	CHECK(decode(m) == Status::BadReserved);
	// No reply queue.
	CHECK(decode(raw_request("", "", kOpen)) == Status::BadQueueName);
}

TEST_CASE("decode_request: the field rules of session requests")
{
	for (auto op : {Op::Get, Op::Stat, Op::List, Op::Ping, Op::Status, Op::Close}) {
		CAPTURE(to_string(op));
		Request r = sample_request();
		r.op = op;
		auto good = encode_request(r);
		auto m = good;
		poke<std::uint64_t>(m, kReqOffSession, 0);
		CHECK(decode(m) == Status::BadReserved);
		for (std::size_t off = kReqOffPid; off < kReqOffSession; off++) {
			m = good;
			m[off] = 1;
			CHECK(decode(m) == Status::BadReserved);
		}
		// A reply queue name belongs to OPEN only.
		CHECK(decode(raw_request("/q", "f", static_cast<std::uint16_t>(op))) == Status::BadQueueName);
	}
}

TEST_CASE("decode_request: declared lengths disagree with the message size")
{
	for (const auto &good : {encode_request(sample_request()), encode_request(sample_open())}) {
		auto qlen = peek<std::uint16_t>(good, kReqOffQueueSize);
		auto plen = peek<std::uint16_t>(good, kReqOffPathSize);
		bool open = qlen != 0;
		std::vector<std::vector<std::uint8_t>> bad;
		auto m = good;
		m.pop_back();
		bad.push_back(m);
		m = good;
		m.push_back('x');
		bad.push_back(m);
		m.resize(kRequestHeaderSize);
		if (open)
			bad.push_back(m); // a non-OPEN request may be the header alone
		for (std::uint16_t q :
		     {static_cast<std::uint16_t>(qlen + 1), static_cast<std::uint16_t>(0xffff)}) {
			m = good;
			poke<std::uint16_t>(m, kReqOffQueueSize, open ? q : qlen);
			poke<std::uint16_t>(m, kReqOffPathSize, open ? plen : q);
			bad.push_back(m);
		}
		if (open) {
			m = good;
			poke<std::uint16_t>(m, kReqOffQueueSize, qlen - 1);
			bad.push_back(m);
		} else {
			m = good;
			poke<std::uint16_t>(m, kReqOffPathSize, plen - 1);
			bad.push_back(m);
			poke<std::uint16_t>(m, kReqOffPathSize, 0);
			bad.push_back(m);
		}
		for (const auto &b : bad)
			CHECK(decode(b) == Status::BadLength);
	}
}

TEST_CASE("decode_request: invalid reply queue names in OPEN")
{
	for (std::string name :
	     {std::string("fsc-reply"), std::string("/"), std::string("/fsc/reply"), std::string("/fsc/"),
	      std::string("/fsc\0x", 6), std::string("/fsc\0", 5), "/" + std::string(256, 'q')}) {
		CAPTURE(name);
		CHECK(decode(raw_request(name, "", kOpen)) == Status::BadQueueName);
	}
}

TEST_CASE("decode_request runs its checks in the documented order")
{
	// Each message fails two checks: the earlier one is reported.
	auto msg = encode_request(sample_request());
	auto m = msg;
	poke<std::uint32_t>(m, 0, 0);
	poke<std::uint16_t>(m, kReqOffVersion, 9);
	CHECK(decode(m) == Status::BadMagic);

	m = msg;
	poke<std::uint16_t>(m, kReqOffVersion, 9);
	poke<std::uint16_t>(m, kReqOffOp, 0);
	CHECK(decode(m) == Status::BadVersion);

	m = msg;
	poke<std::uint16_t>(m, kReqOffOp, 0);
	poke<std::uint64_t>(m, kReqOffSession, 0);
	CHECK(decode(m) == Status::BadType);

	m = msg;
	poke<std::uint64_t>(m, kReqOffSession, 0);
	m.push_back(0);
	CHECK(decode(m) == Status::BadReserved);

	// Field rules before the size: a queue name in a session request.
	m = msg;
	poke<std::uint16_t>(m, kReqOffQueueSize, 2);
	CHECK(decode(m) == Status::BadQueueName);

	auto open = encode_request(sample_open());
	m = open;
	poke<std::uint32_t>(m, kReqOffPid, 0);
	m.push_back(0);
	CHECK(decode(m) == Status::BadReserved);

	// The size before the name of OPEN's queue.
	m = raw_request("no-slash", "", kOpen);
	m.push_back(0);
	CHECK(decode(m) == Status::BadLength);

	// A declared path size over the bound that the message does not hold.
	m = raw_request("", "p");
	poke<std::uint16_t>(m, kReqOffPathSize, kMaxPathSize + 1);
	CHECK(decode(m) == Status::BadLength);

	// The path bound comes last, so that the request can still be answered.
	CHECK(decode(with_path_too_long(msg)) == Status::PathTooLong);
}

TEST_CASE("decode_request fills everything but the path when the path is too long")
{
	for (auto op : {Op::Get, Op::Stat, Op::List, Op::Ping, Op::Status, Op::Close}) {
		CAPTURE(to_string(op));
		Request in = sample_request();
		in.op = op;
		Request out;
		out.path = "stale";
		out.reply_queue = "/stale";
		REQUIRE(decode_request(with_path_too_long(encode_request(in)), out) == Status::PathTooLong);
		CHECK(out.op == op);
		CHECK(out.id == in.id);
		CHECK(out.nonce == in.nonce);
		CHECK(out.offset == 4096);
		CHECK(out.length == 123456);
		CHECK(out.session == kSampleSession);
		CHECK(out.pid == 0);
		CHECK(out.reply_queue.empty());
		CHECK(out.path.empty());
	}
}

TEST_CASE("decode_request keeps an embedded NUL in the path")
{
	const std::string path("a\0b/../etc", 10);
	Request out;
	REQUIRE(decode_request(raw_request("", path), out) == Status::Ok);
	CHECK(out.path == path);
	CHECK(out.path[1] == '\0');

	Request in = sample_request();
	in.path = path;
	Request out2;
	REQUIRE(decode_request(encode_request(in), out2) == Status::Ok);
	CHECK(out2.path == path);
}

TEST_SUITE_END();
