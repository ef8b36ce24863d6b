// SPDX-License-Identifier: MIT
#pragma once

// fileserverctl's commands: one request each, its result on standard
// output, messages on standard error (escaped, see cli/format.h).

#include <string>

#include "cli/exit-status.h"
#include "cli/options.h"
#include "client/client.h"

namespace fileserver::cli {

// Runs @o's command against @client; returns the exit status.
ExitStatus run_command(const Client &client, const Options &o);

// "fileserverctl: WHAT: WHY" on standard error, both escaped; returns
// exit_status(@error).
ExitStatus report(const Error &error, const std::string &what);

// Runs @o's command with a new Client, the signal handlers that remove its
// temporary names, and a warning for dropped foreign messages.
int run(const Options &o);

} // namespace fileserver::cli
