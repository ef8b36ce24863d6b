// SPDX-License-Identifier: MIT
#pragma once

// fileserverd's exit codes, and the exception that start-up code in
// launcher/ throws to end with one of them. They belong to the launcher:
// the server library reports what went wrong, the launcher picks the code.

#include <stdexcept>
#include <string>

namespace fileserver {

// LSB init-script style, so that systemd names them (see fileserverd(8)).
enum ExitCode : int {
	kExitSuccess = 0,
	kExitFailure = 1,       // any other start-up or runtime failure
	kExitUsage = 2,         // invalid command line
	kExitPermission = 4,    // the queue is not ours or is readable by others
	kExitNotConfigured = 6, // the configuration is invalid or unreadable
};

// A start-up failure, with the exit code it maps to; main() and the run
// modes catch it, log it once and exit with code().
class StartupError : public std::runtime_error
{
public:
	StartupError(int code, const std::string &what) : std::runtime_error(what), code_(code) {}
	[[nodiscard]] int code() const { return code_; }

private:
	int code_;
};

} // namespace fileserver
