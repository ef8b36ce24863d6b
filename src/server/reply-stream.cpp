// SPDX-License-Identifier: MIT
#include "reply-stream.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "util/errno-util.h"

namespace fileserver {

using protocol::kReplyHeaderSize;
using protocol::ReplyType;

ReplyStream::ReplyStream(const Session &session, const protocol::Request &request,
                         std::chrono::milliseconds timeout, std::function<bool()> aborting)
        : session_(session), timeout_(timeout), aborting_(std::move(aborting)), buf_(session.message_size)
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

// Waits for room with poll() on the queue and the client's pidfd, in
// slices: a client that exits frees the worker at once, and a closed session
// or a shutdown that gave up waiting within a slice.
Result<void> ReplyStream::push(std::size_t n)
{
	constexpr std::chrono::milliseconds kSlice{100};
	if (lost_)
		return *lost_;
	auto msg = std::span(buf_).first(n);
	auto deadline = std::chrono::steady_clock::now() + timeout_;
	bool abort_seen = false;
	for (;;) {
		if (session_.closed.load()) {
			lost_ = Error{ECANCELED, "session closed"};
			return *lost_;
		}
		int r = session_.reply.try_send(msg);
		if (r == 0) {
			hdr_.seq++;
			return {};
		}
		if (r != -EAGAIN) {
			lost_ = Error::from_errno(r, "cannot send to client: " + errno_string(r));
			return *lost_;
		}
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
		        deadline - std::chrono::steady_clock::now());
		if (left.count() <= 0) {
			lost_ = Error{ETIMEDOUT, "client stopped reading (send timed out)"};
			return *lost_;
		}
		// A shutdown that gave up waiting leaves one slice for room: a slow
		// reader still gets the ERROR ESHUTDOWN that tells it why.
		if (aborting_() && std::exchange(abort_seen, true)) {
			lost_ = Error{ESHUTDOWN, "cut off by the shutdown timeout"};
			return *lost_;
		}
		struct pollfd p[2] = {{session_.reply.get(), POLLOUT, 0}, {session_.pidfd.get(), POLLIN, 0}};
		int wait = static_cast<int>(std::min(left, kSlice).count());
		if (poll(p, session_.pidfd ? 2 : 1, std::max(wait, 1)) > 0 && p[1].revents) {
			lost_ = Error{ESRCH, "client exited"};
			return *lost_;
		}
	}
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
