// SPDX-License-Identifier: MIT
#include "report.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace fileserver::bench {

namespace {

using nlohmann::json;

std::string format_num(const char *format, double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), format, v);
	return buf;
}

std::string human_rate(double bytes_per_sec)
{
	return format_num("%.2f GB/s", bytes_per_sec / 1e9);
}

std::string mib(long kib)
{
	return format_num("%.2f MiB", static_cast<double>(kib) / 1024);
}

std::string clients_text(int c)
{
	return std::to_string(c) + (c == 1 ? " client" : " clients");
}

std::string verdict(bool met)
{
	return met ? "met" : "MISSED";
}

void print_row(const std::string &what, const std::string &value, const std::string &target = "",
               const std::string &status = "")
{
	std::printf("  %-44s %-22s %-14s %s\n", what.c_str(), value.c_str(), target.c_str(), status.c_str());
}

void print_header(const json &r)
{
	const json &m = r["machine"];
	std::printf("\nfileserver-bench%s\n",
	            r["smoke"].get<bool>() ? " (SMOKE RUN: tiny sizes, numbers mean nothing)" : "");
	std::printf("machine: %u CPUs, %s at %s MHz%s, %s\n", m["nproc"].get<unsigned>(),
	            m["cpu_model"].get<std::string>().c_str(), m["cpu_mhz"].get<std::string>().c_str(),
	            m["virtual_machine"].get<bool>() ? " (virtual machine)" : "",
	            m["kernel"].get<std::string>().c_str());
	std::printf("mqueue: msgsize_max %ld, msg_max %ld, RLIMIT_MSGQUEUE %ld%s; build: %s\n",
	            m["mqueue_msgsize_max"].get<long>(), m["mqueue_msg_max"].get<long>(),
	            m["rlimit_msgqueue"].get<long>(),
	            r["ipc_namespace"].get<bool>() ? " (private IPC namespace)" : "",
	            m["build"].get<std::string>().c_str());
	std::printf("load average (1 min) at start: %.2f; other load on the machine skews rates, not CPU per "
	            "request\n",
	            r["loadavg_1min_at_start"].get<double>());
	std::printf("server: fileserverd, workers %s, log level %s%s; clients (a process each) run as uid "
	            "%ld\n\n",
	            r["workers"].get<std::string>().c_str(), r["log_level"].get<std::string>().c_str(),
	            r["log_level"] == "info" || r["log_level"] == "debug" || r["log_level"] == "trace"
	                    ? ""
	                    : " (per-request info logging OFF)",
	            r["uid"].get<long>());
}

void print_start_and_reload(const json &r)
{
	if (r.contains("start")) {
		const json &s = r["start"];
		print_row("start to READY=1 (median of " + std::to_string(s["runs"].get<int>()) + ")",
		          format_num("%.1f ms", s["median_ms"]) + format_num(" (max %.1f)", s["max_ms"]));
		print_row("first PING after READY", format_num("%.0f us", s["first_ping_usec"]));
	}
	if (r.contains("memory")) {
		long idle = r["memory"]["idle_rss_kib"];
		print_row("RSS idle", mib(idle), "<= 8 MiB", verdict(idle <= 8 * 1024));
	}
	if (r.contains("reload")) {
		const json &s = r["reload"];
		print_row("reload: SIGHUP to READY=1 (median of " + std::to_string(s["runs"].get<int>()) +
		                  ")",
		          format_num("%.2f ms", s["median_ms"]) + format_num(" (max %.2f)", s["max_ms"]));
	}
}

void print_large(const json &l)
{
	std::string size =
	        format_num("%.0f MiB", static_cast<double>(l["size_bytes"].get<std::uint64_t>()) / 1048576);
	std::string q = std::to_string(l["queue_depth"].get<long>()) + " x " +
	                std::to_string(l["message_size"].get<long>()) + " B";
	print_row("large file " + size + ", client (median of " + std::to_string(l["runs"].get<int>()) + ")",
	          human_rate(l["client_median"]));
	print_row("mqueue ceiling, " + q, human_rate(l["ceiling_median"]));
	double ratio = l["ratio"];
	print_row("  client / ceiling (medians)", format_num("%.1f %%", ratio * 100), ">= 90 %",
	          verdict(ratio >= 0.9));
	print_row("  client / ceiling (best runs)",
	          format_num("%.1f %%", l["ratio_of_best"].get<double>() * 100) + " (" +
	                  human_rate(l["client_best"]) + " / " + human_rate(l["ceiling_best"]) + ")");
	print_row("  CPU s/GiB: daemon + client / ceiling",
	          format_num("%.2f", l["daemon_cpu_sec_per_gib"]) +
	                  format_num(" + %.2f", l["client_cpu_sec_per_gib"]) +
	                  format_num(" / %.2f", l["ceiling_cpu_sec_per_gib"]));
	print_row("  RSS peak during large GETs", mib(l["daemon_peak_rss_kib"].get<long>()));
}

void print_small_level(const json &s, std::uint64_t small_size)
{
	int c = s["clients"];
	double rps = s["requests_per_sec"];
	std::string target, status;
	if (c == 1 || c == 8) {
		double want = c == 1 ? 30000 : 80000;
		target = format_num(">= %.0f/s", want);
		status = verdict(rps >= want);
	}
	print_row("small " + std::to_string(small_size) + " B GETs, " + clients_text(c),
	          format_num("%.0f req/s", rps), target, status);
	double p99 = s["p99_usec"];
	print_row("  p50 / p99 latency", format_num("%.0f us", s["p50_usec"]) + format_num(" / %.0f us", p99),
	          "p99 <= 1 ms", verdict(p99 <= 1000));
	print_row("  CPU per request: daemon / clients",
	          format_num("%.1f us", s["daemon_cpu_usec_per_request"]) +
	                  format_num(" / %.1f us", s["client_cpu_usec_per_request"]));
	print_row("  context switches per request: daemon / clients",
	          format_num("%.2f", s["daemon_context_switches_per_request"]) +
	                  format_num(" / %.2f", s["client_context_switches_per_request"]));
	if (s["failed"].get<std::uint64_t>() > 0)
		print_row("  FAILED requests", std::to_string(s["failed"].get<std::uint64_t>()) + ": " +
		                                       s.value("first_error", std::string()));
	print_row("  RSS peak", mib(s["daemon_peak_rss_kib"].get<long>()));
}

// The floor measured with a kept reply queue and as many clients as @s,
// the one that a session's cost compares with; null if none.
const json *kept_floor(const json &r, const json &s)
{
	if (r.contains("floor"))
		for (const json &f : r["floor"])
			if (f["persistent_reply_queue"].get<bool>() && f["clients"] == s["clients"])
				return &f;
	return nullptr;
}

void print_beside_floor(const json &s, const json *floor)
{
	if (!floor)
		return;
	double rps = (*floor)["requests_per_sec"], ours = s["requests_per_sec"];
	print_row("  minimal server, reply queue kept",
	          format_num("%.0f req/s", rps) +
	                  format_num(" (fileserverd %.0f %%)", rps > 0 ? ours / rps * 100 : 0));
}

void print_floor_level(const json &s)
{
	bool kept = s["persistent_reply_queue"];
	print_row(std::string(kept ? "  same, reply queue kept, " : "floor: minimal server, ") +
	                  clients_text(s["clients"]),
	          format_num("%.0f req/s", s["requests_per_sec"]) +
	                  format_num(", p99 %.0f us", s["p99_usec"]));
}

} // namespace

void print_report(const json &r)
{
	print_header(r);
	print_row("metric", "value", "target", "status");
	print_start_and_reload(r);
	if (r.contains("large"))
		print_large(r["large"]);
	if (r.contains("small"))
		for (const json &s : r["small"]) {
			print_small_level(s, r["small_size"].get<std::uint64_t>());
			print_beside_floor(s, kept_floor(r, s));
		}
	if (r.contains("floor"))
		for (const json &s : r["floor"])
			print_floor_level(s);
	if (r.contains("memory"))
		print_row("RSS high-water mark (VmHWM) at the end",
		          mib(r["memory"]["final_hwm_kib"].get<long>()));
	std::printf("\n");
}

} // namespace fileserver::bench
