// SPDX-License-Identifier: MIT
#include "proc-stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "text-file.h"
#include "util/time-util.h"

namespace fileserver::bench {

double now_sec()
{
	return static_cast<double>(monotonic_usec()) / 1e6;
}

long proc_status_kib(pid_t pid, const char *field)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/status");
	std::string line;
	std::string key = std::string(field) + ":";
	while (std::getline(in, line))
		if (line.starts_with(key))
			return std::strtol(line.c_str() + key.size(), nullptr, 10);
	return -1;
}

long proc_thread_count(pid_t pid)
{
	std::error_code ec;
	long n = 0;
	for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/task", ec), end;
	     !ec && it != end; it.increment(ec))
		n++;
	return ec || n == 0 ? -1 : n;
}

double proc_cpu_sec(pid_t pid)
{
	std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
	auto close_paren = stat.rfind(')');
	if (close_paren == std::string::npos)
		return 0;
	std::istringstream in(stat.substr(close_paren + 2));
	std::string field;
	unsigned long utime = 0, stime = 0;
	// Fields 3.. follow the command name; utime and stime are 14 and 15.
	for (int i = 3; i <= 15 && in >> field; i++) {
		if (i == 14)
			utime = std::stoul(field);
		if (i == 15)
			stime = std::stoul(field);
	}
	return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TaskSwitches proc_context_switches(pid_t pid)
{
	TaskSwitches out;
	std::error_code ec;
	for (auto &task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
		std::ifstream in(task.path() / "status");
		std::string line;
		std::uint64_t total = 0;
		while (std::getline(in, line))
			if (line.starts_with("voluntary_ctxt_switches:") ||
			    line.starts_with("nonvoluntary_ctxt_switches:"))
				total += std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
		out[static_cast<pid_t>(std::strtol(task.path().filename().c_str(), nullptr, 10))] = total;
	}
	return out;
}

std::uint64_t context_switches_between(const TaskSwitches &before, const TaskSwitches &after)
{
	std::uint64_t total = 0;
	for (auto [tid, n] : after) {
		auto it = before.find(tid);
		std::uint64_t was = it == before.end() ? 0 : it->second;
		total += n > was ? n - was : 0;
	}
	return total;
}

std::uint64_t self_context_switches()
{
	struct rusage ru = {};
	getrusage(RUSAGE_SELF, &ru);
	return static_cast<std::uint64_t>(ru.ru_nvcsw + ru.ru_nivcsw);
}

double self_cpu_sec()
{
	struct rusage ru = {};
	getrusage(RUSAGE_SELF, &ru);
	return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double load_average()
{
	double l = -1;
	std::ifstream in("/proc/loadavg");
	in >> l;
	return l;
}

RssSampler::RssSampler(pid_t pid) : pid_(pid)
{
	thread_ = std::thread([this] {
		while (!stop_.load()) {
			long kib = proc_status_kib(pid_, "VmRSS");
			if (kib > peak_.load())
				peak_.store(kib);
			long threads = proc_thread_count(pid_);
			if (threads > peak_threads_.load())
				peak_threads_.store(threads);
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
	});
}

long RssSampler::stop()
{
	if (thread_.joinable()) {
		stop_.store(true);
		thread_.join();
	}
	return peak_.load();
}

} // namespace fileserver::bench
