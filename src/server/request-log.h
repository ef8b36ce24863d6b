// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/wire.h"
#include "util/error.h"

namespace fileserver {

enum class Outcome {
	Ok,
	NotFound,
	Refused,
	Busy,
	Aborted, // the client went away or stopped reading, or shutdown cut it off
	Failed,  // a server-side error
};

std::string_view to_string(Outcome outcome);

// One finished request, as logged. The one place that formats it, so that
// every sink (console, journal, syslog) gets the same fields.
struct RequestRecord {
	protocol::Op op = protocol::Op::Ping;
	std::string_view path;
	std::string_view reply_queue;
	uid_t client_uid = static_cast<uid_t>(-1); // the session's proven uid
	std::uint64_t session_id = 0;              // 0: no session (OPEN, old clients)
	pid_t client_pid = 0;
	std::uint64_t bytes = 0;
	std::uint64_t duration_usec = 0;
	Outcome outcome = Outcome::Ok;
	int error = 0; // errno sent to the client, if any
	std::string detail;

	// Records an ending other than ok.
	void fail(Outcome how, const Error &err)
	{
		outcome = how;
		error = err.code;
		detail = err.why;
	}
};

// The outcome that an ERROR reply with @code stands for (protocol/errors.h).
Outcome outcome_for_error(int code);

// Logs @rec through spdlog, or through the structured logger if one is set.
// Paths and details are escaped (escape_for_terminal): they come from clients.
void log_request(const RequestRecord &rec);

struct ServerStats;
// Where every request ends, on whichever thread ran it: counts it in
// @stats and writes its one log record.
void end_request(ServerStats &stats, RequestRecord &rec, std::uint64_t received_usec);

// A sink that keeps the record's fields apart (the journal does); it gets
// the level, the formatted message and the record.
using StructuredRequestLogger = void (*)(int syslog_priority, const std::string &message,
                                         const RequestRecord &rec);
void set_structured_request_logger(StructuredRequestLogger logger);

} // namespace fileserver
