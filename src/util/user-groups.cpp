// SPDX-License-Identifier: MIT
#include "user-groups.h"

#include <grp.h>

#include <cerrno>

namespace fileserver {

int user_groups(const char *user, gid_t primary, std::vector<gid_t> &out)
{
	int n = 32;
	std::vector<gid_t> groups;
	for (;;) {
		groups.resize(static_cast<std::size_t>(n));
		int want = n;
		if (getgrouplist(user, primary, groups.data(), &want) >= 0) {
			groups.resize(static_cast<std::size_t>(want));
			out = std::move(groups);
			return 0;
		}
		// glibc reports the needed size in @want; anything else is a failure.
		if (want <= n || want > 65536)
			return -ENOENT;
		n = want;
	}
}

} // namespace fileserver
