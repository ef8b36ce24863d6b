// SPDX-License-Identifier: MIT
#include "client/exchange.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "client/session.h"
#include "util/errno-util.h"
#include "util/io.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

Error unexpected(ReplyType type)
{
	return protocol_error("unexpected reply of type " + std::to_string(static_cast<int>(type)));
}

} // namespace

Error error_reply(std::span<const std::uint8_t> payload)
{
	protocol::Error err;
	if (protocol::decode_error(payload, err) != protocol::Status::Ok)
		return bad_reply("error");
	return Error{static_cast<int>(err.code), err.text};
}

Error protocol_error(std::string why)
{
	return Error{kErrProtocol, std::move(why)};
}

Error bad_reply(const char *what)
{
	return Error{kErrBadReply, std::string("malformed ") + what + " reply"};
}

ReplyQueueSize preferred_reply_queue_size()
{
	long msgsize_max = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
	long msg_max = read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
	struct rlimit rl = {};
	getrlimit(RLIMIT_MSGQUEUE, &rl);
	long budget = rl.rlim_cur == RLIM_INFINITY ? (1L << 30) : static_cast<long>(rl.rlim_cur);

	ReplyQueueSize s;
	// Beyond 256 KiB per message nothing is gained.
	s.message_size = std::clamp(msgsize_max, 1024L, 256L * 1024);
	s.max_messages = std::clamp(budget / 4 / s.message_size, 2L, std::max(2L, std::min(msg_max, 64L)));
	return s;
}

int ClientShared::server_queue(const std::string &name, std::shared_ptr<const MessageQueue> &out)
{
	{
		std::lock_guard guard(lock_);
		out = server_;
	}
	struct stat st;
	// A name removed (and maybe created anew) leaves the descriptor on a
	// queue nobody serves any more: its link count is 0 then.
	if (out && out->stat(st) == 0 && st.st_nlink > 0)
		return 0;
	auto q = std::make_shared<MessageQueue>();
	int e = MessageQueue::open(name, O_WRONLY, *q);
	std::lock_guard guard(lock_);
	if (e < 0) {
		server_.reset();
		out.reset();
		return e;
	}
	server_ = out = std::move(q);
	return 0;
}

void ClientShared::forget(const std::shared_ptr<const MessageQueue> &q)
{
	std::lock_guard guard(lock_);
	if (server_ == q)
		server_.reset();
}

Result<std::shared_ptr<const MessageQueue>> open_server_queue(const ClientOptions &options,
                                                              ClientShared &shared)
{
	const std::string &q = options.queue;
	std::shared_ptr<const MessageQueue> server;
	int e = shared.server_queue(q, server);
	if (e == -ENOENT)
		return Error{kErrNoServer, "no server queue " + q + " (is fileserverd running?)"};
	if (e < 0)
		return Error{kErrUnreachable, "cannot open server queue " + q + ": " + errno_string(e)};
	return server;
}

Result<void> send_request(const ClientOptions &options, ClientShared &shared,
                          const std::shared_ptr<const MessageQueue> &server,
                          std::span<const std::uint8_t> msg)
{
	if (msg.empty())
		return Error{ENAMETOOLONG, "path too long"};
	int e = server->send(msg, options.timeout);
	if (e < 0)
		shared.forget(server);
	if (e == -ETIMEDOUT)
		return Error{kErrTimedOut, "server queue " + options.queue +
		                                   " stayed full: the server is not taking requests"};
	if (e == -EMSGSIZE)
		return Error{EMSGSIZE, "request too large for the server's queue"};
	if (e < 0)
		return Error{kErrUnreachable, "cannot send request: " + errno_string(e)};
	return {};
}

Exchange::Exchange(const ClientOptions &options, ClientShared &shared, const Session &session,
                   std::uint64_t &foreign)
        : options_(options), shared_(shared), session_(session), foreign_(foreign)
{}

Result<void> Exchange::start(protocol::Request req)
{
	id_ = session_.next_request_id();
	req.id = id_;
	req.nonce = session_.secret();
	req.session = session_.id();
	req.reply_queue.clear();
	req.pid = 0;
	auto r = send_request(options_, shared_, session_.server(), protocol::encode_request(req));
	// Not sent for want of room, or too large: the session is as it was.
	if (!r && r.error().code != kErrTimedOut && r.error().code != EMSGSIZE &&
	    r.error().code != ENAMETOOLONG)
		broken_ = true;
	sent_ = r.ok();
	return r;
}

void Exchange::adopt(std::uint64_t id)
{
	id_ = id;
	sent_ = true;
}

Result<Exchange::Message> Exchange::next()
{
	auto buf = session_.buffer();
	for (;;) {
		long n = session_.replies().receive(buf, options_.timeout);
		if (n == -ETIMEDOUT)
			return Error{kErrTimedOut, seq_ == 0 ? "no reply from the server within the timeout"
			                                     : "the server stopped sending (timed out)"};
		if (n < 0)
			return Error{kErrLocal, "receive failed: " + errno_string(static_cast<int>(n))};
		auto msg = std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n));
		protocol::ReplyHeader hdr;
		Message m;
		if (protocol::decode_reply(msg, hdr, m.payload) != protocol::Status::Ok ||
		    hdr.request_id != id_ || hdr.nonce != session_.secret()) {
			// Not ours: a forged, stale or garbled message. Never use it.
			if (++foreign_ > kMaxForeignMessages)
				return protocol_error("reply queue flooded with foreign messages");
			continue;
		}
		if (hdr.seq != seq_)
			return protocol_error("reply out of sequence (expected " + std::to_string(seq_) +
			                      ", got " + std::to_string(hdr.seq) + ")");
		seq_++;
		if (hdr.type == ReplyType::End || hdr.type == ReplyType::Error)
			ended_ = true;
		m.type = hdr.type;
		return m;
	}
}

Result<void> Exchange::read_stream(ReplyType first, std::optional<ReplyType> more, const Handler &on_message,
                                   const std::function<std::uint64_t()> &end_total)
{
	for (bool at_first = true;; at_first = false) {
		auto m = next();
		if (!m)
			return m.take_error();
		if (m->type == ReplyType::Error)
			return error_reply(m->payload);
		if (m->type == ReplyType::End && !at_first) {
			protocol::End end;
			if (protocol::decode_end(m->payload, end) != protocol::Status::Ok)
				return bad_reply("end");
			std::uint64_t want = end_total ? end_total() : 0;
			if (end.total != want)
				return protocol_error("stream ended with total " + std::to_string(end.total) +
				                      ", expected " + std::to_string(want));
			return {};
		}
		if (at_first ? m->type != first : m->type != more)
			return unexpected(m->type);
		if (auto r = on_message(m->type, m->payload); !r)
			return r;
	}
}

} // namespace fileserver
