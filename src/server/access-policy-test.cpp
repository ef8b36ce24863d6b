// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "server/access-policy.h"
#include "util/unique-fd.h"

using namespace fileserver;

TEST_SUITE_BEGIN("access-policy");

TEST_CASE("normalize_path drops empty and '.' components")
{
	CHECK(normalize_path("") == "");
	CHECK(normalize_path(".") == "");
	CHECK(normalize_path("a") == "a");
	CHECK(normalize_path("a//b/./c/") == "a/b/c");
	CHECK(normalize_path("./a/.") == "a");
}

TEST_CASE("access modes parse and print")
{
	AccessMode m = AccessMode::All;
	CHECK(parse_access_mode("world-readable", m));
	CHECK(m == AccessMode::WorldReadable);
	CHECK(parse_access_mode("owner", m));
	CHECK(m == AccessMode::Owner);
	CHECK(parse_access_mode("all", m));
	CHECK(m == AccessMode::All);
	CHECK_FALSE(parse_access_mode("World-Readable", m));
	CHECK_FALSE(parse_access_mode("", m));
	CHECK(to_string(AccessMode::Owner) == "owner");
}

TEST_CASE("allow and deny patterns")
{
	AccessPolicy p;
	CHECK(path_permitted(p, "anything/at/all"));
	p.deny = {"*.key", "private/*"};
	CHECK_FALSE(path_permitted(p, "server.key"));
	CHECK_FALSE(path_permitted(p, "deep/dir/server.key")); // '*' matches '/'
	CHECK_FALSE(path_permitted(p, "private/x"));
	CHECK(path_permitted(p, "privateer"));
	CHECK(path_permitted(p, "public/x"));
	p.allow = {"public/*", "README"};
	CHECK(path_permitted(p, "public/x"));
	CHECK(path_permitted(p, "README"));
	CHECK_FALSE(path_permitted(p, "other"));
	CHECK(path_permitted(p, "")); // the root stays listable
	CHECK_FALSE(path_permitted(p, "public/a.key")); // deny wins over allow
}

TEST_CASE("permitted_bits follows owner, group, others; root gets all")
{
	const std::vector<gid_t> groups = {100, 200};
	CHECK(permitted_bits(0, {}, 5, 5, 0000) == 7);
	CHECK(permitted_bits(1000, groups, 1000, 1, 0640) == 6);
	CHECK(permitted_bits(1000, groups, 1000, 200, 0040) == 0); // owner bits apply, not group
	CHECK(permitted_bits(1001, groups, 1000, 200, 0640) == 4);
	CHECK(permitted_bits(1001, groups, 1000, 300, 0640) == 0);
	CHECK(permitted_bits(1001, groups, 1000, 300, 0645) == 5);
}

namespace {

struct Tree {
	std::filesystem::path dir;
	fileserver::UniqueFD root;

	Tree()
	{
		char tmpl[] = "/tmp/fs-access-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl) != nullptr);
		dir = tmpl;
		chmod(tmpl, 0755);
		std::filesystem::create_directories(dir / "open");
		std::filesystem::create_directories(dir / "closed");
		chmod((dir / "open").c_str(), 0755);
		chmod((dir / "closed").c_str(), 0750);
		file("open/public", 0644);
		file("open/private", 0640);
		file("closed/public", 0644);
		root.reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
		REQUIRE(root.valid());
	}
	~Tree() { std::filesystem::remove_all(dir); }

	void file(const char *rel, mode_t mode)
	{
		int fd = open((dir / rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		REQUIRE(fd >= 0);
		close(fd);
		chmod((dir / rel).c_str(), mode);
	}

	int check(const AccessPolicy &p, uid_t uid, const char *rel, AccessNeed need, std::string &why)
	{
		struct stat st;
		REQUIRE(fstatat(root.get(), *rel ? rel : ".", &st, 0) == 0);
		why.clear();
		return check_access(p, root.get(), uid, rel, st, need, why);
	}
};

} // namespace

TEST_CASE("world-readable: the target and every directory on the way")
{
	Tree t;
	AccessPolicy p;
	std::string why;
	CHECK(t.check(p, 0, "open/public", AccessNeed::Read, why) == 0);
	CHECK(t.check(p, 0, "open/private", AccessNeed::Read, why) == -EACCES);
	CHECK_FALSE(why.empty());
	// The file is readable by others, but its directory is not searchable.
	CHECK(t.check(p, 0, "closed/public", AccessNeed::Read, why) == -EACCES);
	CHECK(why.find("closed") != std::string::npos);
	// Metadata needs only the way there.
	CHECK(t.check(p, 0, "open/private", AccessNeed::Inspect, why) == 0);
	CHECK(t.check(p, 0, "open", AccessNeed::List, why) == 0);
	CHECK(t.check(p, 0, "closed", AccessNeed::List, why) == -EACCES);
	CHECK(t.check(p, 0, "", AccessNeed::List, why) == 0);
}

TEST_CASE("owner: by the client uid's mode bits")
{
	Tree t;
	AccessPolicy p;
	p.mode = AccessMode::Owner;
	std::string why;
	const uid_t nobody_like = 64999; // not in the passwd database: others' bits only
	CHECK(t.check(p, 0, "closed/public", AccessNeed::Read, why) == 0);
	CHECK(t.check(p, nobody_like, "open/private", AccessNeed::Read, why) == -EACCES);
	CHECK(why.find(std::to_string(nobody_like)) != std::string::npos);
	CHECK(t.check(p, nobody_like, "closed/public", AccessNeed::Read, why) == -EACCES);
	if (geteuid() != 0)
		return; // the rest needs chown
	REQUIRE(chown((t.dir / "open/private").c_str(), nobody_like, 0) == 0);
	CHECK(t.check(p, nobody_like, "open/private", AccessNeed::Read, why) == 0);
	REQUIRE(chmod((t.dir / "open/private").c_str(), 0040) == 0);
	CHECK(t.check(p, nobody_like, "open/private", AccessNeed::Read, why) == -EACCES);
}

TEST_CASE("all: anything the service reads, but patterns still apply")
{
	Tree t;
	AccessPolicy p;
	p.mode = AccessMode::All;
	std::string why;
	CHECK(t.check(p, 64999, "closed/public", AccessNeed::Read, why) == 0);
	CHECK(t.check(p, 64999, "open/private", AccessNeed::Read, why) == 0);
	p.deny = {"open/*"};
	CHECK(t.check(p, 64999, "open/private", AccessNeed::Read, why) == -EACCES);
	CHECK(t.check(p, 64999, "./open//private", AccessNeed::Read, why) == -EACCES);
	CHECK(why.find("policy") != std::string::npos);
}

TEST_SUITE_END();
