// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/wire.h"

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

// Escapes control characters, quotes and backslashes: client paths are
// untrusted and must not forge log lines or terminal sequences.
std::string printable(std::string_view s);

// One finished request, as logged. The one place that formats it, so that
// every sink (console, journal, syslog) gets the same fields.
struct RequestRecord {
	protocol::Op op = protocol::Op::Ping;
	std::string_view path;
	std::string_view reply_queue;
	uid_t client_uid = static_cast<uid_t>(-1);
	std::uint64_t bytes = 0;
	std::uint64_t duration_usec = 0;
	Outcome outcome = Outcome::Ok;
	int error = 0; // errno sent to the client, if any
	std::string_view detail;
};

// Logs @rec through spdlog, or through the structured logger if one is set.
void log_request(const RequestRecord &rec);

// A sink that keeps the record's fields apart (the journal does); it gets
// the level, the formatted message and the record.
using StructuredRequestLogger = void (*)(int syslog_priority, const std::string &message,
                                         const RequestRecord &rec);
void set_structured_request_logger(StructuredRequestLogger logger);

} // namespace fileserver
