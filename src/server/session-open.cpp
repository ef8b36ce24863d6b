// SPDX-License-Identifier: MIT
// The dispatcher's OPEN path (docs/protocol.md, "Sessions") and its answer to
// version-1 clients. Nothing here waits: every reply goes out with try_send.
#include <fcntl.h>

#include <cerrno>
#include <vector>

#include <spdlog/spdlog.h>

#include "server/reply-stream.h"
#include "server/request-log.h"
#include "server/request-loop.h"
#include "util/errno-util.h"
#include "util/pidfd.h"
#include "util/text.h"

namespace fileserver {

namespace {

constexpr std::uint64_t kOldClientIntervalUsec = 1000000; // one answer a second per queue
constexpr std::size_t kMaxOldClients = 1024;              // queues remembered for that

} // namespace

void RequestLoop::open_session(std::size_t size, Job &job)
{
	const protocol::Request &req = job.request;
	const Config &config = job.context->config;
	if (req.reply_queue == config.queue) {
		// Replies into our own request queue would come back as requests.
		log_dropped(size, "names the server queue as its reply queue", job.received_usec);
		return;
	}
	auto s = std::make_shared<Session>();
	s->reply_queue = req.reply_queue;
	s->pid = static_cast<pid_t>(req.pid);
	RequestRecord rec;
	rec.op = req.op;
	rec.reply_queue = s->reply_queue;
	rec.client_pid = s->pid;

	struct mq_attr attr = {};
	int r = MessageQueue::open(req.reply_queue, O_WRONLY | O_NONBLOCK, s->reply);
	if (r == 0)
		r = s->reply.stat(s->reply_stat);
	if (r == 0)
		r = s->reply.attributes(attr);
	if (r < 0) {
		rec.fail(Outcome::Aborted, Error::from_errno(r, "cannot open reply queue " + req.reply_queue +
		                                                        ": " + errno_string(r)));
		end_request(stats_, rec, job.received_usec);
		return;
	}
	// Naming someone else's queue earns them only a few messages.
	if (sessions_.challenge_limit_reached(s->reply_stat)) {
		reject("too many unanswered challenges in reply queue " +
		               escape_for_terminal(req.reply_queue),
		       job.received_usec);
		return;
	}
	s->uid = s->reply_stat.st_uid;
	s->message_size = static_cast<std::size_t>(attr.mq_msgsize);
	// The queue's owner is not proven until the secret comes back: a refused
	// OPEN is logged under no uid, so that nobody can forge another's.

	auto refuse = [&](const Error &err) {
		// Refusals count against the queue's share of answers, as challenges do.
		if (!sessions_.charge_refusal(s->reply_stat)) {
			reject("too many unanswered replies in reply queue " +
			               escape_for_terminal(req.reply_queue),
			       job.received_usec);
			return;
		}
		// The text is cut to fit the queue's messages; if not even the
		// header fits, the send fails and nothing is sent.
		std::size_t fixed = protocol::kReplyHeaderSize + protocol::kErrorFixedSize;
		std::size_t room = s->message_size > fixed ? s->message_size - fixed : 0;
		(void)reply_error_now(s->reply, req, err.code, err.why.substr(0, room));
		rec.fail(outcome_for_error(err.code), err);
		end_request(stats_, rec, job.received_usec);
	};
	if (s->message_size < protocol::kMinReplyMessageSize)
		return refuse(Error{EMSGSIZE, "reply queue messages too small (" +
		                                      std::to_string(s->message_size) + " bytes, at least " +
		                                      std::to_string(protocol::kMinReplyMessageSize) +
		                                      " needed)"});
	if (s->reply_stat.st_mode & (S_IRGRP | S_IROTH)) // anyone else who can read it could read the files
		return refuse(Error{EACCES, "reply queue is readable by group or others"});
	int fd = pidfd_open_fd(s->pid);
	if (fd == -ESRCH)
		return refuse(Error{ESRCH, "no process " + std::to_string(s->pid)});
	if (fd < 0)
		return refuse(Error::from_errno(fd, "cannot watch process " + std::to_string(s->pid) + ": " +
		                                            errno_string(fd)));
	s->pidfd.reset(fd);

	SessionLimits limits = session_limits(config);
	auto created = sessions_.create(s, limits);
	if (!created && created.error().code == EAGAIN) {
		reject(created.error().why, job.received_usec); // lost a race to the per-queue limit
		return;
	}
	if (!created)
		return refuse(created.error());
	if (!send_challenge(*s, req, limits.idle_timeout)) {
		sessions_.close(s->id, SessionEnd::Discarded);
		rec.session_id = s->id;
		rec.fail(Outcome::Aborted, Error{EAGAIN, "cannot send the challenge: reply queue full"});
		end_request(stats_, rec, job.received_usec);
		return;
	}
	spdlog::debug("Session {:016x} opened for uid {} (pid {}) on reply queue {}", s->id, s->uid, s->pid,
	              escape_for_terminal(s->reply_queue));
}

bool RequestLoop::send_challenge(const Session &s, const protocol::Request &req,
                                 std::chrono::milliseconds idle_timeout)
{
	protocol::ReplyHeader hdr;
	hdr.type = protocol::ReplyType::Challenge;
	hdr.request_id = req.id;
	hdr.nonce = req.nonce; // the OPEN's nonce: the secret goes in the payload
	auto payload = protocol::encode_challenge(
	        {s.id, s.secret, static_cast<std::uint32_t>(idle_timeout.count())});
	std::uint8_t buf[protocol::kReplyHeaderSize + protocol::kChallengeSize];
	std::size_t n = protocol::encode_reply(hdr, payload, buf);
	return n != 0 && s.reply.try_send(std::span(buf, n)) == 0;
}

bool RequestLoop::old_client_due(const std::string &queue, std::uint64_t now_usec)
{
	std::lock_guard guard(old_clients_lock_);
	auto it = old_clients_.find(queue);
	if (it != old_clients_.end() && now_usec - it->second < kOldClientIntervalUsec)
		return false;
	if (it == old_clients_.end() && old_clients_.size() >= kMaxOldClients)
		old_clients_.clear(); // bounded: forgetting costs at most one message a queue
	old_clients_[queue] = now_usec;
	return true;
}

void RequestLoop::answer_old_version(std::size_t size, Job &job)
{
	const protocol::Request &req = job.request;
	if (req.reply_queue == context_()->config.queue) {
		log_dropped(size, "names the server queue as its reply queue", job.received_usec);
		return;
	}
	if (!old_client_due(req.reply_queue, job.received_usec))
		return;
	MessageQueue q;
	int r = MessageQueue::open(req.reply_queue, O_WRONLY | O_NONBLOCK, q);
	RequestRecord rec;
	rec.op = req.op;
	rec.path = req.path;
	rec.reply_queue = req.reply_queue;
	Error err{EPROTONOSUPPORT, "protocol version 1 is not supported: this server speaks version 2 "
	                           "(upgrade the client)"};
	if (r == 0)
		r = reply_error_now(q, req, err.code, err.why, protocol::kVersion1);
	if (r < 0)
		rec.fail(Outcome::Aborted,
		         Error::from_errno(r, "protocol version 1 request; cannot answer on " +
		                                      req.reply_queue + ": " + errno_string(r)));
	else
		rec.fail(Outcome::Refused, err);
	end_request(stats_, rec, job.received_usec);
}

} // namespace fileserver
