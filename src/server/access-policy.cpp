// SPDX-License-Identifier: MIT
#include "access-policy.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>

#include "util/openat2.h"
#include "util/unique-fd.h"

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
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view c = path.substr(start, end - start);
		if (!c.empty() && c != ".") {
			if (!out.empty())
				out += '/';
			out += c;
		}
		start = end + 1;
	}
	return out;
}

bool path_permitted(const AccessPolicy &policy, std::string_view normalized)
{
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
	if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
		int n = 64;
		for (;;) {
			gids.resize(static_cast<std::size_t>(n));
			int want = n;
			if (getgrouplist(pw.pw_name, pw.pw_gid, gids.data(), &want) >= 0) {
				gids.resize(static_cast<std::size_t>(want));
				break;
			}
			if (want <= n || want > 65536) {
				gids.assign(1, pw.pw_gid);
				break;
			}
			n = want;
		}
	}
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

int check_access(const AccessPolicy &policy, int root_fd, uid_t uid, std::string_view path,
                 const struct stat &target, AccessNeed need, std::string &why)
{
	std::string normalized = normalize_path(path);
	if (!path_permitted(policy, normalized)) {
		why = "refused by the server's access policy";
		return -EACCES;
	}
	if (policy.mode == AccessMode::All)
		return 0;

	std::vector<gid_t> gids;
	if (policy.mode == AccessMode::Owner)
		gids = groups_of(uid);
	auto bits = [&](const struct stat &st) -> unsigned {
		if (policy.mode == AccessMode::WorldReadable)
			return st.st_mode & 7;
		return permitted_bits(uid, gids, st.st_uid, st.st_gid, st.st_mode);
	};

	// Every directory on the way (below the root) must be searchable.
	std::size_t pos = 0;
	while ((pos = normalized.find('/', pos)) != std::string::npos) {
		std::string prefix = normalized.substr(0, pos++);
		int fd = openat2_fd(root_fd, prefix, O_PATH | O_CLOEXEC, 0,
		                    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
		struct stat st;
		UniqueFD dir(fd);
		if (fd < 0 || fstat(fd, &st) < 0 || !(bits(st) & 1)) {
			why = "permission denied by the access policy (directory " + prefix + ")";
			return -EACCES;
		}
	}
	unsigned want = need == AccessNeed::Read ? 4 : need == AccessNeed::List ? 5 : 0;
	if ((bits(target) & want) != want) {
		why = policy.mode == AccessMode::WorldReadable
		              ? "permission denied: not readable by others (access policy world-readable)"
		              : "permission denied for uid " + std::to_string(uid) + " (access policy owner)";
		return -EACCES;
	}
	return 0;
}

} // namespace fileserver
