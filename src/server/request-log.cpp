// SPDX-License-Identifier: MIT
#include "request-log.h"

#include <syslog.h>

#include <atomic>

#include <spdlog/spdlog.h>

#include "protocol/errors.h"
#include "server/serving-context.h"
#include "util/text.h"
#include "util/time-util.h"

namespace fileserver {

std::string_view to_string(Outcome outcome)
{
	switch (outcome) {
	case Outcome::Ok: return "ok";
	case Outcome::NotFound: return "not-found";
	case Outcome::Refused: return "refused";
	case Outcome::Busy: return "busy";
	case Outcome::Aborted: return "aborted";
	case Outcome::Failed: return "failed";
	}
	return "unknown";
}

Outcome outcome_for_error(int code)
{
	switch (protocol::classify_error(static_cast<std::uint32_t>(code))) {
	case protocol::ErrorClass::NotFound: return Outcome::NotFound;
	case protocol::ErrorClass::Refused: return Outcome::Refused;
	case protocol::ErrorClass::Busy: return Outcome::Busy;
	case protocol::ErrorClass::Unavailable: return Outcome::Aborted;
	case protocol::ErrorClass::Failed: return Outcome::Failed;
	}
	return Outcome::Failed;
}

namespace {
std::atomic<StructuredRequestLogger> g_structured{nullptr};
}

void set_structured_request_logger(StructuredRequestLogger logger)
{
	g_structured.store(logger);
}

void log_request(const RequestRecord &rec)
{
	bool warn = rec.outcome == Outcome::Aborted || rec.outcome == Outcome::Failed;
	auto level = warn ? spdlog::level::warn : spdlog::level::info;
	if (!spdlog::should_log(level))
		return;
	long uid = rec.client_uid == static_cast<uid_t>(-1) ? -1L : static_cast<long>(rec.client_uid);
	std::string msg = fmt::format(
	        "{} \"{}\" uid={} outcome={} bytes={} duration={:.3f}ms{}{}{}", protocol::to_string(rec.op),
	        escape_for_terminal(rec.path), uid, to_string(rec.outcome), rec.bytes,
	        static_cast<double>(rec.duration_usec) / 1000.0,
	        rec.session_id ? fmt::format(" session={:016x} pid={}", rec.session_id, rec.client_pid)
	                       : std::string(),
	        rec.detail.empty() ? "" : ": ", escape_for_terminal(rec.detail));
	if (auto structured = g_structured.load())
		structured(warn ? LOG_WARNING : LOG_INFO, msg, rec);
	else
		spdlog::log(level, "{}", msg);
}

void end_request(ServerStats &stats, RequestRecord &rec, std::uint64_t received_usec)
{
	(rec.outcome == Outcome::Ok ? stats.served : stats.failed).fetch_add(1, std::memory_order_relaxed);
	rec.duration_usec = monotonic_usec() - received_usec;
	log_request(rec);
}

} // namespace fileserver
