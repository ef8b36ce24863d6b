// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace fileserver::bench {

// The whole file, or what could be read of it ("" if nothing).
std::string read_text(const std::string &path);

// Replaces the file's contents; dies if it cannot.
void write_text(const std::string &path, const std::string &text);

} // namespace fileserver::bench
