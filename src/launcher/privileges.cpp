// SPDX-License-Identifier: MIT
#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

#include "launcher/exit-codes.h"
#include "util/errno-util.h"
#include "util/user-groups.h"

namespace fileserver {

namespace {

std::optional<unsigned long> as_number(const std::string &s)
{
	unsigned long v = 0;
	auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || ptr != s.data() + s.size() || s.empty())
		return std::nullopt;
	return v;
}

// getpwnam_r/getgrnam_r with a buffer that grows on ERANGE. Returns 0,
// -ENOENT for an unknown name, or -errno for a lookup failure.
template<typename Entry, typename Key, typename Fn>
int lookup(Fn fn, Key key, Entry &entry, std::vector<char> &buf)
{
	buf.resize(1024);
	for (;;) {
		Entry *result = nullptr;
		int r = fn(key, &entry, buf.data(), buf.size(), &result);
		if (r == ERANGE && buf.size() < (1u << 20)) {
			buf.resize(buf.size() * 2);
			continue;
		}
		if (r == 0 && !result)
			return -ENOENT;
		return r == 0 ? 0 : -r;
	}
}

std::vector<gid_t> sorted(std::vector<gid_t> v)
{
	std::sort(v.begin(), v.end());
	v.erase(std::unique(v.begin(), v.end()), v.end());
	return v;
}

std::vector<gid_t> current_groups()
{
	int n = getgroups(0, nullptr);
	if (n < 0)
		throw_errno(errno, "getgroups");
	std::vector<gid_t> v(static_cast<std::size_t>(n));
	n = getgroups(n, v.data());
	if (n < 0)
		throw_errno(errno, "getgroups");
	v.resize(static_cast<std::size_t>(n));
	return v;
}

} // namespace

Credentials resolve_credentials(const std::string &user, const std::string &group)
{
	Credentials c;
	struct passwd pw;
	std::vector<char> pwbuf;
	int r = lookup(getpwnam_r, user.c_str(), pw, pwbuf);
	if (r == -ENOENT)
		if (auto uid = as_number(user))
			r = lookup(getpwuid_r, static_cast<uid_t>(*uid), pw, pwbuf);
	if (r == -ENOENT)
		throw StartupError(kExitNotConfigured, "unknown user '" + user + "'");
	if (r < 0)
		throw StartupError(kExitFailure, "cannot look up user '" + user + "': " + errno_string(r));
	c.user = pw.pw_name;
	c.uid = pw.pw_uid;
	c.gid = pw.pw_gid;

	if (!group.empty()) {
		struct group gr;
		std::vector<char> grbuf;
		r = lookup(getgrnam_r, group.c_str(), gr, grbuf);
		if (r == -ENOENT)
			if (auto gid = as_number(group))
				r = lookup(getgrgid_r, static_cast<gid_t>(*gid), gr, grbuf);
		if (r == -ENOENT)
			throw StartupError(kExitNotConfigured, "unknown group '" + group + "'");
		if (r < 0)
			throw StartupError(kExitFailure,
			                   "cannot look up group '" + group + "': " + errno_string(r));
		c.gid = gr.gr_gid;
	}

	// What initgroups(user, gid) would install: @gid plus every group that
	// lists the user.
	std::vector<gid_t> groups;
	if (user_groups(c.user.c_str(), c.gid, groups) < 0)
		throw StartupError(kExitFailure, "cannot list the groups of user '" + c.user + "'");
	c.groups = sorted(std::move(groups));
	return c;
}

bool has_credentials(const Credentials &c)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return false;
	if (ru != c.uid || eu != c.uid || su != c.uid || rg != c.gid || eg != c.gid || sg != c.gid)
		return false;
	return sorted(current_groups()) == c.groups;
}

void drop_privileges(const Credentials &c)
{
	auto fail = [&c](int err, const char *call) {
		throw StartupError(err == EPERM ? kExitPermission : kExitFailure,
		                   std::string("cannot switch to user ") + c.user + ": " + call + ": " +
		                           errno_string(err));
	};
	if (setgroups(c.groups.size(), c.groups.data()) < 0)
		fail(errno, "setgroups");
	if (setgid(c.gid) < 0)
		fail(errno, "setgid");
	if (setuid(c.uid) < 0)
		fail(errno, "setuid");

	// setuid() from root to another user sets all three ids; check that
	// it did, and that nothing lets us back.
	if (!has_credentials(c))
		throw StartupError(kExitFailure,
		                   "switching to user " + c.user + " left some user or group ids behind");
	if (c.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		throw StartupError(kExitFailure, "could get root back after switching to user " + c.user);
	if (c.gid != 0 && c.uid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		throw StartupError(kExitFailure,
		                   "could get group root back after switching to user " + c.user);
}

} // namespace fileserver
