// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "server/access-policy.h"

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
	CHECK(path_permitted(p, ""));                   // the root stays listable
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

TEST_CASE("client_bits by mode")
{
	struct stat st = {};
	st.st_mode = S_IFREG | 0754;
	st.st_uid = 1000;
	st.st_gid = 100;
	AccessPolicy p;
	CHECK(client_bits(p, 1000, {}, st) == 4); // world-readable: others' bits, even for the owner
	p.mode = AccessMode::Owner;
	CHECK(client_bits(p, 1000, {}, st) == 7);
	CHECK(client_bits(p, 1001, {100}, st) == 5);
	CHECK(client_bits(p, 1001, {}, st) == 4);
	p.mode = AccessMode::All;
	st.st_mode = S_IFREG;
	CHECK(client_bits(p, 1001, {}, st) == 7);
}

TEST_SUITE_END();
