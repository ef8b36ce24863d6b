// SPDX-License-Identifier: MIT
#include "reply-stream.h"

#include <vector>

namespace fileserver {

using protocol::kReplyHeaderSize;
using protocol::ReplyType;

ReplyStream::ReplyStream(const protocol::Request &request)
{
	hdr_.request_id = request.id;
	hdr_.nonce = request.nonce;
}

int ReplyStream::try_send(const MessageQueue &reply, const Piece &piece, std::span<std::uint8_t> message)
{
	hdr_.type = piece.type;
	hdr_.payload_size = static_cast<std::uint32_t>(piece.size);
	encode_reply_header(hdr_, message);
	int r = reply.try_send(message.first(kReplyHeaderSize + piece.size));
	if (r == 0) {
		hdr_.seq++;
		if (piece.type == ReplyType::Data)
			data_bytes_ += piece.size;
	}
	return r;
}

int reply_error_now(const MessageQueue &mq, const protocol::Request &req, int code, const std::string &why,
                    std::uint16_t version)
{
	protocol::ReplyHeader hdr;
	hdr.version = version;
	hdr.type = ReplyType::Error;
	hdr.request_id = req.id;
	hdr.nonce = req.nonce;
	auto payload = protocol::encode_error({static_cast<std::uint32_t>(code), why});
	std::vector<std::uint8_t> buf(kReplyHeaderSize + payload.size());
	std::size_t n = encode_reply(hdr, payload, buf);
	return mq.try_send(std::span(buf).first(n));
}

} // namespace fileserver
