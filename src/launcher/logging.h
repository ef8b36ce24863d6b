// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver {

// Sends the default logger to stderr: colours and short times on a
// terminal, full timestamps otherwise.
void setup_console_logging();

// Applies a level name from the configuration ("warning", "info", ...).
void set_log_level(const std::string &level);

} // namespace fileserver
