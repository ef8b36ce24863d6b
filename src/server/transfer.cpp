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

// The checks before any operation, then the operation.
Result<void> Transfer::run(ReplyStream &out, const Job &job, long message_size)
{
	if (message_size < static_cast<long>(protocol::kMinReplyMessageSize))
		return Error{EMSGSIZE, "reply queue messages too small (" + std::to_string(message_size) +
		                               " bytes, at least " +
		                               std::to_string(protocol::kMinReplyMessageSize) + " needed)"};
	if (job.reply_stat.st_mode & (S_IRGRP | S_IROTH)) // anyone else who can read it could read the file
		return Error{EACCES, "reply queue is readable by group or others"};
	if (pool_.aborting())
		return shutting_down();
	OpRequest op{job.request, *job.context, job.reply_stat.st_uid, stats_};
	switch (job.request.op) {
	case protocol::Op::Ping: return serve_ping(out);
	case protocol::Op::Status: return serve_status(out, status_());
	case protocol::Op::Stat: return serve_stat(out, op);
	case protocol::Op::Get: return serve_get(out, op);
	case protocol::Op::List: return serve_list(out, op);
	}
	return Error{EINVAL, "unknown operation"};
}

void Transfer::serve(Job &job)
{
	const protocol::Request &req = job.request;
	RequestRecord rec;
	rec.op = req.op;
	rec.path = req.path;
	rec.reply_queue = req.reply_queue;
	rec.client_uid = job.reply_stat.st_uid;

	struct mq_attr attr;
	int a = job.reply.attributes(attr);
	if (a < 0) {
		rec.fail(Outcome::Aborted, Error::from_errno(a, "cannot use reply queue " + req.reply_queue +
		                                                        ": " + errno_string(a)));
		end_request(stats_, rec, job.received_usec);
		return;
	}
	ReplyStream out(job.reply, req, static_cast<std::size_t>(attr.mq_msgsize),
	                job.context->config.send_timeout, [this] { return pool_.aborting(); });
	Result<void> result;
	try {
		result = run(out, job, attr.mq_msgsize);
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
