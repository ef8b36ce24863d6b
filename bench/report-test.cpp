// SPDX-License-Identifier: MIT
#include "report.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "util/unique-fd.h"

using namespace fileserver;
using namespace fileserver::bench;
using nlohmann::json;

namespace {

// What print_report() writes to stdout.
std::string printed(const json &r)
{
	std::fflush(stdout);
	FILE *tmp = std::tmpfile();
	REQUIRE(tmp);
	UniqueFD saved(dup(STDOUT_FILENO));
	dup2(fileno(tmp), STDOUT_FILENO);
	print_report(r);
	std::fflush(stdout);
	dup2(saved.get(), STDOUT_FILENO);
	std::string out;
	std::rewind(tmp);
	for (int c; (c = std::fgetc(tmp)) != EOF;)
		out += static_cast<char>(c);
	std::fclose(tmp);
	return out;
}

json minimal_report()
{
	return {{"smoke", true},
	        {"machine",
	         {{"nproc", 2},
	          {"cpu_model", "CPU"},
	          {"cpu_mhz", "1000"},
	          {"virtual_machine", false},
	          {"kernel", "Linux"},
	          {"mqueue_msgsize_max", 8192},
	          {"mqueue_msg_max", 10},
	          {"rlimit_msgqueue", 819200},
	          {"build", "plain"}}},
	        {"ipc_namespace", false},
	        {"loadavg_1min_at_start", 0.5},
	        {"workers", "default (4)"},
	        {"log_level", "warning"},
	        {"uid", 1000},
	        {"small_size", 4096}};
}

} // namespace

TEST_CASE("bench report: targets met or missed, failures shown")
{
	json r = minimal_report();
	r["memory"] = {{"idle_rss_kib", 4096}, {"final_hwm_kib", 5120}};
	r["small"] = json::array({{{"clients", 1},
	                           {"requests_per_sec", 31000.0},
	                           {"p50_usec", 20.0},
	                           {"p99_usec", 2000.0},
	                           {"daemon_cpu_usec_per_request", 10.0},
	                           {"client_cpu_usec_per_request", 5.0},
	                           {"daemon_context_switches_per_request", 1.0},
	                           {"client_context_switches_per_request", 1.0},
	                           {"failed", 2},
	                           {"first_error", "short read"},
	                           {"daemon_peak_rss_kib", 4608}}});
	std::string out = printed(r);
	CHECK(out.find("SMOKE RUN") != std::string::npos);
	CHECK(out.find("  RSS idle                                     4.00 MiB               <= 8 MiB       "
	               "met\n") != std::string::npos);
	CHECK(out.find("small 4096 B GETs, 1 client                  31000 req/s            >= 30000/s     "
	               "met") != std::string::npos);
	CHECK(out.find("p99 <= 1 ms    MISSED") != std::string::npos);
	CHECK(out.find("FAILED requests                            2: short read") != std::string::npos);
	CHECK(out.find("RSS high-water mark (VmHWM) at the end       5.00 MiB") != std::string::npos);
	CHECK(out.find("minimal server, reply queue kept") == std::string::npos);
}

TEST_CASE("bench report: fileserverd beside the minimal server with kept reply queues")
{
	json r = minimal_report();
	r["small"] = json::array({{{"clients", 2},
	                           {"requests_per_sec", 20000.0},
	                           {"p50_usec", 20.0},
	                           {"p99_usec", 200.0},
	                           {"daemon_cpu_usec_per_request", 10.0},
	                           {"client_cpu_usec_per_request", 5.0},
	                           {"daemon_context_switches_per_request", 1.0},
	                           {"client_context_switches_per_request", 1.0},
	                           {"failed", 0},
	                           {"daemon_peak_rss_kib", 4608}}});
	auto floor = [](bool kept, double rps) {
		return json{{"clients", 2},
		            {"persistent_reply_queue", kept},
		            {"requests_per_sec", rps},
		            {"p99_usec", 100.0}};
	};
	r["floor"] = json::array({floor(false, 30000.0), floor(true, 40000.0)});
	std::string out = printed(r);
	CHECK(out.find("  minimal server, reply queue kept           40000 req/s (fileserverd 50 %)") !=
	      std::string::npos);
	CHECK(out.find("floor: minimal server, 2 clients") != std::string::npos);
	CHECK(out.find("same, reply queue kept, 2 clients") != std::string::npos);
}
