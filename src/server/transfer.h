// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>

#include "server/reply-stream.h"
#include "server/request-log.h"
#include "server/serving-context.h"
#include "server/worker-pool.h"
#include "util/error.h"

namespace fileserver {

// Serves one request of a session on a worker thread, in the session's
// reply queue: checks the server's state, runs the
// operation, turns its error into the ERROR reply, and ends the request
// (statistics and its one log record). Nothing a request holds ends the
// server: an exception fails that request only (ERROR EIO if still possible).
class Transfer
{
public:
	// @status: the server's statistics as a JSON object, for STATUS.
	using StatusSource = std::function<std::string()>;

	Transfer(const WorkerPool &pool, ServerStats &stats, StatusSource status)
	        : pool_(pool), stats_(stats), status_(std::move(status))
	{}
	void serve(Job &job);

private:
	Result<void> run(ReplyStream &out, const Job &job);

	const WorkerPool &pool_;
	ServerStats &stats_;
	StatusSource status_;
};

// The log record of @job, with its session's proven uid, id and pid.
RequestRecord record_for(const Job &job);

} // namespace fileserver
