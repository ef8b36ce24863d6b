// SPDX-License-Identifier: MIT
#include "client/session.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "client/signal-cleanup.h"
#include "client/stale-queues.h"
#include "util/errno-util.h"
#include "util/random.h"
#include "util/time-util.h"

namespace fileserver {

using protocol::ReplyType;

namespace {

// The reply queue's name until the server has answered OPEN: removed on
// every way out, and by the signal handlers meanwhile.
class PendingName
{
public:
	PendingName() = default;
	PendingName(const PendingName &) = delete;
	PendingName &operator=(const PendingName &) = delete;
	~PendingName() { drop(); }

	// Registered for signal-time removal before the queue exists: a signal
	// between the creation and the registration would leave it behind.
	void set(std::string name)
	{
		name_ = std::move(name);
		slot_ = cleanup_register(CleanupKind::MessageQueue, name_);
	}
	void drop()
	{
		if (!name_.empty())
			mq_unlink(name_.c_str());
		forget();
	}
	// The queue was not created: nothing to unlink.
	void forget()
	{
		cleanup_forget(slot_);
		slot_ = -1;
		name_.clear();
	}
	[[nodiscard]] const std::string &name() const { return name_; }

private:
	std::string name_;
	int slot_ = -1;
};

// Creates the reply queue, halving its size while over this uid's budget;
// returns the size it got. Reclaiming the stale queues of this uid (those
// of clients killed before their CHALLENGE) is done only when the budget
// or the system's queues run out: a leak is rare (a name lives from
// creation to the CHALLENGE only) and costs nothing until then, while
// listing the mqueue file system at every start would cost every client.
Result<ReplyQueueSize> create_reply_queue(ReplyQueueSize size, pid_t pid, std::uint64_t name_bits,
                                          PendingName &name, MessageQueue &queue)
{
	bool reclaimed = false;
	for (bool first = true;; first = false) {
		// Appended, not "/" + name: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
		std::string full = "/";
		full += reply_queue_name(pid, first ? name_bits : random_u64());
		name.set(std::move(full));
		// 0622: the server (maybe another uid) may write; nobody else may read.
		int e = MessageQueue::create(name.name(), O_RDONLY, 0622, size.max_messages,
		                             size.message_size, queue);
		if (e == 0)
			return size;
		name.forget();
		if (e == -EEXIST)
			continue;
		bool over_budget = e == -EMFILE || e == -ENOMEM;
		if ((over_budget || e == -ENOSPC) && !reclaimed) {
			reclaimed = true;
			if (reclaim_stale_queues(geteuid()) > 0)
				continue; // the same size again
		}
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

} // namespace

Result<std::unique_ptr<Session>> Session::open(const ClientOptions &options, ClientShared &shared,
                                               std::uint64_t &foreign)
{
	std::unique_ptr<Session> s(new Session());
	s->pid_ = getpid();
	// One getrandom() for the queue name, the nonce and the request id.
	protocol::Request open;
	std::uint64_t name_bits;
	std::uint8_t random[sizeof(name_bits) + sizeof(open.nonce) + sizeof(open.id)];
	random_bytes(random);
	std::memcpy(&name_bits, random, sizeof(name_bits));
	std::memcpy(open.nonce.data(), random + sizeof(name_bits), sizeof(open.nonce));
	std::memcpy(&open.id, random + sizeof(name_bits) + sizeof(open.nonce), sizeof(open.id));

	PendingName name;
	auto size = create_reply_queue(shared.reply_size, s->pid_, name_bits, name, s->replies_);
	if (!size)
		return size.take_error();
	s->buf_size_ = static_cast<std::size_t>(size->message_size);
	s->buf_ = std::make_unique_for_overwrite<std::uint8_t[]>(s->buf_size_);

	open.op = protocol::Op::Open;
	open.reply_queue = name.name();
	open.pid = static_cast<std::uint32_t>(s->pid_);
	auto server = open_server_queue(options, shared);
	if (!server)
		return server.take_error();
	s->server_ = std::move(*server);
	if (auto r = send_request(options, shared, s->server_, protocol::encode_request(open)); !r)
		return r.take_error();

	for (;;) {
		long n = s->replies_.receive(s->buffer(), options.timeout);
		if (n == -ETIMEDOUT)
			return Error{kErrTimedOut, "no answer from the server to the session request within "
			                           "the timeout"};
		if (n < 0)
			return Error{kErrLocal, "receive failed: " + errno_string(static_cast<int>(n))};
		protocol::ReplyHeader hdr;
		std::span<const std::uint8_t> payload;
		if (protocol::decode_reply(std::span(s->buf_.get(), static_cast<std::size_t>(n)), hdr,
		                           payload) != protocol::Status::Ok ||
		    hdr.request_id != open.id || hdr.nonce != open.nonce ||
		    (hdr.type != ReplyType::Challenge && hdr.type != ReplyType::Error)) {
			// Not the answer to our OPEN: forged, stale or garbled.
			if (++foreign > kMaxForeignMessages)
				return protocol_error("reply queue flooded with foreign messages");
			continue;
		}
		// The server has the queue open: drop the name, so that nothing is
		// left behind even if this process is killed now.
		name.drop();
		if (hdr.type == ReplyType::Error)
			return error_reply(payload);
		protocol::Challenge ch;
		if (protocol::decode_challenge(payload, ch) != protocol::Status::Ok)
			return bad_reply("challenge");
		s->id_ = ch.session;
		s->secret_ = ch.secret;
		s->idle_timeout_usec_ = std::uint64_t{ch.idle_timeout_ms} * 1000;
		s->next_id_.store(open.id + 1);
		s->used();
		return s;
	}
}

Session::~Session()
{
	// Not opened (no CHALLENGE came), or inherited through fork.
	if (id_ == 0 || pid_ != getpid() || !server_)
		return;
	protocol::Request close;
	close.op = protocol::Op::Close;
	close.id = next_request_id();
	close.nonce = secret_;
	close.session = id_;
	// Best effort: a full queue or a server gone leaves the session to the
	// server's own reaping (this process's exit, or the idle timeout).
	auto msg = protocol::encode_request(close);
	if (!msg.empty())
		(void)server_->try_send(msg);
}

bool Session::usable() const
{
	if (pid_ != getpid())
		return false;
	struct stat st;
	if (server_->stat(st) < 0 || st.st_nlink == 0)
		return false;
	if (idle_timeout_usec_ == 0)
		return true;
	// A margin for the clocks' and the server's sweep: better a new session
	// than a request the server drops and a call that waits for the timeout.
	std::uint64_t margin = std::min<std::uint64_t>(1000000, idle_timeout_usec_ / 4);
	return monotonic_usec() - last_used_usec_ < idle_timeout_usec_ - margin;
}

void Session::used()
{
	last_used_usec_ = monotonic_usec();
}

} // namespace fileserver
