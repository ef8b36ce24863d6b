// SPDX-License-Identifier: MIT
#pragma once

// What every run mode needs around a Server: its configuration loader, its
// signal pipe, and the exit codes for how it failed to start or ended. The
// server reports; these pick the exit code (launcher/exit-codes.h).

#include <initializer_list>
#include <memory>

#include "launcher/cmdline.h"
#include "server/server.h"
#include "util/signal-pipe.h"

namespace fileserver {

// The same loader serves start-up and every SIGHUP: file, then command line.
Server::ConfigLoader make_loader(const DaemonOptions &opts);

// The exit code for a server that cannot start.
int exit_code_for(StartFailure kind);

// The exit code after Server::run() ended with @end (kStopped or kFailed).
// With kTransfersStuck it logs and ends the process at once: destroying the
// Server would wait for the threads running those transfers forever.
int exit_code_after(RunEnd end);

// The pipe that Server::run() reads @signals from. Throws StartupError.
std::unique_ptr<SignalPipe> open_signal_pipe(std::initializer_list<int> signals);

} // namespace fileserver
