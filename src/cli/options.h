// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's command line, parsed into a struct; anything unusable
// throws UsageError (util/error.h), which main() reports with status 2.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/wire.h"

namespace fileserver::cli {

extern const char *const kUsage;

struct ServerOptions {
	std::string queue = "/fileserver";
	// Longest wait for the request to be accepted and for each reply message.
	std::chrono::milliseconds timeout{10000};
};

struct GetOptions {
	std::string output;     // -o: empty: standard output; "-" too
	std::string output_dir; // -O: each path to DIR/basename; empty: not given
	std::vector<std::string> paths;
	std::uint64_t offset = 0;
	std::uint64_t length = protocol::kToEnd;
	bool quiet = false;
	bool verbose = false;
	bool recursive = false;
	bool resume = false; // --continue
};

struct Options {
	ServerOptions client;
	bool json = false;
	bool help = false;    // --help: nothing else was checked
	bool version = false; // --version: likewise
	std::string command;  // "get", "stat", "ls", "ping" or "status"
	std::string path;     // the (first) operand of get, stat and ls ("" for ls: the root)
	GetOptions get;
};

// @env_queue: $FILESERVER_QUEUE, or null. Uses getopt (not reentrant).
Options parse_options(int argc, char **argv, const char *env_queue);

} // namespace fileserver::cli
