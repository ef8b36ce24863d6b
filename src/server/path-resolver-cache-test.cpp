// SPDX-License-Identifier: MIT
// The directories a thread keeps open between walks: used only while the
// name still leads to them, never changing what a walk finds or judges.
#include "server/path-resolver-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;

namespace {

// The cache on for the test's thread, off (and empty) afterwards.
struct CacheOn {
	CacheOn() { cache_dirs_on_this_thread(true); }
	~CacheOn() { cache_dirs_on_this_thread(false); }
	CacheOn(const CacheOn &) = delete;
	CacheOn &operator=(const CacheOn &) = delete;
};

struct Found {
	int code = 0; // 0 or the errno
	std::string real_path;
	ino_t ino = 0;
	std::shared_ptr<const UniqueFD> parent; // held: the same one if cached
};

Found find(const Tree &t, const std::string &path, const SearchCheck &may_search = {})
{
	auto r = resolve_real(t.root_fd, path, may_search, ObjectFd::None);
	if (!r)
		return {r.error().code, {}, 0, nullptr};
	return {0, r->real_path, r->st.st_ino, r->parent};
}

ino_t ino_of(const std::string &path)
{
	struct stat st;
	REQUIRE(lstat(path.c_str(), &st) == 0);
	return st.st_ino;
}

std::string read_checked(const Tree &t, const std::string &path)
{
	OpenedObject o;
	std::string why;
	REQUIRE(t.resolve(path, AccessNeed::Read, o, why) == 0);
	return read_all(o.fd.get());
}

} // namespace

TEST_SUITE_BEGIN("path-resolver-cache");

TEST_CASE("a cached directory is used only while its name still leads to it")
{
	Tree t;
	CacheOn on;
	Found first = find(t, "sub/inner.txt");
	REQUIRE(first.code == 0);
	CHECK(cached_dirs() == 1);
	Found again = find(t, "sub/inner.txt");
	REQUIRE(again.code == 0);
	CHECK(again.parent == first.parent); // the cached descriptor
	CHECK(again.ino == first.ino);
	CHECK(read_checked(t, "sub/inner.txt") == "inner");

	// Renamed away and replaced: the new directory, looked up afresh.
	REQUIRE(rename((t.root + "/sub").c_str(), (t.root + "/old").c_str()) == 0);
	REQUIRE(mkdir((t.root + "/sub").c_str(), 0755) == 0);
	write_file(t.root + "/sub/inner.txt", "new");
	Found replaced = find(t, "sub/inner.txt");
	REQUIRE(replaced.code == 0);
	CHECK(replaced.ino == ino_of(t.root + "/sub/inner.txt"));
	CHECK(replaced.ino != first.ino);
	CHECK(replaced.parent != first.parent);
	CHECK(read_checked(t, "sub/inner.txt") == "new");
	CHECK(find(t, "old/inner.txt").ino == first.ino);

	// A link in its place is followed, as on any walk.
	std::filesystem::remove_all(t.root + "/sub");
	REQUIRE(symlink("old", (t.root + "/sub").c_str()) == 0);
	Found linked = find(t, "sub/inner.txt");
	REQUIRE(linked.code == 0);
	CHECK(linked.real_path == "old/inner.txt");
	CHECK(linked.ino == first.ino);

	// Gone: ENOENT, as without the cache.
	REQUIRE(unlink((t.root + "/sub").c_str()) == 0);
	CHECK(find(t, "sub/inner.txt").code == ENOENT);
}

TEST_CASE("search permission is judged on the directory as it is now, not as it was cached")
{
	Tree t;
	CacheOn on;
	std::vector<mode_t> seen;
	SearchCheck record = [&](const struct stat &st, std::string_view) -> Result<void> {
		seen.push_back(st.st_mode & 07777);
		if (!(st.st_mode & S_IXOTH))
			return Error{EACCES, "no search"};
		return {};
	};
	REQUIRE(find(t, "sub/inner.txt", record).code == 0);
	REQUIRE(find(t, "sub/inner.txt", record).code == 0);
	REQUIRE(chmod((t.root + "/sub").c_str(), 0750) == 0);
	CHECK(find(t, "sub/inner.txt", record).code == EACCES);
	CHECK(seen == std::vector<mode_t>{0755, 0755, 0750});
	CHECK(cached_dirs() == 1);
}

TEST_CASE("the cache changes no outcome: every path of the tree, with and without it")
{
	Tree t;
	// Deeper directories, reached directly and through links.
	REQUIRE(mkdir((t.root + "/sub/deep").c_str(), 0755) == 0);
	write_file(t.root + "/sub/deep/d.txt", "deep");
	REQUIRE(symlink("../../outlink", (t.root + "/sub/deep/escape").c_str()) == 0);
	const std::vector<std::string> paths = {"file.txt",
	                                        "sub/inner.txt",
	                                        "sub/uplink",
	                                        "sublink/inner.txt",
	                                        "sublink/uplink",
	                                        "sub/deep/d.txt",
	                                        "sublink/deep/d.txt",
	                                        "sub/deep/escape",
	                                        "reldirlink/file.txt",
	                                        "sub/../file.txt",
	                                        "abslink",
	                                        "climb",
	                                        "outlink",
	                                        "dirlink/passwd",
	                                        "dangling",
	                                        "loop1",
	                                        "fifo",
	                                        "noperm.txt",
	                                        "sub/missing/x",
	                                        "file.txt/x",
	                                        "sub",
	                                        "",
	                                        "."};
	for (AccessNeed need : kAllPurposes) {
		std::vector<Outcome> without;
		for (const auto &p : paths)
			without.push_back(resolve(t, p, need));
		CacheOn on;
		for (int pass = 0; pass < 2; pass++) {
			for (std::size_t i = 0; i < paths.size(); i++) {
				CAPTURE(paths[i]);
				CAPTURE(static_cast<int>(need));
				CAPTURE(pass);
				Outcome with = resolve(t, paths[i], need);
				CHECK(with.r == without[i].r);
				CHECK(with.why == without[i].why);
				CHECK(with.fd_valid == without[i].fd_valid);
			}
		}
		CHECK(cached_dirs() > 0);
	}
}

TEST_CASE("cached directories are bounded, and go when forgotten, when old, or with the cache off")
{
	Tree t;
	CacheOn on;
	for (std::size_t i = 0; i < kCachedDirs + 4; i++) {
		std::string d = t.root + "/d" + std::to_string(i);
		REQUIRE(mkdir(d.c_str(), 0755) == 0);
		write_file(d + "/f", "x");
		REQUIRE(find(t, "d" + std::to_string(i) + "/f").code == 0);
	}
	CHECK(cached_dirs() == kCachedDirs);
	forget_cached_dirs();
	CHECK(cached_dirs() == 0);

	Found first = find(t, "sub/inner.txt");
	CHECK(cached_dirs() == 1);
	std::this_thread::sleep_for(kCachedDirAge + 50ms);
	Found later = find(t, "sub/inner.txt");
	CHECK(cached_dirs() == 1);
	CHECK(later.parent != first.parent); // opened again

	cache_dirs_on_this_thread(false);
	CHECK(cached_dirs() == 0);
	REQUIRE(find(t, "sub/inner.txt").code == 0);
	CHECK(cached_dirs() == 0);
}

TEST_SUITE_END();
