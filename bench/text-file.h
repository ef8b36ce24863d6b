// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver::bench {

// The whole file, or what could be read of it ("" if nothing).
std::string read_text(const std::string &path);

// Everything readable from @fd until end of file or an error.
std::string read_fd(int fd);

// Replaces the file's contents; dies if it cannot.
void write_text(const std::string &path, const std::string &text);

} // namespace fileserver::bench
