// SPDX-License-Identifier: MIT
#pragma once

// Running a program without a shell, as the CLI phase times it: what a
// script's loop would cost, minus the shell.

#include <sys/types.h>

#include <string>
#include <vector>

namespace fileserver::bench {

// Starts @argv (argv[0] searched in PATH if it has no '/') with standard
// input from /dev/null, standard output to @out_path (created or truncated;
// "" for /dev/null) and standard error appended to @err_path. Dies if it
// cannot start.
pid_t start_process(const std::vector<std::string> &argv, const std::string &out_path,
                    const std::string &err_path);

// Waits for @pid: its exit status, or 128 + the signal that killed it.
int wait_process(pid_t pid);

// start_process() then wait_process().
int run_process(const std::vector<std::string> &argv, const std::string &out_path,
                const std::string &err_path);

} // namespace fileserver::bench
