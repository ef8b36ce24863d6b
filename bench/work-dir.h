// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fileserver::bench {

struct Options;

// The files of one run, all below one directory made for it.
struct WorkDir {
	std::string top;  // everything lives here
	std::string root; // the served root
	std::string large_name = "large.bin";
	std::string stall_name = "stall.bin"; // what the stalled clients GET (stalled phase)
	std::vector<std::string> small_names; // relative to root
	std::string config;
	std::string notify_path;
	std::string log_path;
};

// Creates the directory under o.dir and the files the phases asked for need.
WorkDir make_work_dir(const Options &o);

// The size of stall_name: the stalled clients stop in the middle of it.
inline constexpr std::uint64_t kStallFileSize = 10 << 20;

// @w for a second daemon: its configuration, log and notify socket named
// with @tag, the served files the same.
WorkDir with_daemon_files(const WorkDir &w, const std::string &tag);

// Reads the file once, so that the measured runs find it in the page cache.
void warm_page_cache(const std::string &path);

} // namespace fileserver::bench
