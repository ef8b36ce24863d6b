// SPDX-License-Identifier: MIT
#include "client/exchange.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "client/signal-cleanup.h"
#include "util/errno-util.h"
#include "util/io.h"
#include "util/random.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

// A flood of foreign messages could otherwise keep a call busy for ever.
constexpr std::uint64_t kMaxForeign = 10000;

Error unexpected(ReplyType type)
{
	return protocol_error("unexpected reply of type " + std::to_string(static_cast<int>(type)));
}

// What an ERROR reply says; a malformed one is a protocol error.
Error error_reply(std::span<const std::uint8_t> payload)
{
	protocol::Error err;
	if (protocol::decode_error(payload, err) != protocol::Status::Ok)
		return bad_reply("error");
	return Error{static_cast<int>(err.code), err.text};
}

} // namespace

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

Exchange::Exchange(const ClientOptions &options, ClientShared &shared,
                   std::atomic<std::uint64_t> &foreign_out)
        : options_(options), shared_(shared), foreign_out_(foreign_out)
{
	foreign_out_.store(0);
}

Exchange::~Exchange()
{
	unlink_name();
	foreign_out_.store(foreign_);
}

Result<void> Exchange::start(protocol::Request req)
{
	// One getrandom() for the queue name, the nonce and the request id.
	std::uint8_t random[sizeof(std::uint64_t) + sizeof(nonce_) + sizeof(id_)];
	random_bytes(random);
	std::uint64_t name_bits;
	std::memcpy(&name_bits, random, sizeof(name_bits));
	std::memcpy(nonce_.data(), random + sizeof(name_bits), sizeof(nonce_));
	std::memcpy(&id_, random + sizeof(name_bits) + sizeof(nonce_), sizeof(id_));
	if (auto r = create_reply_queue(name_bits); !r)
		return r;
	req.id = id_;
	req.nonce = nonce_;
	req.reply_queue = name_;
	auto msg = protocol::encode_request(req);
	if (msg.empty())
		return Error{ENAMETOOLONG, "path too long"};

	const std::string &q = options_.queue;
	std::shared_ptr<const MessageQueue> server;
	int e = shared_.server_queue(q, server);
	if (e == -ENOENT)
		return Error{kErrNoServer, "no server queue " + q + " (is fileserverd running?)"};
	if (e < 0)
		return Error{kErrUnreachable, "cannot open server queue " + q + ": " + errno_string(e)};
	e = server->send(msg, options_.timeout);
	if (e < 0)
		shared_.forget(server);
	if (e == -ETIMEDOUT)
		return Error{kErrTimedOut,
		             "server queue " + q + " stayed full: the server is not taking requests"};
	if (e == -EMSGSIZE)
		return Error{EMSGSIZE, "request too large for the server's queue"};
	if (e < 0)
		return Error{kErrUnreachable, "cannot send request: " + errno_string(e)};
	return {};
}

Result<Exchange::Message> Exchange::next()
{
	for (;;) {
		long n = queue_.receive(std::span(buf_.get(), buf_size_), options_.timeout);
		if (n == -ETIMEDOUT)
			return Error{kErrTimedOut, seq_ == 0 ? "no reply from the server within the timeout"
			                                     : "the server stopped sending (timed out)"};
		if (n < 0)
			return Error{kErrLocal, "receive failed: " + errno_string(static_cast<int>(n))};
		auto msg = std::span<const std::uint8_t>(buf_.get(), static_cast<std::size_t>(n));
		protocol::ReplyHeader hdr;
		Message m;
		if (protocol::decode_reply(msg, hdr, m.payload) != protocol::Status::Ok ||
		    hdr.request_id != id_ || hdr.nonce != nonce_) {
			// Not ours: a forged, stale or garbled message. Never use it.
			if (++foreign_ > kMaxForeign)
				return protocol_error("reply queue flooded with foreign messages");
			continue;
		}
		// The server has the queue open: drop the name, so that nothing is
		// left behind even if this process is killed now.
		unlink_name();
		if (hdr.seq != seq_)
			return protocol_error("reply out of sequence (expected " + std::to_string(seq_) +
			                      ", got " + std::to_string(hdr.seq) + ")");
		seq_++;
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

Result<void> Exchange::create_reply_queue(std::uint64_t name_bits)
{
	ReplyQueueSize size = shared_.reply_size;
	for (bool first = true;; first = false) {
		char name[64];
		std::snprintf(name, sizeof(name), "/fileserverctl-%d-%016llx", getpid(),
		              static_cast<unsigned long long>(first ? name_bits : random_u64()));
		// Registered for signal-time removal before it exists: a signal
		// between the creation and the registration would leave it behind.
		int slot = cleanup_register(CleanupKind::MessageQueue, name);
		// 0622: the server (maybe another uid) may write; nobody else may read.
		int e = MessageQueue::create(name, O_RDONLY, 0622, size.max_messages, size.message_size,
		                             queue_);
		if (e == 0) {
			name_ = name;
			cleanup_slot_ = slot;
			// A queue is created with exactly the attributes asked for.
			buf_size_ = static_cast<std::size_t>(size.message_size);
			buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(buf_size_);
			return {};
		}
		cleanup_forget(slot);
		if (e == -EEXIST)
			continue;
		bool over_budget = e == -EMFILE || e == -ENOMEM;
		// Over this user's budget: shrink and retry, down to a usable minimum.
		if (over_budget && size.max_messages > 2) {
			size.max_messages /= 2;
			continue;
		}
		if (over_budget && size.message_size > 1024) {
			size.message_size /= 2;
			continue;
		}
		if (over_budget)
			return Error::from_errno(e, "cannot create a reply queue: this user's message queue "
			                            "budget (RLIMIT_MSGQUEUE) is used up by other queues");
		if (e == -ENOSPC)
			return Error{ENOSPC, "cannot create a reply queue: the system-wide limit "
			                     "fs.mqueue.queues_max is reached"};
		return Error{kErrLocal, "cannot create a reply queue: " + errno_string(e)};
	}
}

void Exchange::unlink_name()
{
	if (!name_.empty()) {
		mq_unlink(name_.c_str());
		name_.clear();
		cleanup_forget(cleanup_slot_);
		cleanup_slot_ = -1;
	}
}

} // namespace fileserver
