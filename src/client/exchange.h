// SPDX-License-Identifier: MIT
#pragma once

// One request and its reply stream, as the client sees it: the send on a
// session (client/session.h), the checks that keep foreign messages out, and
// one reader for every kind of reply stream (docs/protocol.md).

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

// A flood of foreign messages could otherwise keep a call busy for ever.
inline constexpr std::uint64_t kMaxForeignMessages = 10000;

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

// What a Client and its copies share: the reply queue size, the open server
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

class Session;

// The server queue of @options, as @shared keeps it open.
Result<std::shared_ptr<const MessageQueue>> open_server_queue(const ClientOptions &options,
                                                              ClientShared &shared);
// Sends an encoded request (empty: one that could not be encoded, its path
// too long) within the timeout; a failure makes @shared forget @server.
Result<void> send_request(const ClientOptions &options, ClientShared &shared,
                          const std::shared_ptr<const MessageQueue> &server,
                          std::span<const std::uint8_t> msg);

// One request on a session and its reply stream.
class Exchange
{
public:
	// Decodes one message of the stream (its type already checked); an
	// error ends the stream.
	using Handler = std::function<Result<void>(protocol::ReplyType, std::span<const std::uint8_t>)>;

	// Messages this exchange drops are added to @foreign.
	Exchange(const ClientOptions &options, ClientShared &shared, const Session &session,
	         std::uint64_t &foreign);
	Exchange(const Exchange &) = delete;
	Exchange &operator=(const Exchange &) = delete;

	// Sends @req on the session (id, secret and session id filled in here).
	Result<void> start(protocol::Request req);
	// Takes over request @id, sent earlier on the session (a GET sent
	// ahead, Client::get_ahead): its replies are this exchange's stream.
	void adopt(std::uint64_t id);
	// The id of the request sent or adopted (0: none yet).
	[[nodiscard]] std::uint64_t id() const { return id_; }

	// Reads the whole reply stream: a first message of type @first, then
	// any number of type @more, then END, whose total must equal what
	// @end_total returns at that point. An ERROR reply ends the stream with
	// the server's code and text.
	Result<void> read_stream(protocol::ReplyType first, std::optional<protocol::ReplyType> more,
	                         const Handler &on_message, const std::function<std::uint64_t()> &end_total);

	// Whether the session is fit for the next request after this one: the
	// server sent the stream's last message (END or ERROR), or no request
	// went out and the server queue is not in doubt. Otherwise replies of
	// an abandoned request may still come, or the server may not know the
	// session: the caller closes it.
	[[nodiscard]] bool finished() const { return ended_ || (!sent_ && !broken_); }
	// A request went out and nothing came back: a server that does not
	// know the session (restarted) drops it without a word.
	[[nodiscard]] bool unanswered() const { return sent_ && seq_ == 0; }

private:
	struct Message {
		protocol::ReplyType type;
		std::span<const std::uint8_t> payload;
	};
	// The next message of this request's stream, in sequence.
	Result<Message> next();

	const ClientOptions &options_;
	ClientShared &shared_;
	const Session &session_;
	std::uint64_t &foreign_;
	std::uint64_t id_ = 0;
	std::uint64_t seq_ = 0;
	bool sent_ = false;
	bool broken_ = false;
	bool ended_ = false;
};

// Errors for replies that break the protocol.
Error protocol_error(std::string why);
Error bad_reply(const char *what);
// What an ERROR reply says; a malformed one is a bad reply.
Error error_reply(std::span<const std::uint8_t> payload);

} // namespace fileserver
