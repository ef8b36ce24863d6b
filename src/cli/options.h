// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's command line, parsed into a struct; anything unusable
// throws UsageError (util/error.h), which main() reports with status 2.

#include <cstdint>
#include <string>
#include <vector>

#include "client/exchange.h"
#include "protocol/wire.h"

namespace fileserver::cli {

extern const char *const kUsage;

struct GetOptions {
	std::string output; // empty: standard output; "-" too
	std::uint64_t offset = 0;
	std::uint64_t length = protocol::kToEnd;
	bool quiet = false;
};

struct Options {
	ClientOptions client;
	bool json = false;
	bool help = false;    // --help: nothing else was checked
	bool version = false; // --version: likewise
	std::string command;  // "get", "stat", "ls", "ping" or "status"
	std::string path;     // the operand of get, stat and ls ("" for ls: the root)
	GetOptions get;
};

// @env_queue: $FILESERVER_QUEUE, or null. Uses getopt (not reentrant).
Options parse_options(int argc, char **argv, const char *env_queue);

} // namespace fileserver::cli
