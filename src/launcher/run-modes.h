// SPDX-License-Identifier: MIT
#pragma once

// fileserverd's run modes; main() picks one. Each returns the exit code.

#include "launcher/cmdline.h"

namespace fileserver {

// Under systemd (sd_notify, socket activation), or in a terminal.
int run_foreground(const DaemonOptions &opts);

// --check-config: loads the configuration, opens the root, prints the
// configuration as JSON.
int run_check_config(const DaemonOptions &opts);

// --daemonize: a SysV daemon as daemon(7) describes it.
int run_daemonized(DaemonOptions opts, char **argv);

// --internal-reexec: a daemon's image after SIGUSR2, which adopts the queue
// and the PID file instead of forking and opening them.
int run_reexecuted(DaemonOptions opts, const char *argv0);

} // namespace fileserver
