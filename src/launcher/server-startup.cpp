// SPDX-License-Identifier: MIT
#include "server-startup.h"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "launcher/exit-codes.h"
#include "util/errno-util.h"

namespace fileserver {

Server::ConfigLoader make_loader(const DaemonOptions &opts)
{
	return [path = opts.config_path, missing_ok = !opts.config_path_given, overrides = opts.overrides] {
		return make_config(read_config_file(path, missing_ok), overrides);
	};
}

int exit_code_for(StartFailure kind)
{
	switch (kind) {
	case StartFailure::kPermission: return kExitPermission;
	case StartFailure::kNotConfigured: return kExitNotConfigured;
	case StartFailure::kFailure: break;
	}
	return kExitFailure;
}

int exit_code_after(RunEnd end)
{
	switch (end) {
	case RunEnd::kStopped: return kExitSuccess;
	case RunEnd::kTransfersStuck:
		spdlog::critical("Transfers are stuck in system calls; exiting without them");
		std::_Exit(kExitFailure);
	case RunEnd::kReexec:
	case RunEnd::kFailed: break;
	}
	return kExitFailure;
}

std::unique_ptr<SignalPipe> open_signal_pipe(std::initializer_list<int> signals)
{
	std::unique_ptr<SignalPipe> pipe;
	if (int r = SignalPipe::create(signals, pipe); r < 0)
		throw StartupError(kExitFailure, "cannot set up signal handling: " + errno_string(r));
	return pipe;
}

} // namespace fileserver
