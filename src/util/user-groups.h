// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <vector>

namespace fileserver {

// The groups of user @user (getgrouplist: @primary included), or -errno
// (-ENOENT when the list cannot be had). Fills @out on success.
int user_groups(const char *user, gid_t primary, std::vector<gid_t> &out);

} // namespace fileserver
