// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "util/user-groups.h"

using namespace fileserver;

TEST_CASE("user_groups lists a user's groups, its primary group included")
{
	std::vector<gid_t> groups;
	REQUIRE(user_groups("root", 0, groups) == 0);
	CHECK(std::find(groups.begin(), groups.end(), 0u) != groups.end());

	// A primary group that no entry lists is still there.
	std::vector<gid_t> other;
	REQUIRE(user_groups("root", 4242420, other) == 0);
	CHECK(std::find(other.begin(), other.end(), 4242420u) != other.end());

	// An unknown user has only the primary group it is given.
	std::vector<gid_t> none;
	REQUIRE(user_groups("fstest-no-such-user", 4242421, none) == 0);
	CHECK(none == std::vector<gid_t>{4242421});
}
