// SPDX-License-Identifier: MIT
#include "report-format.h"

#include <cstdio>

namespace fileserver::bench {

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

std::string latencies(const nlohmann::json &level)
{
	return format_num("%.0f", level["p50_usec"]) + format_num(" / %.0f", level["p99_usec"]) +
	       format_num(" / %.0f us", level.value("p999_usec", 0.0));
}

void print_row(const std::string &what, const std::string &value, const std::string &target,
               const std::string &status)
{
	std::printf("  %-44s %-22s %-14s %s\n", what.c_str(), value.c_str(), target.c_str(), status.c_str());
}

} // namespace fileserver::bench
