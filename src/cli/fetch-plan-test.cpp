// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "cli/fetch-plan.h"

using namespace fileserver;
using namespace fileserver::cli;

namespace {

// A server's tree: path -> metadata as STAT gives it (links resolved), and
// directory -> its listing (links as links).
struct FakeTree {
	std::map<std::string, protocol::Meta> stats;
	std::map<std::string, std::vector<protocol::Entry>> dirs;
	std::vector<std::string> calls;
	int fail_code = 0; // != 0: every call fails with it

	RemoteTree remote()
	{
		return {[this](const std::string &p) -> Result<protocol::Meta> {
			        calls.push_back("stat " + p);
			        if (fail_code)
				        return Error{fail_code, "failed"};
			        auto it = stats.find(p);
			        if (it == stats.end())
				        return Error{ENOENT, "No such file or directory"};
			        return it->second;
		        },
		        [this](const std::string &p) -> Result<std::vector<protocol::Entry>> {
			        calls.push_back("list " + p);
			        auto it = dirs.find(p);
			        if (it == dirs.end())
				        return Error{EACCES, "refused"};
			        return it->second;
		        }};
	}

	void dir(const std::string &path, std::uint32_t mode = 0755)
	{
		protocol::Meta m;
		m.mode = S_IFDIR | mode;
		stats[path] = m;
		dirs[path];
	}
	void file(const std::string &path, std::uint64_t size, std::uint32_t mode = 0644)
	{
		protocol::Meta m;
		m.mode = S_IFREG | mode;
		m.size = size;
		stats[path] = m;
	}
	void entry(const std::string &dir, const std::string &name, std::uint8_t type, std::uint32_t mode,
	           std::uint64_t size = 0)
	{
		protocol::Entry e;
		e.name = name;
		e.type = type;
		e.mode = mode;
		e.size = size;
		dirs[dir].push_back(e);
	}
};

} // namespace

TEST_CASE("fetch plan: names and paths")
{
	CHECK(valid_entry_name("a"));
	CHECK(valid_entry_name(".hidden"));
	CHECK(valid_entry_name("..."));
	CHECK_FALSE(valid_entry_name(""));
	CHECK_FALSE(valid_entry_name("."));
	CHECK_FALSE(valid_entry_name(".."));
	CHECK_FALSE(valid_entry_name("a/b"));
	CHECK_FALSE(valid_entry_name(std::string("a\0b", 3)));
	CHECK(join_path("", "x") == "x");
	CHECK(join_path(".", "x") == "x");
	CHECK(join_path("d", "x") == "d/x");
	CHECK(join_path("d/", "x") == "d/x");
	CHECK(base_name("a/b/c") == "c");
	CHECK(base_name("a/b/") == "b");
	CHECK(base_name("c") == "c");
	CHECK(base_name("") == "");
}

TEST_CASE("fetch plan: a file goes to DEST/NAME, a directory without -r fails")
{
	FakeTree t;
	t.file("d/f", 10, 0600);
	t.dir("d");
	FetchPlan plan;
	REQUIRE(plan_path(t.remote(), "d/f", "out", false, plan).ok());
	REQUIRE(plan_path(t.remote(), "d", "out", false, plan).ok());
	REQUIRE(plan_path(t.remote(), "missing", "out", false, plan).ok());
	REQUIRE(plan.files.size() == 1);
	CHECK(plan.files[0].remote == "d/f");
	CHECK(plan.files[0].local == "out/f");
	CHECK(plan.files[0].size == 10);
	CHECK_FALSE(plan.files[0].keep_mode);
	REQUIRE(plan.failed.size() == 2);
	CHECK(plan.failed[0].remote == "d");
	CHECK(plan.failed[0].error.code == EISDIR);
	CHECK(plan.failed[1].error.code == ENOENT);
	CHECK(plan.dirs.empty());
}

TEST_CASE("fetch plan: -r walks the tree; links to files are fetched, to directories skipped")
{
	FakeTree t;
	t.dir("top", 0750);
	t.entry("top", "b.txt", DT_REG, S_IFREG | 0640, 5);
	t.entry("top", "a", DT_DIR, S_IFDIR | 0700);
	t.entry("top", "lf", DT_LNK, S_IFLNK | 0777);
	t.entry("top", "ld", DT_LNK, S_IFLNK | 0777);
	t.entry("top", "fifo", DT_FIFO, S_IFIFO | 0644);
	t.dir("top/a", 0700);
	t.entry("top/a", "x", DT_REG, S_IFREG | 0755, 7);
	t.file("top/lf", 5, 0640); // the server resolves the link
	t.dir("top/ld");
	FetchPlan plan;
	REQUIRE(plan_path(t.remote(), "top", "out", true, plan).ok());
	REQUIRE(plan.dirs.size() == 2);
	CHECK(plan.dirs[0].local == "out/top");
	CHECK(plan.dirs[0].mode == 0750);
	CHECK(plan.dirs[1].local == "out/top/a");
	CHECK(plan.dirs[1].mode == 0700);
	REQUIRE(plan.files.size() == 3);
	CHECK(plan.files[0].local == "out/top/a/x"); // sorted by name
	CHECK(plan.files[0].mode == 0755);
	CHECK(plan.files[0].keep_mode);
	CHECK(plan.files[1].remote == "top/b.txt");
	CHECK(plan.files[2].remote == "top/lf");
	CHECK(plan.files[2].mode == 0640);
	CHECK(plan.total_bytes() == 17);
	REQUIRE(plan.skipped.size() == 2);
	CHECK(plan.skipped[0].remote == "top/fifo");
	CHECK(plan.skipped[1].remote == "top/ld");
	CHECK(plan.skipped[1].error.why.find("directory") != std::string::npos);
	CHECK(plan.failed.empty());
	// The link to a directory was never listed.
	for (const auto &c : t.calls)
		CHECK(c != "list top/ld");
}

TEST_CASE("fetch plan: the root becomes DEST itself; bad names from the server are refused")
{
	FakeTree t;
	t.dir("");
	t.entry("", "ok", DT_REG, S_IFREG | 0644, 1);
	t.entry("", "..", DT_DIR, S_IFDIR | 0755);
	t.entry("", "a/b", DT_REG, S_IFREG | 0644, 1);
	FetchPlan plan;
	REQUIRE(plan_path(t.remote(), "", "dest", true, plan).ok());
	REQUIRE(plan.dirs.size() == 1);
	CHECK(plan.dirs[0].local == "dest");
	REQUIRE(plan.files.size() == 1);
	CHECK(plan.files[0].local == "dest/ok");
	CHECK(plan.failed.size() == 2);
	FetchPlan up;
	REQUIRE(plan_path(t.remote(), "x/..", "dest", true, up).ok());
	CHECK(up.failed.size() == 1);
	CHECK(up.files.empty());
}

TEST_CASE("fetch plan: an unlistable directory fails alone; no server stops everything")
{
	FakeTree t;
	t.dir("d");
	t.entry("d", "sub", DT_DIR, S_IFDIR | 0755);
	t.entry("d", "f", DT_REG, S_IFREG | 0644, 3);
	t.dirs.erase("d/sub");
	FetchPlan plan;
	REQUIRE(plan_path(t.remote(), "d", "o", true, plan).ok());
	CHECK(plan.files.size() == 1);
	REQUIRE(plan.failed.size() == 1);
	CHECK(plan.failed[0].remote == "d/sub");

	t.fail_code = ETIMEDOUT;
	FetchPlan none;
	auto r = plan_path(t.remote(), "d", "o", true, none);
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == ETIMEDOUT);
}

TEST_CASE("fetch plan: an operand planned unseen is a file to fetch, asked nothing")
{
	FetchPlan plan;
	CHECK(plan_unseen_path("d/b.bin", "out", false, plan));
	CHECK(plan_unseen_path("sub/", "out", true, plan));
	REQUIRE(plan.files.size() == 2);
	CHECK(plan.files[0].remote == "d/b.bin");
	CHECK(plan.files[0].local == "out/b.bin");
	CHECK(plan.files[0].unseen);
	CHECK_FALSE(plan.files[0].keep_mode);
	CHECK(plan.files[1].local == "out/sub");
	CHECK(plan.files[1].keep_mode); // -r keeps the server's mode
	CHECK(plan.dirs.empty());
	CHECK(plan.failed.empty());
}

TEST_CASE("fetch plan: the root and .. are left to plan_path")
{
	FetchPlan plan;
	for (const char *path : {"", ".", "./", "..", "a/.."})
		CHECK_MESSAGE(!plan_unseen_path(path, "out", true, plan), path);
	CHECK(plan.files.empty());
}
