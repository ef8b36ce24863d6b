// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver {

// Sends the default logger to stderr: colours and short times on a
// terminal, full timestamps otherwise.
void setup_console_logging();

// Sends the default logger to syslog(3) (ident "fileserverd", facility
// LOG_DAEMON, with the PID), replacing any other logger: the --daemonize
// mode, whose stderr is /dev/null. The socket is opened at once, so that it
// stays usable after a chroot.
void setup_syslog_logging();

// Applies a level name from the configuration ("warning", "info", ...).
void set_log_level(const std::string &level);

} // namespace fileserver
