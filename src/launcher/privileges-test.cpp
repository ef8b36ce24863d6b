// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "launcher/exit-codes.h"
#include "launcher/privileges.h"

using namespace fileserver;

namespace {

int startup_error_code(const std::string &user, const std::string &group, std::string *what = nullptr)
{
	try {
		resolve_credentials(user, group);
	} catch (const StartupError &e) {
		if (what)
			*what = e.what();
		return e.code();
	}
	return -1;
}

} // namespace

TEST_CASE("resolving users and groups")
{
	Credentials root = resolve_credentials("root", "");
	CHECK(root.user == "root");
	CHECK(root.uid == 0);
	CHECK(root.gid == 0);
	CHECK(std::find(root.groups.begin(), root.groups.end(), 0u) != root.groups.end());
	CHECK(std::is_sorted(root.groups.begin(), root.groups.end()));

	Credentials by_number = resolve_credentials("0", "0");
	CHECK(by_number.user == "root");
	CHECK(by_number.uid == 0);
	CHECK(by_number.gid == 0);

	if (struct passwd *pw = getpwnam("nobody")) {
		Credentials nobody = resolve_credentials("nobody", "");
		CHECK(nobody.uid == pw->pw_uid);
		CHECK(nobody.gid == pw->pw_gid);
		auto &g = nobody.groups;
		CHECK(std::find(g.begin(), g.end(), pw->pw_gid) != g.end());
		// --group replaces the primary group, and joins the list.
		Credentials other = resolve_credentials("nobody", "root");
		CHECK(other.gid == 0);
		CHECK(std::find(other.groups.begin(), other.groups.end(), 0u) != other.groups.end());
	}
}

TEST_CASE("unknown users and groups are configuration errors")
{
	std::string what;
	CHECK(startup_error_code("fstest-no-such-user", "", &what) == kExitNotConfigured);
	CHECK(what == "unknown user 'fstest-no-such-user'");
	CHECK(startup_error_code("root", "fstest-no-such-group", &what) == kExitNotConfigured);
	CHECK(what == "unknown group 'fstest-no-such-group'");
	CHECK(startup_error_code("4000000000", "", &what) == kExitNotConfigured);
}

TEST_CASE("dropping privileges for good")
{
	struct passwd *pw = getpwnam("nobody");
	if (geteuid() != 0 || !pw) {
		MESSAGE("needs root and a 'nobody' user: skipped");
		return;
	}
	Credentials c = resolve_credentials("nobody", "");
	CHECK_FALSE(has_credentials(c));
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		try {
			drop_privileges(c);
		} catch (...) {
			_exit(1);
		}
		if (!has_credentials(c))
			_exit(2);
		if (setuid(0) == 0 || setgid(0) == 0 || setgroups(0, nullptr) == 0)
			_exit(3);
		// Already that user: dropping again is a no-op that still checks.
		try {
			drop_privileges(c);
			_exit(4);
		} catch (const StartupError &e) {
			_exit(e.code() == kExitPermission ? 0 : 5);
		}
	}
	int st = 0;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK(WEXITSTATUS(st) == 0);
}
