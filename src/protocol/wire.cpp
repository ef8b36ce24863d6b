// SPDX-License-Identifier: MIT
#include "wire.h"

#include <algorithm>
#include <cstring>

#include "protocol/wire-bytes.h"

namespace fileserver::protocol {

namespace {

using bytes::all_zero;
using bytes::get;
using bytes::put;

bool valid_reply_type(std::uint16_t t)
{
	return t >= static_cast<std::uint16_t>(ReplyType::Meta) &&
	       t <= static_cast<std::uint16_t>(ReplyType::Challenge);
}

} // namespace

std::string_view to_string(Status status)
{
	switch (status) {
	case Status::Ok: return "ok";
	case Status::TooShort: return "message shorter than its header";
	case Status::BadMagic: return "bad magic";
	case Status::BadVersion: return "unsupported protocol version";
	case Status::BadType: return "unknown message type";
	case Status::BadLength: return "declared lengths do not match the message size";
	case Status::BadQueueName: return "invalid reply queue name";
	case Status::PathTooLong: return "path too long";
	case Status::BadReserved: return "reserved field not zero";
	case Status::BadPayload: return "malformed payload";
	case Status::OldVersion: return "protocol version 1";
	}
	return "unknown status";
}

std::string_view to_string(Op op)
{
	switch (op) {
	case Op::Get: return "get";
	case Op::Stat: return "stat";
	case Op::List: return "ls";
	case Op::Ping: return "ping";
	case Op::Status: return "status";
	case Op::Open: return "open";
	case Op::Close: return "close";
	}
	return "unknown";
}

/*
 * Reply: 48-byte header, then the payload.
 *   0 magic u32 | 4 version u16 | 6 type u16 | 8 request id u64 | 16 nonce [16]
 *  32 sequence u64 | 40 payload size u32 | 44 reserved u32 (0)
 */
void encode_reply_header(const ReplyHeader &hdr, std::span<std::uint8_t> out)
{
	std::uint8_t *p = out.data();
	put<std::uint32_t>(p, 0, kReplyMagic);
	put<std::uint16_t>(p, 4, hdr.version);
	put<std::uint16_t>(p, 6, static_cast<std::uint16_t>(hdr.type));
	put<std::uint64_t>(p, 8, hdr.request_id);
	std::memcpy(p + 16, hdr.nonce.data(), hdr.nonce.size());
	put<std::uint64_t>(p, 32, hdr.seq);
	put<std::uint32_t>(p, 40, hdr.payload_size);
	put<std::uint32_t>(p, 44, 0);
}

std::size_t encode_reply(const ReplyHeader &hdr, std::span<const std::uint8_t> payload,
                         std::span<std::uint8_t> out)
{
	if (out.size() < kReplyHeaderSize || payload.size() > out.size() - kReplyHeaderSize)
		return 0;
	ReplyHeader h = hdr;
	h.payload_size = static_cast<std::uint32_t>(payload.size());
	encode_reply_header(h, out);
	if (!payload.empty())
		std::memcpy(out.data() + kReplyHeaderSize, payload.data(), payload.size());
	return kReplyHeaderSize + payload.size();
}

Status decode_reply(std::span<const std::uint8_t> msg, ReplyHeader &hdr,
                    std::span<const std::uint8_t> &payload)
{
	if (msg.size() < kReplyHeaderSize)
		return Status::TooShort;
	const std::uint8_t *p = msg.data();
	if (get<std::uint32_t>(p, 0) != kReplyMagic)
		return Status::BadMagic;
	if (get<std::uint16_t>(p, 4) != kVersion)
		return Status::BadVersion;
	auto type = get<std::uint16_t>(p, 6);
	if (!valid_reply_type(type))
		return Status::BadType;
	if (get<std::uint32_t>(p, 44) != 0)
		return Status::BadReserved;
	auto size = get<std::uint32_t>(p, 40);
	if (size != msg.size() - kReplyHeaderSize)
		return Status::BadLength;
	hdr.version = kVersion;
	hdr.type = static_cast<ReplyType>(type);
	hdr.request_id = get<std::uint64_t>(p, 8);
	std::memcpy(hdr.nonce.data(), p + 16, hdr.nonce.size());
	hdr.seq = get<std::uint64_t>(p, 32);
	hdr.payload_size = size;
	payload = msg.subspan(kReplyHeaderSize);
	return Status::Ok;
}

/*
 * META: 0 size u64 | 8 offset u64 | 16 length u64 | 24 mode u32 | 28 uid u32
 *      32 gid u32 | 36 reserved u32 | 40 mtime s64 | 48 mtime nsec u32 | 52 chunk u32
 */
std::array<std::uint8_t, kMetaSize> encode_meta(const Meta &m)
{
	std::array<std::uint8_t, kMetaSize> b = {};
	std::uint8_t *p = b.data();
	put(p, 0, m.size);
	put(p, 8, m.offset);
	put(p, 16, m.length);
	put(p, 24, m.mode);
	put(p, 28, m.uid);
	put(p, 32, m.gid);
	put(p, 40, m.mtime_sec);
	put(p, 48, m.mtime_nsec);
	put(p, 52, m.chunk_size);
	return b;
}

Status decode_meta(std::span<const std::uint8_t> payload, Meta &m)
{
	if (payload.size() != kMetaSize)
		return Status::BadPayload;
	const std::uint8_t *p = payload.data();
	if (get<std::uint32_t>(p, 36) != 0)
		return Status::BadReserved;
	m.size = get<std::uint64_t>(p, 0);
	m.offset = get<std::uint64_t>(p, 8);
	m.length = get<std::uint64_t>(p, 16);
	m.mode = get<std::uint32_t>(p, 24);
	m.uid = get<std::uint32_t>(p, 28);
	m.gid = get<std::uint32_t>(p, 32);
	m.mtime_sec = get<std::int64_t>(p, 40);
	m.mtime_nsec = get<std::uint32_t>(p, 48);
	m.chunk_size = get<std::uint32_t>(p, 52);
	if (m.mtime_nsec >= 1000000000u || m.offset > m.size || m.length > m.size - m.offset)
		return Status::BadPayload;
	return Status::Ok;
}

std::array<std::uint8_t, kEndSize> encode_end(const End &e)
{
	std::array<std::uint8_t, kEndSize> b = {};
	put(b.data(), 0, e.total);
	return b;
}

Status decode_end(std::span<const std::uint8_t> payload, End &e)
{
	if (payload.size() != kEndSize)
		return Status::BadPayload;
	e.total = get<std::uint64_t>(payload.data(), 0);
	return Status::Ok;
}

/* ERROR: 0 code u32 | 4 text size u32 | 8 text (no NUL) */
std::vector<std::uint8_t> encode_error(const Error &err)
{
	std::size_t n = std::min(err.text.size(), kMaxErrorText);
	std::vector<std::uint8_t> b(kErrorFixedSize + n);
	put(b.data(), 0, err.code);
	put(b.data(), 4, static_cast<std::uint32_t>(n));
	std::memcpy(b.data() + kErrorFixedSize, err.text.data(), n);
	return b;
}

Status decode_error(std::span<const std::uint8_t> payload, Error &err)
{
	if (payload.size() < kErrorFixedSize)
		return Status::BadPayload;
	auto n = get<std::uint32_t>(payload.data(), 4);
	if (n > kMaxErrorText || n != payload.size() - kErrorFixedSize)
		return Status::BadPayload;
	err.code = get<std::uint32_t>(payload.data(), 0);
	err.text.assign(reinterpret_cast<const char *>(payload.data() + kErrorFixedSize), n);
	return Status::Ok;
}

/* PONG: 0 protocol version u16 | 2 version text size u16 | 4 text */
std::vector<std::uint8_t> encode_pong(const Pong &pong)
{
	std::size_t n = std::min<std::size_t>(pong.server_version.size(), 64);
	std::vector<std::uint8_t> b(kPongFixedSize + n);
	put(b.data(), 0, pong.protocol_version);
	put(b.data(), 2, static_cast<std::uint16_t>(n));
	std::memcpy(b.data() + kPongFixedSize, pong.server_version.data(), n);
	return b;
}

Status decode_pong(std::span<const std::uint8_t> payload, Pong &pong)
{
	if (payload.size() < kPongFixedSize)
		return Status::BadPayload;
	auto n = get<std::uint16_t>(payload.data(), 2);
	if (n > 64 || n != payload.size() - kPongFixedSize)
		return Status::BadPayload;
	pong.protocol_version = get<std::uint16_t>(payload.data(), 0);
	pong.server_version.assign(reinterpret_cast<const char *>(payload.data() + kPongFixedSize), n);
	return Status::Ok;
}

/*
 * CHALLENGE: 0 session id u64 | 8 secret [16] | 24 idle timeout ms u32 | 28 reserved u32 (0)
 */
std::array<std::uint8_t, kChallengeSize> encode_challenge(const Challenge &c)
{
	std::array<std::uint8_t, kChallengeSize> b{};
	put(b.data(), 0, c.session);
	std::memcpy(b.data() + 8, c.secret.data(), c.secret.size());
	put(b.data(), 24, c.idle_timeout_ms);
	return b;
}

Status decode_challenge(std::span<const std::uint8_t> payload, Challenge &out)
{
	if (payload.size() != kChallengeSize || get<std::uint32_t>(payload.data(), 28) != 0 ||
	    get<std::uint64_t>(payload.data(), 0) == 0)
		return Status::BadPayload;
	out.session = get<std::uint64_t>(payload.data(), 0);
	std::memcpy(out.secret.data(), payload.data() + 8, out.secret.size());
	out.idle_timeout_ms = get<std::uint32_t>(payload.data(), 24);
	return Status::Ok;
}

/*
 * ENTRIES: a sequence of
 *   0 name size u16 | 2 type u8 | 3 reserved u8 (0) | 4 mode u32 | 8 size u64
 *  16 mtime s64 | 24 name (no NUL, no '/')
 */
bool append_entry(std::vector<std::uint8_t> &payload, const Entry &e, std::size_t limit)
{
	if (e.name.empty() || e.name.size() > kMaxEntryName)
		return false;
	std::size_t need = kEntryFixedSize + e.name.size();
	if (payload.size() + need > limit)
		return false;
	std::size_t off = payload.size();
	payload.resize(off + need);
	std::uint8_t *p = payload.data() + off;
	put(p, 0, static_cast<std::uint16_t>(e.name.size()));
	put(p, 2, e.type);
	put<std::uint8_t>(p, 3, 0);
	put(p, 4, e.mode);
	put(p, 8, e.size);
	put(p, 16, e.mtime_sec);
	std::memcpy(p + kEntryFixedSize, e.name.data(), e.name.size());
	return true;
}

Status decode_entries(std::span<const std::uint8_t> payload, std::vector<Entry> &out)
{
	std::size_t off = 0;
	while (off < payload.size()) {
		if (payload.size() - off < kEntryFixedSize)
			return Status::BadPayload;
		const std::uint8_t *p = payload.data() + off;
		std::size_t n = get<std::uint16_t>(p, 0);
		if (n == 0 || n > kMaxEntryName || payload.size() - off - kEntryFixedSize < n)
			return Status::BadPayload;
		if (get<std::uint8_t>(p, 3) != 0)
			return Status::BadReserved;
		Entry e;
		e.type = get<std::uint8_t>(p, 2);
		e.mode = get<std::uint32_t>(p, 4);
		e.size = get<std::uint64_t>(p, 8);
		e.mtime_sec = get<std::int64_t>(p, 16);
		e.name.assign(reinterpret_cast<const char *>(p + kEntryFixedSize), n);
		if (e.name.find_first_of(std::string_view("/\0", 2)) != std::string::npos)
			return Status::BadPayload;
		out.push_back(std::move(e));
		off += kEntryFixedSize + n;
	}
	return Status::Ok;
}

} // namespace fileserver::protocol
