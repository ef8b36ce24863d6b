// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace fileserver {

// Who the daemon becomes with --user/--group.
struct Credentials {
	std::string user;
	uid_t uid = 0;
	gid_t gid = 0;
	std::vector<gid_t> groups; // supplementary groups, as initgroups(3) would set them
};

// Looks up @user (a name, or a numeric uid) and @group (empty: @user's
// primary group) through NSS, and @user's supplementary groups. Resolving is
// split from switching so that it happens before a chroot, where
// /etc/passwd and NSS modules may be out of reach. Throws StartupError:
// kExitNotConfigured for an unknown user or group.
Credentials resolve_credentials(const std::string &user, const std::string &group);

// Becomes @c for good: supplementary groups (what initgroups(3) does with
// the list resolved above), then setgid, then setuid, in that order; then
// checks every real, effective and saved id and the group list, and that
// getting root back fails. Throws StartupError (kExitPermission when not
// allowed to switch, kExitFailure when a check fails).
void drop_privileges(const Credentials &c);

// True when every id of this process already is @c's (e.g. after a
// re-exec), so that there is nothing to drop.
bool has_credentials(const Credentials &c);

} // namespace fileserver
