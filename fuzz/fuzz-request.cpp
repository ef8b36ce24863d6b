// SPDX-License-Identifier: MIT
// libFuzzer harness for decode_request(): the server decodes whatever any
// local user writes to its queue. A request that decodes must be exactly what
// encode_request() makes of the decoded fields, so the decoder accepts no
// byte that the encoder would not write; a version-1 request that it
// recognises must be what encode_request_v1() writes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "protocol/wire.h"
#include "util/mqueue.h"

using namespace fileserver;
using namespace fileserver::protocol;

namespace {

void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

template<typename T>
T get(const std::uint8_t *p, std::size_t off)
{
	T v;
	std::memcpy(&v, p + off, sizeof(v));
	return v;
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b)
{
	return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::span<const std::uint8_t> msg(data, size);
	Request req;
	Status status = decode_request(msg, req);
	check(!to_string(status).empty());

	if (status == Status::Ok) {
		check(get<std::uint16_t>(data, 4) == kVersion);
		if (req.op == Op::Open)
			check(is_valid_queue_name(req.reply_queue) && req.pid != 0 && req.session == 0 &&
			      req.path.empty());
		else
			check(req.reply_queue.empty() && req.pid == 0 && req.session != 0);
		check(req.path.size() <= kMaxPathSize);
		check(size == kRequestHeaderSize + req.reply_queue.size() + req.path.size());
		check(size <= kMaxRequestSize);
		check(to_string(req.op) != "unknown");
		auto again = encode_request(req);
		check(same_bytes(again, msg));
	} else if (status == Status::PathTooLong) {
		// The server answers ENAMETOOLONG on the session: every field but
		// the path must be filled in, valid and taken from the message.
		check(req.op != Op::Open && req.reply_queue.empty() && req.pid == 0);
		check(get<std::uint16_t>(data, 48) == 0);
		std::size_t plen = size - kRequestHeaderSize;
		check(plen > kMaxPathSize);
		check(plen == get<std::uint16_t>(data, 50));
		check(static_cast<std::uint16_t>(req.op) == get<std::uint16_t>(data, 6));
		check(to_string(req.op) != "unknown");
		check(req.id == get<std::uint64_t>(data, 8));
		check(std::memcmp(req.nonce.data(), data + 16, req.nonce.size()) == 0);
		check(req.offset == get<std::uint64_t>(data, 32));
		check(req.length == get<std::uint64_t>(data, 40));
		check(req.session != 0 && req.session == get<std::uint64_t>(data, 56));
		check(req.path.empty());
	} else if (status == Status::OldVersion) {
		// A valid version-1 request: the server answers it on its reply
		// queue, in a version-1 header that echoes the id and nonce.
		check(get<std::uint16_t>(data, 4) == kVersion1);
		check(req.op >= Op::Get && req.op <= Op::Status);
		check(is_valid_queue_name(req.reply_queue));
		check(req.reply_queue.size() == get<std::uint16_t>(data, 48));
		check(std::memcmp(req.reply_queue.data(), data + kRequestHeaderSize,
		                  req.reply_queue.size()) == 0);
		check(req.id == get<std::uint64_t>(data, 8));
		check(std::memcmp(req.nonce.data(), data + 16, req.nonce.size()) == 0);
		check(req.session == 0 && req.pid == 0);
		std::size_t plen = size - kRequestHeaderSize - req.reply_queue.size();
		check(plen == get<std::uint16_t>(data, 50));
		// Within version 1's bounds it is exactly what an old client sends.
		if (plen <= kMaxPathSize) {
			req.path.assign(reinterpret_cast<const char *>(data) + size - plen, plen);
			check(same_bytes(encode_request_v1(req), msg));
		}
	}
	return 0;
}
