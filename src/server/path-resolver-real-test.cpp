// SPDX-License-Identifier: MIT
// resolve_real: the real path of what a path names, links resolved, with
// or without the object's descriptor, every directory asked about.
#include <doctest/doctest.h>

#include "server/path-resolver-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;

TEST_SUITE_BEGIN("path-resolver");

TEST_CASE("resolve_real reports the real path, links resolved")
{
	Tree t;
	struct {
		std::string_view path, real;
	} cases[] = {
	        {"", ""},
	        {".", ""},
	        {"file.txt", "file.txt"},
	        {"link", "file.txt"},
	        {"sub/uplink", "file.txt"},
	        {"sublink", "sub"},
	        {"sublink/inner.txt", "sub/inner.txt"},
	        {"./sublink//uplink", "file.txt"},
	};
	for (const auto &c : cases) {
		CAPTURE(c.path);
		auto r = resolve_real(t.root_fd, c.path, {});
		REQUIRE(r.ok());
		CHECK(r->real_path == c.real);
		CHECK((r->parent != nullptr) == (c.real.find('/') != std::string_view::npos));
		CHECK(r->name.empty() == c.real.empty());
		CHECK((fcntl(r->fd.get(), F_GETFL) & O_PATH) != 0);
	}
}

TEST_CASE("resolve_real without the object's descriptor finds the same object, links resolved")
{
	Tree t;
	for (std::string_view path : {"file.txt", "link", "sub/uplink", "sublink", "sublink/inner.txt",
	                              "./sublink//uplink", "sub", "fifo"}) {
		CAPTURE(path);
		auto opened = resolve_real(t.root_fd, path, {});
		auto stated = resolve_real(t.root_fd, path, {}, ObjectFd::None);
		REQUIRE(opened.ok());
		REQUIRE(stated.ok());
		CHECK_FALSE(stated->fd.valid());
		CHECK(stated->real_path == opened->real_path);
		CHECK(stated->name == opened->name);
		CHECK(stated->st.st_ino == opened->st.st_ino);
		CHECK(stated->st.st_dev == opened->st.st_dev);
		CHECK_FALSE(S_ISLNK(stated->st.st_mode));
		CHECK((stated->parent != nullptr) == (opened->parent != nullptr));
	}
	// The same refusals: escapes, loops, dangling links, missing names.
	for (std::string_view path :
	     {"abslink", "climb", "outlink", "loop1", "dangling", "missing", "file.txt/x"}) {
		CAPTURE(path);
		auto opened = resolve_real(t.root_fd, path, {});
		auto stated = resolve_real(t.root_fd, path, {}, ObjectFd::None);
		REQUIRE_FALSE(opened.ok());
		REQUIRE_FALSE(stated.ok());
		CHECK(stated.error().code == opened.error().code);
	}
}

TEST_CASE("resolve_real asks about every directory it searches, by its real path")
{
	Tree t;
	std::vector<std::string> asked;
	SearchCheck record = [&](const struct stat &st, std::string_view dir) -> Result<void> {
		CHECK(S_ISDIR(st.st_mode));
		asked.emplace_back(dir);
		return {};
	};
	REQUIRE(resolve_real(t.root_fd, "sublink/uplink", record).ok());
	// sub, for "uplink"; after the link's "..", file.txt is looked up in the root.
	CHECK(asked == std::vector<std::string>{"sub"});
	asked.clear();
	SearchCheck refuse = [&](const struct stat &, std::string_view dir) -> Result<void> {
		return Error{EACCES, "no search in " + std::string(dir)};
	};
	auto r = resolve_real(t.root_fd, "sublink/inner.txt", refuse);
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EACCES);
	CHECK(r.error().why == "no search in sub");
	// The root itself is never asked about.
	CHECK(resolve_real(t.root_fd, "link", refuse).ok());
}

TEST_CASE("resolve_real follows 40 links, not 41")
{
	Tree t;
	// c0 -> file.txt, c1 -> c0, ...: c39 takes 40 links.
	REQUIRE(symlink("file.txt", (t.root + "/c0").c_str()) == 0);
	for (int i = 1; i <= 40; i++) {
		std::string target = "c";
		target += std::to_string(i - 1);
		std::string link = t.root + "/c";
		link += std::to_string(i);
		REQUIRE(symlink(target.c_str(), link.c_str()) == 0);
	}
	auto ok = resolve_real(t.root_fd, "c39", {});
	REQUIRE(ok.ok());
	CHECK(ok->real_path == "file.txt");
	auto loop = resolve_real(t.root_fd, "c40", {});
	REQUIRE_FALSE(loop.ok());
	CHECK(loop.error().code == EPERM);
}

TEST_CASE("resolve_real climbs back out of a deep tree by link")
{
	Tree t;
	// sub/d/d/.../d (20 deep) holding top -> the root's file.txt, 21 levels up,
	// beyond the directories whose descriptors the walk keeps.
	std::string rel = "sub";
	for (int i = 0; i < 20; i++) {
		rel += "/d";
		REQUIRE(mkdir((t.root + "/" + rel).c_str(), 0755) == 0);
	}
	std::string up;
	for (int i = 0; i < 21; i++)
		up += "../";
	REQUIRE(symlink((up + "file.txt").c_str(), (t.root + "/" + rel + "/top").c_str()) == 0);
	REQUIRE(symlink((up + "sub/inner.txt").c_str(), (t.root + "/" + rel + "/inner").c_str()) == 0);
	REQUIRE(symlink((up + "../x").c_str(), (t.root + "/" + rel + "/out").c_str()) == 0);
	auto open_fds = [] {
		auto it = std::filesystem::directory_iterator("/proc/self/fd");
		return std::distance(it, std::filesystem::directory_iterator());
	};
	const auto before = open_fds();
	std::vector<std::string> asked;
	long most = 0;
	SearchCheck record = [&](const struct stat &, std::string_view dir) -> Result<void> {
		asked.emplace_back(dir);
		most = std::max<long>(most, open_fds() - before);
		return {};
	};
	auto r = resolve_real(t.root_fd, rel + "/top", record);
	REQUIRE(r.ok());
	CHECK(r->real_path == "file.txt");
	CHECK(asked.size() == 21); // sub and the 20 below it
	CHECK(most <= 10);         // a bounded number of directories held, not one per level
	r = resolve_real(t.root_fd, rel + "/inner", {});
	REQUIRE(r.ok());
	CHECK(r->real_path == "sub/inner.txt");
	CHECK((r->parent != nullptr));
	r = resolve_real(t.root_fd, rel + "/out", {});
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EPERM);
}

TEST_SUITE_END();
