// SPDX-License-Identifier: MIT
#pragma once

// The rows of the printed table and the formats of their values, shared by
// the report's sections (report.cpp, report-stalled.cpp).

#include <string>

#include <nlohmann/json.hpp>

namespace fileserver::bench {

std::string format_num(const char *format, double v);
std::string human_rate(double bytes_per_sec); // "1.97 GB/s"
std::string mib(long kib);                    // "5.74 MiB"
std::string clients_text(int c);              // "1 client", "8 clients"
std::string verdict(bool met);                // "met" or "MISSED"
// "p50 / p99 / p99.9 us" of a level's summary (level_summary()).
std::string latencies(const nlohmann::json &level);

// One row: what, value, target, status, in columns.
void print_row(const std::string &what, const std::string &value, const std::string &target = "",
               const std::string &status = "");

} // namespace fileserver::bench
