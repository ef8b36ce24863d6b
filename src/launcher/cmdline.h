// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace fileserver {

class UsageError : public std::runtime_error
{
public:
	using std::runtime_error::runtime_error;
};

struct DaemonOptions {
	std::string config_path;
	bool config_path_given = false; // an explicit --config must exist
	nlohmann::json overrides = nlohmann::json::object(); // same keys as the file
	bool check_config = false;
	bool show_help = false;
	bool show_version = false;
};

// Parses fileserverd's command line; throws UsageError.
DaemonOptions parse_daemon_cmdline(int argc, char **argv);

extern const char *const kDaemonUsage;

} // namespace fileserver
