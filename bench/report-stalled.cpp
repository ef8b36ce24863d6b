// SPDX-License-Identifier: MIT
#include "report-stalled.h"

#include <algorithm>
#include <string>

#include "measure-window.h"
#include "report-format.h"

namespace fileserver::bench {

namespace {

using nlohmann::json;

std::string count(const json &j, const char *key)
{
	return std::to_string(j.value(key, 0));
}

void print_setup(const json &s)
{
	const json &st = s["stalled"];
	print_row("stalled: " + std::to_string(s["clients"].get<int>()) + " clients stop in 10 MiB GETs",
	          count(st, "stopped_with_data") + " stopped after DATA");
	print_row("  reply queues of the stalled clients", count(st, "reply_queue_depth") + " x " +
	                                                           count(st, "reply_queue_message_size") +
	                                                           " B (small)");
	std::string mt = s["max_transfers"].is_null()
	                         ? "max_transfers unknown to this daemon"
	                         : "max_transfers " + std::to_string(s["max_transfers"].get<int>());
	print_row("  daemon settings", "send_timeout_ms " + std::to_string(s["send_timeout_ms"].get<int>()) +
	                                       ", max_sessions " +
	                                       std::to_string(s["max_sessions"].get<int>()) + ", " + mt);
	print_row("  refused busy / failed / stopped before DATA", count(st, "refused_busy") + " / " +
	                                                                   count(st, "failed") + " / " +
	                                                                   count(st, "stopped_before_data"));
	if (st.contains("first_error"))
		print_row("    first error", st["first_error"].get<std::string>());
	print_row("  from the first fork to all stopped", format_num("%.2f s", s["setup_sec"]));
	if (s.contains("status_stopped")) {
		const json &ss = s["status_stopped"];
		print_row("  STATUS then: busy / parked / waiting",
		          count(ss, "busy") + " / " + (ss.contains("parked") ? count(ss, "parked") : "-") +
		                  " / " + count(ss, "waiting"));
	}
}

// The fresh client alone and beside the stalled clients: issue 14's p99.
void print_fresh(const json &s, std::uint64_t small_size)
{
	const json &alone = s["fresh_alone"], &stalled = s["fresh_stalled"];
	std::string size = std::to_string(small_size) + " B";
	print_row("  fresh " + size + " GETs alone: p50/p99/p99.9", latencies(alone));
	print_row("    rate", format_num("%.0f req/s", alone["requests_per_sec"]));
	std::uint64_t failed = stalled["failed"], done = stalled["requests"];
	double p99 = stalled["p99_usec"];
	print_row("  same, clients stalled: p50/p99/p99.9", done > 0 ? latencies(stalled) : "no request done",
	          "p99 < 5 ms", verdict(failed == 0 && done > 0 && p99 < 5000));
	print_row("    rate", format_num("%.0f req/s", stalled["requests_per_sec"]));
	if (done > 0)
		print_row("    stalled / alone: p99, rate",
		          format_num("%.2f x", ratio(p99, alone["p99_usec"])) +
		                  format_num(", %.2f x",
		                             ratio(stalled["requests_per_sec"], alone["requests_per_sec"])));
	if (failed > 0)
		print_row("    FAILED fresh requests",
		          std::to_string(failed) + ": " + stalled.value("first_error", std::string()));
	if (!s.value("window_before_first_timeout", true))
		print_row("    WARNING: measured past the send timeout", "raise --stalled-send-timeout");
}

void print_resources(const json &s)
{
	const json &t = s["threads"], &m = s["rss"];
	long idle = t["idle"], during = std::max(t["stopped"].get<long>(), t["peak"].get<long>());
	print_row("  daemon threads: idle / stalled (peak)",
	          std::to_string(idle) + " / " + std::to_string(t["stopped"].get<long>()) + " (" +
	                  std::to_string(t["peak"].get<long>()) + ")",
	          "<= idle + 2", verdict(during <= idle + 2));
	long rss = std::max(m["stopped_kib"].get<long>(), m["peak_kib"].get<long>());
	auto in_mib = [](const json &kib) { return format_num("%.2f", kib.get<double>() / 1024); };
	print_row("  daemon RSS MiB: idle / stalled (peak)",
	          in_mib(m["idle_kib"]) + " / " + in_mib(m["stopped_kib"]) + " (" + in_mib(m["peak_kib"]) +
	                  ")",
	          "< 32 MiB", verdict(rss < 32 * 1024));
	print_row("  daemon VmHWM after the phase", mib(m["hwm_kib"]));
}

void print_end(const json &s)
{
	const json &e = s["end"];
	if (e["ended"].get<bool>() && e.contains("sec_after_last_stop"))
		print_row("  stalled transfers ended",
		          format_num("%.2f s after the last", e["sec_after_last_stop"]) +
		                  format_num(" (%.2f s the first)", e["sec_after_first_stop"]));
	else if (e["ended"].get<bool>())
		print_row("  stalled transfers ended", "none had started");
	else
		print_row("  stalled transfers ended", "NOT within 2 send timeouts");
	std::string left = e.contains("status") ? ", " + count(e["status"], "busy") +
	                                                  " (idle: " + count(s["status_idle"], "busy") + ")"
	                                        : "";
	print_row("    STATUS failed since idle, busy at the end",
	          (e.contains("failed_since_idle") ? "+" + count(e, "failed_since_idle") : "unknown") + left);
	const json &k = s["after_kill"];
	print_row("  stalled clients killed; daemon idle after",
	          k["idle_after_sec"].is_null() ? "never" : format_num("%.2f s", k["idle_after_sec"]));
	print_row("    then a fresh client: p50/p99/p99.9", latencies(k["fresh"]));
}

} // namespace

void print_stalled(const json &s, std::uint64_t small_size)
{
	if (s.contains("skipped")) {
		print_row("stalled clients", "skipped", "", s["skipped"].get<std::string>());
		return;
	}
	print_setup(s);
	print_fresh(s, small_size);
	print_resources(s);
	print_end(s);
}

} // namespace fileserver::bench
