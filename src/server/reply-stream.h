// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "protocol/wire.h"
#include "server/reply-source.h"
#include "util/mqueue.h"

namespace fileserver {

// The header bookkeeping of one request's reply (id, secret, sequence
// numbers) and its sends, which never wait: a full queue is the caller's
// to wait for (transfer-engine.h).
class ReplyStream
{
public:
	explicit ReplyStream(const protocol::Request &request);

	// Sends @piece, whose payload is already in @message after the header's
	// room: 0, -EAGAIN when the queue is full (send it again later), or
	// another -errno (the client is lost).
	int try_send(const MessageQueue &reply, const Piece &piece, std::span<std::uint8_t> message);

	// DATA payload bytes delivered so far.
	[[nodiscard]] std::uint64_t data_bytes() const { return data_bytes_; }

private:
	protocol::ReplyHeader hdr_;
	std::uint64_t data_bytes_ = 0;
};

// Answers a request with an error without waiting (busy, refused before
// dispatch): the dispatcher never waits for a client's queue. The
// request's nonce (OPEN) or secret goes back in the header; @version 1 only
// to tell an old client why it is not served. Returns 0 or -errno.
int reply_error_now(const MessageQueue &reply, const protocol::Request &request, int code,
                    const std::string &why, std::uint16_t version = protocol::kVersion);

} // namespace fileserver
