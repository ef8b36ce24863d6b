// SPDX-License-Identifier: MIT
#include "transfer.h"

#include <cerrno>
#include <exception>
#include <vector>

#include "server/operations.h"
#include "util/errno-util.h"
#include "util/time-util.h"

namespace fileserver {

namespace {

Error internal_error(const char *what)
{
	return Error{EIO, std::string("internal error: ") + what};
}

std::size_t max_payload(const Session &s)
{
	return s.message_size > protocol::kReplyHeaderSize ? s.message_size - protocol::kReplyHeaderSize : 0;
}

} // namespace

Transfer::Transfer(Job job, const TransferEnv &env)
        : job_(std::move(job)), env_(env), out_(job_.request), last_sent_usec_(monotonic_usec())
{}

std::chrono::milliseconds Transfer::send_timeout() const
{
	return job_.context->config.send_timeout;
}

RequestRecord record_for(const Job &job)
{
	RequestRecord rec;
	rec.op = job.request.op;
	rec.path = job.request.path;
	if (const Session *s = job.session.get()) {
		rec.reply_queue = s->reply_queue;
		rec.client_uid = s->uid;
		rec.session_id = s->id;
		rec.client_pid = s->pid;
	}
	return rec;
}

void Transfer::fail(Error err)
{
	source_ = error_reply(err.code, err.why, max_payload(session()));
	error_ = std::move(err);
}

// Ends the reply with ERROR @err, or, if even the ERROR failed (an ERROR
// reply is cut to fit: only an exception), gives the client up.
void Transfer::fail_or_lose(Error err)
{
	if (error_)
		lost_ = std::move(err);
	else
		fail(std::move(err));
}

// The operation's checks, then its source. The reply queue's size and mode
// were checked when the session opened.
void Transfer::start()
{
	if (job_.refusal) {
		fail(*job_.refusal);
		return;
	}
	OpRequest op{job_.request, *job_.context, job_.session->uid, env_.stats, max_payload(session())};
	SourceResult source = Error{EINVAL, "unknown operation"};
	switch (job_.request.op) {
	case protocol::Op::Ping: source = start_ping(); break;
	case protocol::Op::Status: source = start_status(env_.status(), op.max_payload); break;
	case protocol::Op::Stat: source = start_stat(op); break;
	case protocol::Op::Get: source = start_get(op); break;
	case protocol::Op::List: source = start_list(op); break;
	case protocol::Op::Open:
	case protocol::Op::Close: break; // the dispatcher's own
	}
	if (source)
		source_ = std::move(*source);
	else
		fail(source.take_error());
}

Transfer::Step Transfer::pump(unsigned budget) noexcept
{
	// One buffer per thread for every transfer it runs: a message is made
	// and sent at once, so a parked transfer keeps none.
	thread_local std::vector<std::uint8_t> message;
	for (;;) {
		try {
			if (message.size() < session().message_size)
				message.resize(session().message_size);
			return send(std::span(message).first(session().message_size), budget);
		} catch (const std::exception &e) {
			fail_or_lose(internal_error(e.what()));
		} catch (...) {
			fail_or_lose(internal_error("unknown exception"));
		}
	}
}

Transfer::Step Transfer::send(std::span<std::uint8_t> message, unsigned budget)
{
	auto payload = message.subspan(protocol::kReplyHeaderSize);
	for (unsigned sent = 0;; sent++) {
		if (sent == budget) {
			last_sent_usec_ = monotonic_usec();
			return Step::Yield;
		}
		if (lost_)
			return Step::Done;
		if (env_.aborting.load() && !error_)
			fail(shutting_down());
		if (!source_)
			start();
		auto piece = source_->next(payload);
		if (!piece) {
			fail_or_lose(piece.take_error());
			continue;
		}
		// Done before the session is looked at: a client that got its END
		// may close its session (or exit) at once.
		if (piece->done)
			return Step::Done;
		if (session().closed.load()) {
			lost_ = Error{ECANCELED, "session closed"};
			return Step::Done;
		}
		int r = out_.try_send(session().reply, *piece, message);
		if (r == -EAGAIN) {
			if (sent > 0)
				last_sent_usec_ = monotonic_usec();
			return Step::Full;
		}
		if (r < 0) {
			lost_ = Error::from_errno(r, "cannot send to client: " + errno_string(r));
			return Step::Done;
		}
		source_->sent();
		if (error_)
			return Step::Done; // ERROR is the last message
	}
}

void Transfer::finish() noexcept
{
	try {
		RequestRecord rec = record_for(job_);
		if (error_)
			rec.fail(outcome_for_error(error_->code), *error_);
		if (lost_)
			rec.fail(Outcome::Aborted, *lost_);
		rec.bytes = out_.data_bytes();
		end_request(env_.stats, rec, job_.received_usec);
	} catch (...) {
		// Out of memory, most likely: the record is lost, the server goes on.
	}
	job_ = Job{}; // the session is no longer in use by this request
}

} // namespace fileserver
