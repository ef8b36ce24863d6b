// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace fileserver {

// Writes all of @data, retrying on EINTR and short writes. Returns 0 or -errno.
int write_all(int fd, std::span<const std::uint8_t> data);
int write_all(int fd, std::string_view data);

// Reads a number from a /proc or /sys file; @fallback if it cannot.
long read_proc_long(const char *path, long fallback);

} // namespace fileserver
