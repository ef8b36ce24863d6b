// SPDX-License-Identifier: MIT
// Requests on the server queue: version 2, and version 1 as far as needed
// to tell an old client why it is not served.

#include <cstring>

#include "protocol/wire-bytes.h"
#include "protocol/wire.h"
#include "util/mqueue.h"

namespace fileserver::protocol {

namespace {

using bytes::all_zero;
using bytes::get;
using bytes::put;

bool valid_op(std::uint16_t op, std::uint16_t last)
{
	return op >= static_cast<std::uint16_t>(Op::Get) && op <= last;
}

constexpr auto kLastOp = static_cast<std::uint16_t>(Op::Close);
constexpr auto kLastOpV1 = static_cast<std::uint16_t>(Op::Status);

std::vector<std::uint8_t> encode(const Request &req, std::uint16_t version, std::string_view queue,
                                 bool session_fields)
{
	std::vector<std::uint8_t> msg(kRequestHeaderSize + queue.size() + req.path.size());
	std::uint8_t *p = msg.data();
	put<std::uint32_t>(p, 0, kRequestMagic);
	put<std::uint16_t>(p, 4, version);
	put<std::uint16_t>(p, 6, static_cast<std::uint16_t>(req.op));
	put<std::uint64_t>(p, 8, req.id);
	std::memcpy(p + 16, req.nonce.data(), req.nonce.size());
	put<std::uint64_t>(p, 32, req.offset);
	put<std::uint64_t>(p, 40, req.length);
	put<std::uint16_t>(p, 48, static_cast<std::uint16_t>(queue.size()));
	put<std::uint16_t>(p, 50, static_cast<std::uint16_t>(req.path.size()));
	if (session_fields) {
		put<std::uint32_t>(p, 52, req.pid);
		put<std::uint64_t>(p, 56, req.session);
	}
	// memcpy from the null data() of an empty string_view is undefined even
	// for 0 bytes: session requests carry no queue name.
	if (!queue.empty())
		std::memcpy(p + kRequestHeaderSize, queue.data(), queue.size());
	std::memcpy(p + kRequestHeaderSize + queue.size(), req.path.data(), req.path.size());
	return msg;
}

void fill_common(const std::uint8_t *p, Request &out)
{
	out.op = static_cast<Op>(get<std::uint16_t>(p, 6));
	out.id = get<std::uint64_t>(p, 8);
	std::memcpy(out.nonce.data(), p + 16, out.nonce.size());
	out.offset = get<std::uint64_t>(p, 32);
	out.length = get<std::uint64_t>(p, 40);
}

// Version 1: magic and version already checked.
Status decode_v1(std::span<const std::uint8_t> msg, Request &out)
{
	const std::uint8_t *p = msg.data();
	if (!valid_op(get<std::uint16_t>(p, 6), kLastOpV1))
		return Status::BadType;
	if (get<std::uint32_t>(p, 52) != 0 || !all_zero(p + 56, 8))
		return Status::BadReserved;
	std::size_t qlen = get<std::uint16_t>(p, 48);
	std::size_t plen = get<std::uint16_t>(p, 50);
	if (msg.size() != kRequestHeaderSize + qlen + plen)
		return Status::BadLength;
	std::string_view qname(reinterpret_cast<const char *>(p + kRequestHeaderSize), qlen);
	if (!is_valid_queue_name(qname))
		return Status::BadQueueName;
	fill_common(p, out);
	out.reply_queue.assign(qname);
	out.pid = 0;
	out.session = 0;
	out.path.clear(); // never served: the path does not matter
	return Status::OldVersion;
}

} // namespace

/*
 * Request: 64-byte header, then the reply queue name (OPEN only), then the path.
 *   0 magic u32 | 4 version u16 | 6 op u16 | 8 request id u64 | 16 nonce or secret [16]
 *  32 offset u64 | 40 length u64 | 48 queue name size u16 | 50 path size u16
 *  52 pid u32 (OPEN only) | 56 session id u64 (all but OPEN)
 */
std::vector<std::uint8_t> encode_request(const Request &req)
{
	auto op = static_cast<std::uint16_t>(req.op);
	if (!valid_op(op, kLastOp) || req.path.size() > kMaxPathSize)
		return {};
	if (req.op == Op::Open) {
		if (!is_valid_queue_name(req.reply_queue) || req.pid == 0 || req.session != 0 ||
		    !req.path.empty())
			return {};
		return encode(req, kVersion, req.reply_queue, true);
	}
	if (req.session == 0 || req.pid != 0 || !req.reply_queue.empty())
		return {};
	return encode(req, kVersion, {}, true);
}

std::vector<std::uint8_t> encode_request_v1(const Request &req)
{
	auto op = static_cast<std::uint16_t>(req.op);
	if (!valid_op(op, kLastOpV1) || !is_valid_queue_name(req.reply_queue) ||
	    req.path.size() > kMaxPathSize)
		return {};
	return encode(req, kVersion1, req.reply_queue, false);
}

Status decode_request(std::span<const std::uint8_t> msg, Request &out)
{
	if (msg.size() < kRequestHeaderSize)
		return Status::TooShort;
	const std::uint8_t *p = msg.data();
	if (get<std::uint32_t>(p, 0) != kRequestMagic)
		return Status::BadMagic;
	auto version = get<std::uint16_t>(p, 4);
	if (version == kVersion1)
		return decode_v1(msg, out);
	if (version != kVersion)
		return Status::BadVersion;
	auto op = get<std::uint16_t>(p, 6);
	if (!valid_op(op, kLastOp))
		return Status::BadType;
	std::size_t qlen = get<std::uint16_t>(p, 48);
	std::size_t plen = get<std::uint16_t>(p, 50);
	auto pid = get<std::uint32_t>(p, 52);
	auto session = get<std::uint64_t>(p, 56);
	bool open = op == static_cast<std::uint16_t>(Op::Open);
	if (open ? (pid == 0 || session != 0 || plen != 0) : (pid != 0 || session == 0))
		return Status::BadReserved;
	if (!open && qlen != 0)
		return Status::BadQueueName;
	if (msg.size() != kRequestHeaderSize + qlen + plen)
		return Status::BadLength;
	std::string_view qname(reinterpret_cast<const char *>(p + kRequestHeaderSize), qlen);
	if (open && !is_valid_queue_name(qname))
		return Status::BadQueueName;

	fill_common(p, out);
	out.reply_queue.assign(qname);
	out.pid = pid;
	out.session = session;
	// Everything but the path is valid: the server can still say why.
	if (plen > kMaxPathSize) {
		out.path.clear();
		return Status::PathTooLong;
	}
	// Embedded NULs are kept: the path resolver refuses them with a reply.
	out.path.assign(reinterpret_cast<const char *>(p + kRequestHeaderSize + qlen), plen);
	return Status::Ok;
}

} // namespace fileserver::protocol
