// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/wire.h"
#include "server/session.h"
#include "util/error.h"
#include "util/mqueue.h"

namespace fileserver {

// The reply stream of one request in its session's queue: header
// bookkeeping (id, secret, sequence numbers) and sends that wait at most the
// send timeout. A wait ends early when the client process exits, the session
// closes or shutdown gives up waiting. Once a send failed the client is
// lost: every later send fails at once with the same error, and the client
// is told nothing more.
class ReplyStream
{
public:
	// @aborting: true once shutdown gives up waiting for transfers.
	ReplyStream(const Session &session, const protocol::Request &request,
	            std::chrono::milliseconds timeout, std::function<bool()> aborting);

	// The largest payload one message carries (0 if even a header does not fit).
	[[nodiscard]] std::size_t max_payload() const;
	// The payload area of the message buffer, for zero-copy DATA.
	[[nodiscard]] std::span<std::uint8_t> payload_area();

	Result<void> send(protocol::ReplyType type, std::span<const std::uint8_t> payload);
	// Sends the @n payload bytes already placed in payload_area() as DATA.
	Result<void> send_data(std::size_t n);
	// Sends ERROR; @text is cut to what fits.
	Result<void> send_error(int code, std::string_view text);

	// The send failure that lost the client, if one did.
	[[nodiscard]] const std::optional<Error> &lost() const { return lost_; }
	// DATA payload bytes delivered so far.
	[[nodiscard]] std::uint64_t data_bytes() const { return data_bytes_; }
	[[nodiscard]] bool aborting() const { return aborting_(); }

private:
	Result<void> push(std::size_t n);

	const Session &session_;
	std::chrono::milliseconds timeout_;
	std::function<bool()> aborting_;
	std::vector<std::uint8_t> buf_;
	protocol::ReplyHeader hdr_;
	std::optional<Error> lost_;
	std::uint64_t data_bytes_ = 0;
};

// Answers a request with an error without waiting (busy, refused before
// dispatch): the dispatcher must never block on a client's queue. The
// request's nonce (OPEN) or secret goes back in the header; @version 1 only
// to tell an old client why it is not served. Returns 0 or -errno.
int reply_error_now(const MessageQueue &reply, const protocol::Request &request, int code,
                    const std::string &why, std::uint16_t version = protocol::kVersion);

} // namespace fileserver
