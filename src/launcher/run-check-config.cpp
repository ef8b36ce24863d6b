// SPDX-License-Identifier: MIT
// --check-config: is the configuration usable?

#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "launcher/exit-codes.h"
#include "launcher/logging.h"
#include "launcher/run-modes.h"
#include "launcher/server-startup.h"
#include "launcher/systemd-lifecycle.h"

namespace fileserver {

int run_check_config(const DaemonOptions &opts)
{
	Config config;
	std::string shown;
	try {
		config = make_loader(opts)();
		open_root(config.root);
		// A string that is not UTF-8 is shown replaced, not thrown on.
		shown = config_json(config).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
	} catch (const std::exception &e) {
		spdlog::critical("Configuration error: {}", e.what());
		SystemdLifecycle::failed(EINVAL, e.what());
		return kExitNotConfigured;
	}
	set_log_level(config.log_level);
	std::cout << shown << "\n";
	return kExitSuccess;
}

} // namespace fileserver
