// SPDX-License-Identifier: MIT
#include "transfer.h"

#include <cerrno>
#include <exception>

#include "server/operations.h"
#include "server/reply-stream.h"
#include "server/request-log.h"
#include "util/errno-util.h"

namespace fileserver {

namespace {

Error internal_error(const char *what)
{
	return Error{EIO, std::string("internal error: ") + what};
}

} // namespace

// The checks before any operation, then the operation. The reply queue's
// size and mode were checked when the session opened.
Result<void> Transfer::run(ReplyStream &out, const Job &job)
{
	if (pool_.aborting())
		return shutting_down();
	OpRequest op{job.request, *job.context, job.session->uid, stats_};
	switch (job.request.op) {
	case protocol::Op::Ping: return serve_ping(out);
	case protocol::Op::Status: return serve_status(out, status_());
	case protocol::Op::Stat: return serve_stat(out, op);
	case protocol::Op::Get: return serve_get(out, op);
	case protocol::Op::List: return serve_list(out, op);
	case protocol::Op::Open:
	case protocol::Op::Close: break; // the dispatcher's own
	}
	return Error{EINVAL, "unknown operation"};
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

void Transfer::serve(Job &job)
{
	RequestRecord rec = record_for(job);
	ReplyStream out(*job.session, job.request, job.context->config.send_timeout,
	                [this] { return pool_.aborting(); });
	Result<void> result;
	try {
		result = run(out, job);
	} catch (const std::exception &e) {
		result = internal_error(e.what());
	} catch (...) {
		result = internal_error("unknown exception");
	}
	if (!result) {
		const Error &err = result.error();
		if (!out.lost()) {
			// The client learns why, unless it is gone.
			(void)out.send_error(err.code, err.why);
			rec.fail(outcome_for_error(err.code), err);
		}
		if (out.lost())
			rec.fail(Outcome::Aborted, *out.lost());
	}
	rec.bytes = out.data_bytes();
	end_request(stats_, rec, job.received_usec);
}

} // namespace fileserver
