// SPDX-License-Identifier: MIT
#include "client.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "client/signal-cleanup.h"
#include "protocol/errors.h"
#include "util/errno-util.h"
#include "util/mqueue.h"
#include "util/random.h"
#include "util/time-util.h"

namespace fileserver {

using namespace protocol;

struct Client::Shared {
	ReplyQueueSize reply_size = preferred_reply_queue_size();
	std::mutex lock;
	std::shared_ptr<const MessageQueue> server; // null until the first call, or after a failure

	// The server queue, opened once and kept for the calls that follow.
	int server_queue(const std::string &name, std::shared_ptr<const MessageQueue> &out)
	{
		{
			std::lock_guard guard(lock);
			out = server;
		}
		struct stat st;
		// A name removed (and maybe created anew) leaves the descriptor on a
		// queue nobody serves any more: its link count is 0 then.
		if (out && out->stat(st) == 0 && st.st_nlink > 0)
			return 0;
		auto q = std::make_shared<MessageQueue>();
		int e = MessageQueue::open(name, O_WRONLY, *q);
		std::lock_guard guard(lock);
		if (e < 0) {
			server.reset();
			out.reset();
			return e;
		}
		server = out = std::move(q);
		return 0;
	}

	// Drops @q after a failed send: the next call opens the queue afresh.
	void forget(const std::shared_ptr<const MessageQueue> &q)
	{
		std::lock_guard guard(lock);
		if (server == q)
			server.reset();
	}
};

namespace {

long read_proc_long(const char *path, long fallback)
{
	std::ifstream in(path);
	long v = fallback;
	if (!(in >> v))
		return fallback;
	return v;
}

ClientResult fail(ClientStatus status, std::string message, int code = 0)
{
	return {status, code, std::move(message)};
}

ClientResult from_server_error(const Error &err)
{
	ClientStatus s = ClientStatus::Failed;
	switch (classify_error(err.code)) {
	case ErrorClass::NotFound: s = ClientStatus::NotFound; break;
	case ErrorClass::Refused: s = ClientStatus::Refused; break;
	case ErrorClass::Busy: s = ClientStatus::Busy; break;
	case ErrorClass::Unavailable: s = ClientStatus::Unreachable; break;
	case ErrorClass::Failed: s = ClientStatus::Failed; break;
	}
	return fail(s, err.text, static_cast<int>(err.code));
}

// One request and its reply stream: the private reply queue, the send,
// and the checks that keep foreign messages out.
class Exchange
{
public:
	Exchange(const ClientOptions &options, Client::Shared &shared, std::atomic<std::uint64_t> &foreign)
	        : options_(options), shared_(shared), foreign_out_(foreign)
	{
		foreign_out_.store(0);
	}

	~Exchange()
	{
		unlink_name();
		foreign_out_.store(foreign_);
	}

	ClientResult start(Request req)
	{
		// One getrandom() for the queue name, the nonce and the request id.
		std::uint8_t random[sizeof(std::uint64_t) + sizeof(nonce_) + sizeof(id_)];
		random_bytes(random);
		std::uint64_t name_bits;
		std::memcpy(&name_bits, random, sizeof(name_bits));
		std::memcpy(nonce_.data(), random + sizeof(name_bits), sizeof(nonce_));
		std::memcpy(&id_, random + sizeof(name_bits) + sizeof(nonce_), sizeof(id_));
		ClientResult r = create_reply_queue(name_bits);
		if (!r.ok())
			return r;
		req.id = id_;
		req.nonce = nonce_;
		req.reply_queue = name_;
		auto msg = encode_request(req);
		if (msg.empty())
			return fail(ClientStatus::Refused, "path too long", ENAMETOOLONG);

		std::shared_ptr<const MessageQueue> server;
		int e = shared_.server_queue(options_.queue, server);
		if (e == -ENOENT)
			return fail(ClientStatus::Unreachable,
			            "no server queue " + options_.queue + " (is fileserverd running?)",
			            ENOENT);
		if (e < 0)
			return fail(ClientStatus::Unreachable,
			            "cannot open server queue " + options_.queue + ": " + errno_string(e),
			            -e);
		e = server->send(msg, options_.timeout);
		if (e < 0)
			shared_.forget(server);
		if (e == -ETIMEDOUT)
			return fail(ClientStatus::Unreachable,
			            "server queue " + options_.queue +
			                    " stayed full: the server is not taking requests",
			            ETIMEDOUT);
		if (e == -EMSGSIZE)
			return fail(ClientStatus::Refused, "request too large for the server's queue",
			            EMSGSIZE);
		if (e < 0)
			return fail(ClientStatus::Unreachable, "cannot send request: " + errno_string(e), -e);
		return {};
	}

	// The next message of our reply stream, or a failure.
	ClientResult next(ReplyHeader &hdr, std::span<const std::uint8_t> &payload)
	{
		for (;;) {
			long n = queue_.receive(std::span(buf_.get(), buf_size_), options_.timeout);
			if (n == -ETIMEDOUT)
				return fail(ClientStatus::Unreachable,
				            seq_ == 0 ? "no reply from the server within the timeout"
				                      : "the server stopped sending (timed out)",
				            ETIMEDOUT);
			if (n < 0)
				return fail(ClientStatus::Failed, "receive failed: " + errno_string(n),
				            static_cast<int>(-n));
			auto msg = std::span<const std::uint8_t>(buf_.get(), static_cast<std::size_t>(n));
			if (decode_reply(msg, hdr, payload) != Status::Ok || hdr.request_id != id_ ||
			    hdr.nonce != nonce_) {
				// Not ours: a forged, stale or garbled message. Never use it.
				foreign_++;
				if (foreign_ > 10000)
					return fail(ClientStatus::Protocol,
					            "reply queue flooded with foreign messages");
				continue;
			}
			// The server has the queue open: drop the name, so that nothing
			// is left behind even if this process is killed now.
			unlink_name();
			if (hdr.seq != seq_)
				return fail(ClientStatus::Protocol, "reply out of sequence (expected " +
				                                            std::to_string(seq_) + ", got " +
				                                            std::to_string(hdr.seq) + ")");
			seq_++;
			return {};
		}
	}

	[[nodiscard]] std::size_t message_size() const { return buf_size_; }

private:
	// @name_bits: random bits for the first name tried.
	ClientResult create_reply_queue(std::uint64_t name_bits)
	{
		ReplyQueueSize size = shared_.reply_size;
		for (bool first = true;; first = false) {
			char name[64];
			std::snprintf(name, sizeof(name), "/fileserverctl-%d-%016llx", getpid(),
			              static_cast<unsigned long long>(first ? name_bits : random_u64()));
			// 0622: the server (maybe another uid) may write; nobody else may read.
			int e = MessageQueue::create(name, O_RDONLY, 0622, size.max_messages,
			                             size.message_size, queue_);
			if (e == 0) {
				name_ = name;
				cleanup_slot_ = cleanup_register(CleanupKind::MessageQueue, name_);
				// A queue is created with exactly the attributes asked for.
				buf_size_ = static_cast<std::size_t>(size.message_size);
				buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(buf_size_);
				return {};
			}
			if (e == -EEXIST)
				continue;
			// Over this user's budget: shrink and retry, down to a usable minimum.
			if ((e == -EMFILE || e == -ENOMEM) && size.max_messages > 2) {
				size.max_messages /= 2;
				continue;
			}
			if ((e == -EMFILE || e == -ENOMEM) && size.message_size > 1024) {
				size.message_size /= 2;
				continue;
			}
			if (e == -EMFILE || e == -ENOMEM)
				return fail(ClientStatus::Failed,
				            "cannot create a reply queue: this user's message queue budget "
				            "(RLIMIT_MSGQUEUE) is used up by other queues",
				            -e);
			if (e == -ENOSPC)
				return fail(ClientStatus::Failed,
				            "cannot create a reply queue: the system-wide limit "
				            "fs.mqueue.queues_max is reached",
				            ENOSPC);
			return fail(ClientStatus::Failed, "cannot create a reply queue: " + errno_string(e),
			            -e);
		}
	}

	void unlink_name()
	{
		if (!name_.empty()) {
			mq_unlink(name_.c_str());
			name_.clear();
			cleanup_forget(cleanup_slot_);
			cleanup_slot_ = -1;
		}
	}

	const ClientOptions &options_;
	Client::Shared &shared_;
	std::atomic<std::uint64_t> &foreign_out_; // the Client's, set when the call ends
	std::uint64_t foreign_ = 0;               // this call's
	MessageQueue queue_;
	std::string name_;
	int cleanup_slot_ = -1;
	std::unique_ptr<std::uint8_t[]> buf_; // not zeroed: receive() fills it
	std::size_t buf_size_ = 0;
	Nonce nonce_ = {};
	std::uint64_t id_ = 0;
	std::uint64_t seq_ = 0;
};

ClientResult unexpected(ReplyType type)
{
	return fail(ClientStatus::Protocol,
	            "unexpected reply of type " + std::to_string(static_cast<int>(type)));
}

ClientResult bad_payload(const char *what)
{
	return fail(ClientStatus::Protocol, std::string("malformed ") + what + " reply");
}

// What an ERROR reply says, as a result; a malformed one is a protocol error.
ClientResult error_reply(std::span<const std::uint8_t> payload)
{
	Error err;
	if (decode_error(payload, err) != Status::Ok)
		return bad_payload("error");
	return from_server_error(err);
}

// Reads the first reply: either @want (decoded by the caller) or an ERROR.
ClientResult first_reply(Exchange &ex, ReplyType want, std::span<const std::uint8_t> &payload)
{
	ReplyHeader hdr;
	ClientResult r = ex.next(hdr, payload);
	if (!r.ok())
		return r;
	if (hdr.type == ReplyType::Error)
		return error_reply(payload);
	if (hdr.type != want)
		return unexpected(hdr.type);
	return {};
}

// Sends @req and reads its first reply into @payload: @want, or an ERROR.
ClientResult begin(Exchange &ex, const Request &req, ReplyType want, std::span<const std::uint8_t> &payload)
{
	ClientResult r = ex.start(req);
	if (r.ok())
		r = first_reply(ex, want, payload);
	return r;
}

// Reads the END that closes a stream and checks its total.
ClientResult expect_end(Exchange &ex, std::uint64_t total)
{
	ReplyHeader hdr;
	std::span<const std::uint8_t> payload;
	ClientResult r = ex.next(hdr, payload);
	if (!r.ok())
		return r;
	if (hdr.type == ReplyType::Error)
		return error_reply(payload);
	if (hdr.type != ReplyType::End)
		return unexpected(hdr.type);
	End end;
	if (decode_end(payload, end) != Status::Ok)
		return bad_payload("end");
	if (end.total != total)
		return fail(ClientStatus::Protocol, "stream ended with total " + std::to_string(end.total) +
		                                            ", expected " + std::to_string(total));
	return {};
}

} // namespace

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

Client::Client(ClientOptions options) : options_(std::move(options)), shared_(std::make_shared<Shared>())
{}

ClientResult Client::ping(PingInfo &out) const
{
	auto t0 = monotonic_usec();
	Exchange ex(options_, *shared_, foreign_);
	Request req;
	req.op = Op::Ping;
	std::span<const std::uint8_t> payload;
	ClientResult r = begin(ex, req, ReplyType::Pong, payload);
	if (!r.ok())
		return r;
	if (decode_pong(payload, out.pong) != Status::Ok)
		return bad_payload("pong");
	out.round_trip = std::chrono::microseconds(monotonic_usec() - t0);
	return expect_end(ex, 0);
}

ClientResult Client::status(std::string &json) const
{
	Exchange ex(options_, *shared_, foreign_);
	Request req;
	req.op = Op::Status;
	std::span<const std::uint8_t> payload;
	ClientResult r = begin(ex, req, ReplyType::Status, payload);
	if (!r.ok())
		return r;
	json.assign(reinterpret_cast<const char *>(payload.data()), payload.size());
	return expect_end(ex, 0);
}

ClientResult Client::stat(const std::string &path, Meta &out) const
{
	Exchange ex(options_, *shared_, foreign_);
	Request req;
	req.op = Op::Stat;
	req.path = path;
	std::span<const std::uint8_t> payload;
	ClientResult r = begin(ex, req, ReplyType::Meta, payload);
	if (!r.ok())
		return r;
	if (decode_meta(payload, out) != Status::Ok)
		return bad_payload("metadata");
	return expect_end(ex, 0);
}

ClientResult Client::list(const std::string &path, Meta &dir, std::vector<Entry> &entries) const
{
	Exchange ex(options_, *shared_, foreign_);
	Request req;
	req.op = Op::List;
	req.path = path;
	std::span<const std::uint8_t> payload;
	ClientResult r = begin(ex, req, ReplyType::Meta, payload);
	if (!r.ok())
		return r;
	if (decode_meta(payload, dir) != Status::Ok)
		return bad_payload("metadata");
	for (;;) {
		ReplyHeader hdr;
		r = ex.next(hdr, payload);
		if (!r.ok())
			return r;
		switch (hdr.type) {
		case ReplyType::Entries:
			if (decode_entries(payload, entries) != Status::Ok)
				return bad_payload("directory entries");
			continue;
		case ReplyType::End: {
			End end;
			if (decode_end(payload, end) != Status::Ok)
				return bad_payload("end");
			if (end.total != entries.size())
				return fail(ClientStatus::Protocol,
				            "listing ended with " + std::to_string(end.total) +
				                    " entries, received " + std::to_string(entries.size()));
			return {};
		}
		case ReplyType::Error: return error_reply(payload);
		default: return unexpected(hdr.type);
		}
	}
}

ClientResult Client::get(const std::string &path, std::uint64_t offset, std::uint64_t length,
                         const MetaHandler &on_meta, const DataSink &sink) const
{
	Exchange ex(options_, *shared_, foreign_);
	Request req;
	req.op = Op::Get;
	req.path = path;
	req.offset = offset;
	req.length = length;
	std::span<const std::uint8_t> payload;
	ClientResult r = begin(ex, req, ReplyType::Meta, payload);
	if (!r.ok())
		return r;
	Meta meta;
	if (decode_meta(payload, meta) != Status::Ok)
		return bad_payload("metadata");
	std::uint64_t expected = std::min(length, meta.size >= offset ? meta.size - offset : 0);
	if (meta.offset != offset || meta.length != expected)
		return fail(ClientStatus::Protocol, "the server announced another range than requested");
	if (on_meta)
		on_meta(meta);

	std::uint64_t received = 0;
	for (;;) {
		ReplyHeader hdr;
		r = ex.next(hdr, payload);
		if (!r.ok())
			return r;
		switch (hdr.type) {
		case ReplyType::Data: {
			if (payload.size() > meta.length - received)
				return fail(ClientStatus::Protocol,
				            "the server sent more data than announced");
			int e = sink(payload);
			if (e < 0)
				return fail(ClientStatus::Failed, "cannot write output: " + errno_string(e),
				            -e);
			received += payload.size();
			continue;
		}
		case ReplyType::End: {
			End end;
			if (decode_end(payload, end) != Status::Ok)
				return bad_payload("end");
			if (end.total != received || received != meta.length)
				return fail(ClientStatus::Protocol,
				            "transfer incomplete: received " + std::to_string(received) +
				                    " of " + std::to_string(meta.length) + " bytes");
			return {};
		}
		case ReplyType::Error: return error_reply(payload);
		default: return unexpected(hdr.type);
		}
	}
}

} // namespace fileserver
