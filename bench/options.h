// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fileserver::bench {

struct Options {
	std::string fileserverd = FILESERVER_BENCH_DAEMON;
	bool smoke = false;
	std::uint64_t large_size = 1ULL << 30;
	int large_runs = 5;
	int small_files = 256;
	std::uint64_t small_size = 4096;
	double duration = 5.0;
	// Measurements of each small-file level; with the floor phase and a uid
	// of our own, each is followed at once by the kept-queue floor's.
	int rounds = 3;
	std::vector<int> concurrency{1, 2, 8};
	int starts = 5;
	int reloads = 5;
	int workers = 0; // 0: the daemon's default
	std::string log_level = "warning";
	std::vector<std::string> phases{"start", "reload",  "large",   "small",
	                                "cli",   "stalled", "classic", "floor"};
	// The large phase once more at this message size, in a private IPC
	// namespace (root only); 0: not.
	long large_msgsize = 65536;
	int stalled_clients = 1000;
	int stalled_send_timeout_ms = 10000;
	double stalled_duration = 3.0; // each measurement of the fresh client
	long msgsize = 0;
	long msg_max = 0;
	bool same_uid = false;
	std::string dir = "/var/tmp";
	std::string json_path = "fileserver-bench.json";
	bool keep = false;
};

// Parses the command line; prints the help and exits for --help. Throws
// UsageError (util/error.h), naming the option, for one it cannot use.
Options parse_options(int argc, char **argv);

bool has_phase(const Options &o, std::string_view phase);

} // namespace fileserver::bench
