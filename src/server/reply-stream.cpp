// SPDX-License-Identifier: MIT
#include "reply-stream.h"

#include <cerrno>

#include "util/errno-util.h"

namespace fileserver {

using protocol::kReplyHeaderSize;
using protocol::ReplyType;

ReplyStream::ReplyStream(const MessageQueue &mq, const protocol::Request &request, std::size_t message_size,
                         std::chrono::milliseconds timeout, std::function<bool()> aborting)
        : mq_(mq), timeout_(timeout), aborting_(std::move(aborting)), buf_(message_size)
{
	hdr_.request_id = request.id;
	hdr_.nonce = request.nonce;
}

std::size_t ReplyStream::max_payload() const
{
	return buf_.size() > kReplyHeaderSize ? buf_.size() - kReplyHeaderSize : 0;
}

std::span<std::uint8_t> ReplyStream::payload_area()
{
	return std::span(buf_).subspan(buf_.size() - max_payload());
}

Result<void> ReplyStream::send(ReplyType type, std::span<const std::uint8_t> payload)
{
	hdr_.type = type;
	std::size_t n = encode_reply(hdr_, payload, buf_);
	if (n == 0)
		return Error{EMSGSIZE, "reply does not fit in the reply queue's messages"};
	return push(n);
}

Result<void> ReplyStream::send_data(std::size_t n)
{
	hdr_.type = ReplyType::Data;
	hdr_.payload_size = static_cast<std::uint32_t>(n);
	encode_reply_header(hdr_, buf_);
	auto r = push(kReplyHeaderSize + n);
	if (r)
		data_bytes_ += n;
	return r;
}

Result<void> ReplyStream::send_error(int code, std::string_view text)
{
	std::size_t room =
	        max_payload() > protocol::kErrorFixedSize ? max_payload() - protocol::kErrorFixedSize : 0;
	auto payload =
	        protocol::encode_error({static_cast<std::uint32_t>(code), std::string(text.substr(0, room))});
	return send(ReplyType::Error, payload);
}

// Waits for room in slices, so that a shutdown that gave up waiting frees
// the worker at once instead of after the whole send timeout.
Result<void> ReplyStream::push(std::size_t n)
{
	constexpr std::chrono::milliseconds kSlice{100};
	if (lost_)
		return *lost_;
	auto msg = std::span(buf_).first(n);
	auto left = timeout_;
	for (;;) {
		auto wait = std::min(left, kSlice);
		int r = mq_.send(msg, wait);
		if (r == 0) {
			hdr_.seq++;
			return {};
		}
		left -= wait;
		if (r == -ETIMEDOUT && left.count() > 0 && !aborting_())
			continue;
		if (r == -ETIMEDOUT && left.count() > 0)
			lost_ = Error{ESHUTDOWN, "cut off by the shutdown timeout"};
		else if (r == -ETIMEDOUT)
			lost_ = Error{ETIMEDOUT, "client stopped reading (send timed out)"};
		else
			lost_ = Error::from_errno(r, "cannot send to client: " + errno_string(r));
		return *lost_;
	}
}

void reply_error_now(const MessageQueue &mq, const protocol::Request &req, int code, const std::string &why)
{
	protocol::ReplyHeader hdr;
	hdr.type = ReplyType::Error;
	hdr.request_id = req.id;
	hdr.nonce = req.nonce;
	auto payload = protocol::encode_error({static_cast<std::uint32_t>(code), why});
	std::vector<std::uint8_t> buf(kReplyHeaderSize + payload.size());
	std::size_t n = encode_reply(hdr, payload, buf);
	(void)mq.try_send(std::span(buf).first(n));
}

} // namespace fileserver
