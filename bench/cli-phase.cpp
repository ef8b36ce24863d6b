// SPDX-License-Identifier: MIT
// The CLI phase: what a script pays per file. N single fetches of the small
// files, each by its own process, three ways in the same run: `fileserverctl
// get PATH -o FILE` against fileserverd, the classic SysV client against the
// classic fork-per-request SysV server (sysv-server.cpp), and `cat` of the
// file itself (the cost of a process that only copies a file); then one
// `fileserverctl get -r DIR -O DEST` of the same N files. Processes are
// started without a shell. The methods take turns within each round, in a
// rotated order, and each figure is the median over the rounds.

#include <signal.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <thread>

#include "daemon.h"
#include "fail.h"
#include "measure-window.h"
#include "options.h"
#include "phases.h"
#include "proc-stats.h"
#include "process-run.h"
#include "sysv-server-process.h"
#include "text-file.h"
#include "work-dir.h"

namespace fileserver::bench {

namespace {

using nlohmann::json;

enum Method {
	kCtl,
	kClassic,
	kCat,
	kMethods
};
constexpr std::array<const char *, kMethods> kMethodNames{"fileserverctl", "sysv_client", "cat"};

struct Setup {
	const Options &o;
	const WorkDir &w;
	const Daemon &d;
	SysvServer sysv;
	std::size_t files;
	std::string out; // where the fetched files go
	std::string err_log;
};

std::vector<std::string> command(const Setup &s, Method m, const std::string &name, const std::string &dest)
{
	switch (m) {
	case kCtl: return {FILESERVER_BENCH_CTL, "-q", s.d.queue, "get", name, "-o", dest};
	case kClassic: return {FILESERVER_BENCH_SYSV_CLIENT, std::to_string(s.sysv.key), name};
	default: return {"cat", s.w.root + "/" + name};
	}
}

// N fetches by @m into a new directory; milliseconds per fetch.
double fetch_loop(const Setup &s, Method m, int round)
{
	std::string dir = s.out + "/" + kMethodNames[m] + "-" + std::to_string(round);
	std::filesystem::create_directory(dir);
	std::vector<std::string> dests;
	for (std::size_t i = 0; i < s.files; i++)
		dests.push_back(dir + "/" + std::to_string(i));
	double t0 = now_sec();
	for (std::size_t i = 0; i < s.files; i++) {
		const std::string &name = s.w.small_names[i];
		bool to_stdout = m != kCtl;
		int st = run_process(command(s, m, name, dests[i]), to_stdout ? dests[i] : "", s.err_log);
		if (st != 0)
			die(std::string(kMethodNames[m]) + " " + name + ": exit status " +
			    std::to_string(st) + ": " + read_text(s.err_log));
	}
	double ms = (now_sec() - t0) * 1000 / static_cast<double>(s.files);
	for (const std::string &dest : dests) {
		struct stat st;
		if (stat(dest.c_str(), &st) < 0 || static_cast<std::uint64_t>(st.st_size) != s.o.small_size)
			die(std::string(kMethodNames[m]) + " wrote " + dest + " short or not at all");
	}
	return ms;
}

// The number of regular files of the small size under @dir.
std::size_t count_fetched(const std::string &dir, std::uint64_t size)
{
	std::size_t n = 0;
	for (const auto &e : std::filesystem::recursive_directory_iterator(dir))
		if (e.is_regular_file() && e.file_size() == size)
			n++;
	return n;
}

// One `get -r` of the small directory: milliseconds in all, or a negative
// exit status when fileserverctl has no such option (usage error, 2).
double get_tree(const Setup &s, int round, std::string &why_unavailable)
{
	std::string dest = s.out + "/get-r-" + std::to_string(round);
	std::filesystem::create_directory(dest);
	std::string err = s.out + "/get-r.err";
	double t0 = now_sec();
	int st = run_process({FILESERVER_BENCH_CTL, "-q", s.d.queue, "get", "-r", "small", "-O", dest}, "",
	                     err);
	double ms = (now_sec() - t0) * 1000;
	std::string text = read_text(err);
	std::filesystem::remove(err);
	if (st == 2) {
		why_unavailable = text.substr(0, text.find('\n'));
		return -2;
	}
	if (st != 0)
		die("fileserverctl get -r: exit status " + std::to_string(st) + ": " + text);
	std::size_t got = count_fetched(dest, s.o.small_size);
	if (got != s.w.small_names.size())
		die("fileserverctl get -r fetched " + std::to_string(got) + " of " +
		    std::to_string(s.w.small_names.size()) + " files");
	return ms;
}

double median_of(std::vector<double> v)
{
	return v.empty() ? 0.0 : percentile(v, 50);
}

} // namespace

json cli_phase(const Options &o, const WorkDir &w, const Daemon &d)
{
	Setup s{o, w, d, {}, w.small_names.size(), w.top + "/cli", w.top + "/cli/stderr.log"};
	if (o.smoke)
		s.files = std::min<std::size_t>(s.files, 8);
	int rounds = o.smoke ? 1 : 3;
	std::filesystem::create_directory(s.out);
	s.sysv = start_sysv_server(w, s.err_log);

	// Once each, untimed: programs and libraries into the page cache.
	for (int m = 0; m < kMethods; m++)
		run_process(command(s, Method(m), w.small_names[0], s.out + "/warm"), s.out + "/warm",
		            s.err_log);

	std::array<std::vector<double>, kMethods> ms;
	std::vector<double> tree_ms;
	std::string why_unavailable;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < kMethods; i++) {
			auto m = Method((i + r) % kMethods);
			ms[m].push_back(fetch_loop(s, m, r));
		}
		if (why_unavailable.empty()) {
			double t = get_tree(s, r, why_unavailable);
			if (t >= 0)
				tree_ms.push_back(t);
		}
	}
	stop_sysv_server(s.sysv);

	json j;
	j["files"] = s.files;
	j["file_size"] = o.small_size;
	j["rounds"] = rounds;
	for (int m = 0; m < kMethods; m++)
		j[std::string(kMethodNames[m]) + "_ms_per_fetch"] = median_of(ms[m]);
	double ctl = j["fileserverctl_ms_per_fetch"], classic = j["sysv_client_ms_per_fetch"];
	j["ratio_fileserverctl_to_classic"] = classic > 0 ? ctl / classic : 0.0;
	json tree;
	tree["files"] = w.small_names.size();
	tree["available"] = why_unavailable.empty();
	if (why_unavailable.empty()) {
		double per_file = median_of(tree_ms) / static_cast<double>(w.small_names.size());
		tree["ms_total"] = median_of(tree_ms);
		tree["ms_per_file"] = per_file;
		j["ratio_loop_to_get_r"] = per_file > 0 ? ctl / per_file : 0.0;
	} else {
		tree["unavailable_because"] = why_unavailable;
	}
	j["get_r"] = tree;
	return j;
}

} // namespace fileserver::bench
