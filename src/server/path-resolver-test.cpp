// SPDX-License-Identifier: MIT
// The path resolver: client paths checked, objects opened or refused by
// type, links inside and outside the root, descriptors not leaked.
#include <doctest/doctest.h>

#include "server/path-resolver-test-helpers.h"

using namespace fileserver;
using namespace fileserver::test;

TEST_SUITE_BEGIN("path-resolver");

TEST_CASE("check_client_path accepts ordinary relative paths")
{
	for (std::string_view p : {"", ".", "file.txt", "a/b/c", "./file.txt", "a//b", "dir/", "...", "..foo",
	                           "foo..", ".hidden", "a/.../b"}) {
		CAPTURE(p);
		CHECK(check_client_path(p).ok());
	}
}

TEST_CASE("check_client_path refuses escapes, NULs and long names")
{
	struct Case {
		std::string path;
		int err;
	};
	const Case cases[] = {
	        {"..", EPERM},
	        {"../x", EPERM},
	        {"a/../b", EPERM},
	        {"a/..", EPERM},
	        {"a/../../..", EPERM},
	        {"/etc/passwd", EPERM},
	        {"/", EPERM},
	        {"//etc", EPERM},
	        {std::string("file.txt\0", 9), EINVAL},
	        {std::string("a\0/../b", 7), EINVAL},
	        {std::string(PATH_MAX, 'a'), ENAMETOOLONG},
	        {std::string(PATH_MAX + 100, 'a'), ENAMETOOLONG},
	        {std::string(NAME_MAX + 1, 'c'), ENAMETOOLONG},
	        {"dir/" + std::string(NAME_MAX + 1, 'c') + "/x", ENAMETOOLONG},
	};
	for (const auto &c : cases) {
		CAPTURE(c.path);
		auto r = check_client_path(c.path);
		REQUIRE_FALSE(r.ok());
		CHECK(r.error().code == c.err);
		CHECK_FALSE(r.error().why.empty());
	}

	CHECK(check_client_path(std::string(NAME_MAX, 'c')).ok());
	// The longest accepted path: 4095 bytes of components of at most NAME_MAX.
	std::string longest;
	while (longest.size() < PATH_MAX - 1)
		longest += std::string(200, 'a') + "/";
	longest.resize(PATH_MAX - 1);
	CHECK(check_client_path(longest).ok());
	longest += "b";
	REQUIRE_FALSE(check_client_path(longest).ok());
	CHECK(check_client_path(longest).error().code == ENAMETOOLONG);
}

TEST_CASE("a plain file is opened for reading")
{
	Tree t;
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("file.txt", AccessNeed::Read, rp, why) == 0);
	CHECK(why.empty());
	REQUIRE(rp.fd.valid());
	CHECK(S_ISREG(rp.st.st_mode));
	CHECK(rp.st.st_size == 5);
	CHECK(read_all(rp.fd.get()) == "hello");
	// The descriptor does not leak into children.
	CHECK((fcntl(rp.fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("a file in a subdirectory")
{
	Tree t;
	for (std::string_view p :
	     {"sub/inner.txt", "./sub/inner.txt", "sub//inner.txt", "sublink/inner.txt"}) {
		CAPTURE(p);
		OpenedObject rp;
		std::string why;
		REQUIRE(t.resolve(p, AccessNeed::Read, rp, why) == 0);
		CHECK(read_all(rp.fd.get()) == "inner");
	}
}

TEST_CASE("the empty path and \".\" name the root for Directory and Inspect")
{
	Tree t;
	for (std::string_view p : {"", "."}) {
		for (auto purpose : {AccessNeed::List, AccessNeed::Inspect}) {
			CAPTURE(p);
			CAPTURE(static_cast<int>(purpose));
			OpenedObject rp;
			std::string why;
			REQUIRE(t.resolve(p, purpose, rp, why) == 0);
			// A STAT needs the stat only: nothing is opened for it.
			CHECK(rp.fd.valid() == (purpose == AccessNeed::List));
			CHECK(S_ISDIR(rp.st.st_mode));
			CHECK(rp.st.st_ino == t.root_st.st_ino);
			CHECK(rp.st.st_dev == t.root_st.st_dev);
		}
	}
	// Reading the root is reading a directory.
	check_refused(t, "", AccessNeed::Read, EISDIR);
	check_refused(t, ".", AccessNeed::Read, EISDIR);
}

TEST_CASE("Directory opens a subdirectory that can be listed")
{
	Tree t;
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("sub", AccessNeed::List, rp, why) == 0);
	CHECK(S_ISDIR(rp.st.st_mode));
	// A real (not O_PATH) descriptor: it can be read with getdents.
	int dfd = dup(rp.fd.get());
	REQUIRE(dfd >= 0);
	DIR *d = fdopendir(dfd);
	REQUIRE(d != nullptr);
	int found = 0;
	while (struct dirent *de = readdir(d))
		if (std::string_view(de->d_name) == "inner.txt" || std::string_view(de->d_name) == "uplink")
			found++;
	closedir(d);
	CHECK(found == 2);
}

TEST_CASE("'..' and absolute paths are refused with EPERM")
{
	Tree t;
	for (auto purpose : kAllPurposes)
		for (std::string_view p : {"..", "a/../b", "sub/../file.txt", "../x", "../root/file.txt",
		                           "/etc/passwd", "/", "sub/.."})
			check_refused(t, p, purpose, EPERM);
}

TEST_CASE("an embedded NUL is refused with EINVAL")
{
	Tree t;
	// Without the check, c_str() would cut the path and open file.txt.
	for (auto purpose : kAllPurposes) {
		check_refused(t, std::string("file.txt\0.secret", 16), purpose, EINVAL);
		check_refused(t, std::string("\0", 1), purpose, EINVAL);
	}
}

TEST_CASE("over-long paths and components are refused with ENAMETOOLONG")
{
	Tree t;
	for (auto purpose : kAllPurposes) {
		check_refused(t, std::string(4096, 'a'), purpose, ENAMETOOLONG);
		check_refused(t, std::string(5000, 'a'), purpose, ENAMETOOLONG);
		std::string many;
		while (many.size() < 4096)
			many += "sub/";
		check_refused(t, many, purpose, ENAMETOOLONG);
		check_refused(t, std::string(256, 'c'), purpose, ENAMETOOLONG);
		check_refused(t, "sub/" + std::string(256, 'c'), purpose, ENAMETOOLONG);
	}
	// A 255-byte component is a valid name that simply does not exist.
	check_refused(t, std::string(255, 'c'), AccessNeed::Read, ENOENT);
}

TEST_CASE("symlinks that stay inside the root are followed")
{
	Tree t;
	for (std::string_view p : {"link", "sub/uplink"}) {
		CAPTURE(p);
		OpenedObject rp;
		std::string why;
		REQUIRE(t.resolve(p, AccessNeed::Read, rp, why) == 0);
		CHECK(S_ISREG(rp.st.st_mode));
		CHECK(read_all(rp.fd.get()) == "hello");
	}
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("sublink", AccessNeed::List, rp, why) == 0);
	CHECK(S_ISDIR(rp.st.st_mode));
}

TEST_CASE("symlinks that leave the root are refused with EPERM")
{
	Tree t;
	for (auto purpose : kAllPurposes) {
		// absolute target, relative climb, one level out, and through a directory link
		for (std::string_view p :
		     {"abslink", "climb", "outlink", "dirlink/passwd", "dirlink", "reldirlink",
		      "reldirlink/secret.txt", "reldirlink/root/file.txt", "sub/../abslink"})
			check_refused(t, p, purpose, EPERM);
	}
}

TEST_CASE("a dangling symlink and a missing file give ENOENT")
{
	Tree t;
	for (auto purpose : kAllPurposes) {
		check_refused(t, "missing", purpose, ENOENT);
		check_refused(t, "nodir/missing", purpose, ENOENT);
		check_refused(t, "sub/missing", purpose, ENOENT);
		check_refused(t, "dangling", purpose, ENOENT);
	}
}

TEST_CASE("a FIFO is refused for reading without blocking")
{
	Tree t;
	bool blocked = true;
	auto o = read_fifo(t, blocked);
	CHECK_FALSE(blocked);
	CHECK(o.r == -EPERM);
	CHECK_FALSE(o.why.empty());
	CHECK_FALSE(o.fd_valid);

	check_refused(t, "fifo", AccessNeed::List, ENOTDIR);

	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("fifo", AccessNeed::Inspect, rp, why) == 0);
	CHECK_FALSE(rp.fd.valid()); // only stat'ed
	CHECK(S_ISFIFO(rp.st.st_mode));
	CHECK(why.empty());
}

TEST_CASE("a socket is refused for reading")
{
	Tree t;
	std::string path = t.root + "/sock";
	struct sockaddr_un addr = {};
	addr.sun_family = AF_UNIX;
	REQUIRE(path.size() < sizeof(addr.sun_path));
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(s >= 0);
	int r = bind(s, reinterpret_cast<const struct sockaddr *>(&addr), sizeof(addr));
	close(s);
	REQUIRE(r == 0);

	check_refused(t, "sock", AccessNeed::Read, EPERM);
	check_refused(t, "sock", AccessNeed::List, ENOTDIR);
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("sock", AccessNeed::Inspect, rp, why) == 0);
	CHECK(S_ISSOCK(rp.st.st_mode));
}

TEST_CASE("a symlink loop is refused")
{
	Tree t;
	for (auto purpose : kAllPurposes)
		check_refused(t, "loop1", purpose, EPERM);
}

TEST_CASE("a directory cannot be read")
{
	Tree t;
	check_refused(t, "sub", AccessNeed::Read, EISDIR);
	check_refused(t, "sub/", AccessNeed::Read, EISDIR);
	check_refused(t, "sublink", AccessNeed::Read, EISDIR);
}

TEST_CASE("a file is not a directory")
{
	Tree t;
	check_refused(t, "file.txt", AccessNeed::List, ENOTDIR);
	check_refused(t, "link", AccessNeed::List, ENOTDIR);
	check_refused(t, "file.txt/x", AccessNeed::Read, ENOTDIR);
	check_refused(t, "file.txt/x", AccessNeed::Inspect, ENOTDIR);
}

TEST_CASE("Inspect reports the type and size of any entry")
{
	Tree t;
	struct {
		std::string_view path;
		mode_t type;
	} cases[] = {
	        {"file.txt", S_IFREG}, {"sub", S_IFDIR},        {"link", S_IFREG}, // followed
	        {"fifo", S_IFIFO},     {"noperm.txt", S_IFREG},
	};
	for (const auto &c : cases) {
		CAPTURE(c.path);
		OpenedObject rp;
		std::string why;
		REQUIRE(t.resolve(c.path, AccessNeed::Inspect, rp, why) == 0);
		CHECK((rp.st.st_mode & S_IFMT) == c.type);
	}
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("link", AccessNeed::Inspect, rp, why) == 0);
	CHECK(rp.st.st_size == 5);
}

TEST_CASE("a file with mode 000")
{
	Tree t;
	if (geteuid() == 0) {
		// Root (CAP_DAC_OVERRIDE) reads it anyway.
		OpenedObject rp;
		std::string why;
		REQUIRE(t.resolve("noperm.txt", AccessNeed::Read, rp, why) == 0);
		CHECK((rp.st.st_mode & 07777) == 0);
		CHECK(read_all(rp.fd.get()) == "locked");
	} else {
		check_refused(t, "noperm.txt", AccessNeed::Read, EACCES);
	}
}

TEST_CASE("a failed resolve leaves no descriptor behind")
{
	Tree t;
	OpenedObject rp;
	std::string why;
	REQUIRE(t.resolve("file.txt", AccessNeed::Read, rp, why) == 0);
	REQUIRE(rp.fd.valid());
	OpenedObject rp2;
	std::string why2;
	CHECK(t.resolve("sub", AccessNeed::Read, rp2, why2) == -EISDIR);
	CHECK_FALSE(rp2.fd.valid());
	CHECK(why2 == "is a directory");
}

TEST_SUITE_END();
