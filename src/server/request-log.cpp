// SPDX-License-Identifier: MIT
#include "request-log.h"

#include <syslog.h>

#include <atomic>

#include <spdlog/spdlog.h>

namespace fileserver {

std::string printable(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	std::string out;
	out.reserve(s.size());
	for (unsigned char c : s) {
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '"') {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 15];
		} else {
			out += static_cast<char>(c);
		}
	}
	return out;
}

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
	std::string msg =
	        fmt::format("{} \"{}\" uid={} outcome={} bytes={} duration={:.3f}ms{}{}",
	                    protocol::to_string(rec.op), printable(rec.path), uid, to_string(rec.outcome),
	                    rec.bytes, static_cast<double>(rec.duration_usec) / 1000.0,
	                    rec.detail.empty() ? "" : ": ", printable(rec.detail));
	if (auto structured = g_structured.load())
		structured(warn ? LOG_WARNING : LOG_INFO, msg, rec);
	else
		spdlog::log(level, "{}", msg);
}

} // namespace fileserver
