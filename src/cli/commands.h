// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's commands, over one session: the result on standard
// output, messages on standard error (escaped, see cli/format.h).

#include <string>

#include "cli/exit-status.h"
#include "cli/options.h"
#include "cli/session.h"

namespace fileserver::cli {

// Runs @o's command over @session; returns the exit status.
ExitStatus run_command(Session &session, const Options &o);

// "fileserverctl: WHAT: WHY" on standard error, both escaped; returns
// exit_status(@error).
ExitStatus report(const Error &error, const std::string &what);

// Runs @o's command over a new session, with the signal handlers that
// remove temporary files.
int run(const Options &o);

} // namespace fileserver::cli
