// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <system_error>

namespace fileserver {

// Start-up and configuration code throws; hot paths return 0 or -errno
// (see docs/coding-style.md). These helpers bridge the two.

[[noreturn]] inline void throw_errno(int err, const std::string &what)
{
	throw std::system_error(err, std::generic_category(), what);
}

std::string errno_string(int err);

} // namespace fileserver
