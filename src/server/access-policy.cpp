// SPDX-License-Identifier: MIT
#include "access-policy.h"

#include <fnmatch.h>
#include <pwd.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "util/path-components.h"
#include "util/user-groups.h"

namespace fileserver {

namespace {

std::mutex g_groups_lock;
std::map<uid_t, std::vector<gid_t>> g_groups;

bool matches_any(const std::vector<std::string> &patterns, const std::string &path)
{
	return std::any_of(patterns.begin(), patterns.end(),
	                   [&](const std::string &p) { return fnmatch(p.c_str(), path.c_str(), 0) == 0; });
}

} // namespace

std::string_view to_string(AccessMode mode)
{
	switch (mode) {
	case AccessMode::WorldReadable: return "world-readable";
	case AccessMode::Owner: return "owner";
	case AccessMode::All: return "all";
	}
	return "unknown";
}

bool parse_access_mode(std::string_view text, AccessMode &out)
{
	for (AccessMode m : {AccessMode::WorldReadable, AccessMode::Owner, AccessMode::All}) {
		if (text == to_string(m)) {
			out = m;
			return true;
		}
	}
	return false;
}

std::string normalize_path(std::string_view path)
{
	std::string out;
	for (std::string_view c : path_components(path)) {
		if (c.empty() || c == ".")
			continue;
		if (!out.empty())
			out += '/';
		out += c;
	}
	return out;
}

bool path_permitted(const AccessPolicy &policy, std::string_view normalized)
{
	if (policy.deny.empty() && policy.allow.empty())
		return true; // no pattern: no copy to match against
	std::string p(normalized);
	if (matches_any(policy.deny, p))
		return false;
	// The root itself stays listable: allow patterns name what is in it.
	return policy.allow.empty() || p.empty() || matches_any(policy.allow, p);
}

unsigned permitted_bits(uid_t uid, const std::vector<gid_t> &gids, uid_t owner, gid_t group, mode_t mode)
{
	if (uid == 0)
		return 7;
	if (uid == owner)
		return (mode >> 6) & 7;
	if (std::find(gids.begin(), gids.end(), group) != gids.end())
		return (mode >> 3) & 7;
	return mode & 7;
}

std::vector<gid_t> groups_of(uid_t uid)
{
	{
		std::lock_guard guard(g_groups_lock);
		if (auto it = g_groups.find(uid); it != g_groups.end())
			return it->second;
	}
	std::vector<gid_t> gids;
	struct passwd pw, *found = nullptr;
	std::vector<char> buf(16384);
	if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found &&
	    user_groups(pw.pw_name, pw.pw_gid, gids) < 0)
		gids.assign(1, pw.pw_gid);
	// An unknown uid has no groups: it gets what others get.
	std::lock_guard guard(g_groups_lock);
	g_groups[uid] = gids;
	return gids;
}

void clear_group_cache()
{
	std::lock_guard guard(g_groups_lock);
	g_groups.clear();
}

unsigned client_bits(const AccessPolicy &policy, uid_t uid, const std::vector<gid_t> &gids,
                     const struct stat &st)
{
	switch (policy.mode) {
	case AccessMode::WorldReadable: return st.st_mode & 7;
	case AccessMode::Owner: return permitted_bits(uid, gids, st.st_uid, st.st_gid, st.st_mode);
	case AccessMode::All: return 7;
	}
	return 0;
}

} // namespace fileserver
