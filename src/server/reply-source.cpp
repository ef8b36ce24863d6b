// SPDX-License-Identifier: MIT
#include "reply-source.h"

#include <cerrno>
#include <cstring>

namespace fileserver {

void FixedSource::add(protocol::ReplyType type, std::span<const std::uint8_t> payload)
{
	messages_.push_back({type, {payload.begin(), payload.end()}});
}

Result<Piece> put_payload(std::span<std::uint8_t> payload, protocol::ReplyType type,
                          std::span<const std::uint8_t> bytes)
{
	if (bytes.size() > payload.size())
		return Error{EMSGSIZE, "reply does not fit in the reply queue's messages"};
	std::memcpy(payload.data(), bytes.data(), bytes.size());
	return Piece{type, bytes.size()};
}

Result<Piece> FixedSource::next(std::span<std::uint8_t> payload)
{
	if (next_ == messages_.size())
		return Piece{.done = true};
	return put_payload(payload, messages_[next_].type, messages_[next_].payload);
}

std::unique_ptr<ReplySource> error_reply(int code, std::string_view text, std::size_t max_payload)
{
	std::size_t room =
	        max_payload > protocol::kErrorFixedSize ? max_payload - protocol::kErrorFixedSize : 0;
	auto source = std::make_unique<FixedSource>();
	source->add(protocol::ReplyType::Error, protocol::encode_error({static_cast<std::uint32_t>(code),
	                                                                std::string(text.substr(0, room))}));
	return source;
}

} // namespace fileserver
