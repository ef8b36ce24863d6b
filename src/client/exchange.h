// SPDX-License-Identifier: MIT
#pragma once

// One request and its reply stream, as the client sees it: the private
// reply queue, the send, the checks that keep foreign messages out, and one
// reader for every kind of reply stream (docs/protocol.md).

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "protocol/wire.h"
#include "util/error.h"
#include "util/mqueue.h"

namespace fileserver {

// Error::code of conditions the client finds itself; none of them is a code
// the server sends, so that cli/exit-status.h tells them apart by code.
inline constexpr int kErrNoServer = ECONNREFUSED;    // no server queue of that name
inline constexpr int kErrUnreachable = EHOSTUNREACH; // the server queue cannot be opened or written
inline constexpr int kErrTimedOut = ETIMEDOUT;       // no request accepted, or no reply, in time
inline constexpr int kErrProtocol = EPROTO;          // a reply stream that breaks the protocol
inline constexpr int kErrBadReply = EBADMSG;         // a reply whose payload cannot be decoded
inline constexpr int kErrLocal = EIO;                // a local failure (receive, output); why says which

struct ClientOptions {
	std::string queue = "/fileserver";
	// Longest wait for the request to be accepted and for each reply message.
	std::chrono::milliseconds timeout{10000};
};

struct ReplyQueueSize {
	long max_messages = 0;
	long message_size = 0;
};

// Picks the reply queue size: the largest message size the host allows,
// as many messages as fit in a quarter of the per-user budget, at most the
// host's msg_max (see docs/protocol.md).
ReplyQueueSize preferred_reply_queue_size();

// What the calls of one Client share: the reply queue size, the open server
// queue (reopened when its name is removed).
class ClientShared
{
public:
	ReplyQueueSize reply_size = preferred_reply_queue_size();

	// The server queue, opened once and kept for the calls that follow.
	// 0 or -errno.
	int server_queue(const std::string &name, std::shared_ptr<const MessageQueue> &out);
	// Drops @q after a failed send: the next call opens the queue afresh.
	void forget(const std::shared_ptr<const MessageQueue> &q);

private:
	std::mutex lock_;
	std::shared_ptr<const MessageQueue> server_; // null until the first call, or after a failure
};

class Exchange
{
public:
	// Decodes one message of the stream (its type already checked); an
	// error ends the stream.
	using Handler = std::function<Result<void>(protocol::ReplyType, std::span<const std::uint8_t>)>;

	// @foreign_out receives this exchange's count of dropped messages when
	// it ends.
	Exchange(const ClientOptions &options, ClientShared &shared, std::atomic<std::uint64_t> &foreign_out);
	~Exchange();
	Exchange(const Exchange &) = delete;
	Exchange &operator=(const Exchange &) = delete;

	// Creates the reply queue and sends @req (id, nonce and reply queue
	// filled in here).
	Result<void> start(protocol::Request req);

	// Reads the whole reply stream: a first message of type @first, then
	// any number of type @more, then END, whose total must equal what
	// @end_total returns at that point. An ERROR reply ends the stream with
	// the server's code and text.
	Result<void> read_stream(protocol::ReplyType first, std::optional<protocol::ReplyType> more,
	                         const Handler &on_message, const std::function<std::uint64_t()> &end_total);

	// The reply queue's name while it has one (until the first reply).
	[[nodiscard]] const std::string &reply_queue() const { return name_; }
	[[nodiscard]] std::uint64_t foreign_messages() const { return foreign_; }

private:
	struct Message {
		protocol::ReplyType type;
		std::span<const std::uint8_t> payload;
	};
	// The next message of this request's stream, in sequence.
	Result<Message> next();
	Result<void> create_reply_queue(std::uint64_t name_bits);
	void unlink_name();

	const ClientOptions &options_;
	ClientShared &shared_;
	std::atomic<std::uint64_t> &foreign_out_;
	std::uint64_t foreign_ = 0;
	MessageQueue queue_;
	std::string name_;
	int cleanup_slot_ = -1;
	std::unique_ptr<std::uint8_t[]> buf_; // not zeroed: receive() fills it
	std::size_t buf_size_ = 0;
	protocol::Nonce nonce_ = {};
	std::uint64_t id_ = 0;
	std::uint64_t seq_ = 0;
};

// Errors for replies that break the protocol.
Error protocol_error(std::string why);
Error bad_reply(const char *what);

} // namespace fileserver
