// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver {

// One message of a reply, as a source made it: its type and how many bytes
// of the payload area it filled. `done`: the reply is complete, no message.
struct Piece {
	protocol::ReplyType type = protocol::ReplyType::End;
	std::size_t size = 0;
	bool done = false;
};

// The messages of one reply, made one at a time. A transfer sends each at
// once; at a full reply queue it parks and asks for the same message again
// once there is room. So next() makes the same message until sent() moves
// on, and nothing but a position is kept in between: a parked transfer
// holds no message buffer.
class ReplySource
{
public:
	virtual ~ReplySource() = default;
	// Writes the next message's payload into @payload (at most its size).
	// An error ends the reply with ERROR.
	virtual Result<Piece> next(std::span<std::uint8_t> payload) = 0;
	// The message next() made was delivered.
	virtual void sent() = 0;
};

// A message of @type whose payload is @bytes, copied into @payload; EMSGSIZE
// if it does not fit.
Result<Piece> put_payload(std::span<std::uint8_t> payload, protocol::ReplyType type,
                          std::span<const std::uint8_t> bytes);

// A reply whose messages are known up front (PING, STATUS, STAT, ERROR).
class FixedSource : public ReplySource
{
public:
	void add(protocol::ReplyType type, std::span<const std::uint8_t> payload);
	Result<Piece> next(std::span<std::uint8_t> payload) override;
	void sent() override { next_++; }

private:
	struct Message {
		protocol::ReplyType type;
		std::vector<std::uint8_t> payload;
	};
	std::vector<Message> messages_;
	std::size_t next_ = 0;
};

// ERROR @code with @text, cut to what fits in @max_payload: the last message.
std::unique_ptr<ReplySource> error_reply(int code, std::string_view text, std::size_t max_payload);

} // namespace fileserver
