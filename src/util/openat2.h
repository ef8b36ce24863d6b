// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace fileserver {

// openat2(2) (glibc 2.36 has no wrapper). Returns a descriptor or -errno.
int openat2_fd(int dirfd, const std::string &path, std::uint64_t flags, std::uint64_t mode,
               std::uint64_t resolve);

} // namespace fileserver
