// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace fileserver {

struct DaemonOptions {
	std::string config_path;
	bool config_path_given = false;                      // an explicit --config must exist
	nlohmann::json overrides = nlohmann::json::object(); // same keys as the file
	bool check_config = false;
	bool show_help = false;
	bool show_version = false;

	// --daemonize: the SysV double-fork mode; the options below need it.
	bool daemonize = false;
	std::string pidfile;
	std::string user;
	std::string group; // needs user
	mode_t umask = 0;
	std::string chroot_dir;
	unsigned startup_timeout_sec = 60; // how long the launching process waits
	// Internal: this image was re-executed in place by a daemon (SIGUSR2)
	// and adopts its descriptors instead of forking. Not in --help.
	bool reexec = false;
};

// Parses fileserverd's command line; throws UsageError.
DaemonOptions parse_daemon_cmdline(int argc, char **argv);

// The arguments (without argv[0]) that parse back to @o: what a daemon
// re-executes itself with, with paths already made absolute.
std::vector<std::string> daemon_cmdline_args(const DaemonOptions &o);

extern const char *const kDaemonUsage;

} // namespace fileserver
