// SPDX-License-Identifier: MIT
#pragma once

// Shared by the wire-*-test.cpp files: the documented field offsets and
// builders of raw, possibly malformed, messages.

#include <bit>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/wire.h"

namespace fileserver::protocol::test {

// Layout offsets from the format comments in wire.cpp: the tests write them
// by hand so that a change of layout shows up here.
constexpr std::size_t kReqOffVersion = 4;
constexpr std::size_t kReqOffOp = 6;
constexpr std::size_t kReqOffQueueSize = 48;
constexpr std::size_t kReqOffPathSize = 50;
constexpr std::size_t kReqOffPid = 52;     // version 1: flags
constexpr std::size_t kReqOffSession = 56; // version 1: reserved

constexpr std::size_t kRepOffVersion = 4;
constexpr std::size_t kRepOffType = 6;
constexpr std::size_t kRepOffPayloadSize = 40;
constexpr std::size_t kRepOffReserved = 44;

template<typename T>
inline void poke(std::vector<std::uint8_t> &b, std::size_t off, T v)
{
	REQUIRE(off + sizeof(v) <= b.size());
	std::memcpy(b.data() + off, &v, sizeof(v));
}

template<typename T>
inline T peek(std::span<const std::uint8_t> b, std::size_t off)
{
	T v;
	REQUIRE(off + sizeof(v) <= b.size());
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

// @b after @change(b): one malformation of a valid payload per call.
template<typename F>
inline std::vector<std::uint8_t> changed(std::vector<std::uint8_t> b, F change)
{
	change(b);
	return b;
}

inline Nonce make_nonce(std::uint8_t seed)
{
	Nonce n;
	for (std::size_t i = 0; i < n.size(); i++)
		n[i] = static_cast<std::uint8_t>(seed + i * 7);
	return n;
}

constexpr std::uint64_t kSampleSession = 0x8877665544332211ULL;
constexpr std::uint32_t kSamplePid = 4242;

// A session request (GET) with every field set.
inline Request sample_request()
{
	Request r;
	r.op = Op::Get;
	r.id = 0x0123456789abcdefULL;
	r.nonce = make_nonce(0x11); // the session secret
	r.offset = 4096;
	r.length = 123456;
	r.path = "dir/sub/file.txt";
	r.session = kSampleSession;
	return r;
}

inline Request sample_open()
{
	Request r;
	r.op = Op::Open;
	r.id = 0x0123456789abcdefULL;
	r.nonce = make_nonce(0x22);
	r.reply_queue = "/fsc-reply-42";
	r.pid = kSamplePid;
	return r;
}

// A version-1 request as old clients send it.
inline Request sample_request_v1()
{
	Request r = sample_request();
	r.session = 0;
	r.reply_queue = "/fsc-reply-42";
	return r;
}

// A request built byte by byte, so that decode can be fed what encode refuses
// to produce. Version 2: OPEN gets a pid, other ops a session id; version 1
// gets neither.
inline std::vector<std::uint8_t> raw_request(std::string_view queue, std::string_view path,
                                             std::uint16_t op = 1, std::uint16_t version = kVersion)
{
	std::vector<std::uint8_t> b(kRequestHeaderSize + queue.size() + path.size());
	poke<std::uint32_t>(b, 0, kRequestMagic);
	poke<std::uint16_t>(b, kReqOffVersion, version);
	poke<std::uint16_t>(b, kReqOffOp, op);
	if (version == kVersion && op == static_cast<std::uint16_t>(Op::Open))
		poke<std::uint32_t>(b, kReqOffPid, kSamplePid);
	else if (version == kVersion)
		poke<std::uint64_t>(b, kReqOffSession, kSampleSession);
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

inline Status decode(const std::vector<std::uint8_t> &msg)
{
	Request r;
	return decode_request(msg, r);
}

inline ReplyHeader sample_header(ReplyType type)
{
	ReplyHeader h;
	h.type = type;
	h.request_id = 0xfeedfacecafebeefULL;
	h.nonce = make_nonce(0x5a);
	h.seq = 77;
	return h;
}

// Encodes a complete reply message with encode_reply.
inline std::vector<std::uint8_t> make_reply(const ReplyHeader &h, std::span<const std::uint8_t> payload)
{
	std::vector<std::uint8_t> out(kReplyHeaderSize + payload.size());
	std::size_t n = encode_reply(h, payload, out);
	REQUIRE(n == out.size());
	return out;
}

inline std::vector<std::uint8_t> raw_entry(std::uint16_t name_size, std::string_view name,
                                           std::uint8_t reserved = 0)
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

} // namespace fileserver::protocol::test
