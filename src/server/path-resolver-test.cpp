// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/object-access.h"
#include "server/path-resolver.h"

using namespace fileserver;
using namespace std::chrono_literals;

namespace {

void write_file(const std::string &path, std::string_view content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
	REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

std::string read_all(int fd)
{
	std::string s;
	char buf[256];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		REQUIRE(n >= 0);
		if (n == 0)
			break;
		s.append(buf, static_cast<std::size_t>(n));
	}
	return s;
}

// Removes a directory tree on destruction; symlinks are removed, never
// followed.
struct RemoveOnExit {
	std::string path;
	RemoveOnExit() = default;
	RemoveOnExit(const RemoveOnExit &) = delete;
	RemoveOnExit &operator=(const RemoveOnExit &) = delete;
	~RemoveOnExit()
	{
		std::error_code ec;
		if (!path.empty())
			std::filesystem::remove_all(path, ec);
	}
};

/*
 * A served root under /tmp, created fresh for every test case and removed
 * with everything in it afterwards:
 *
 *   base/                  (not served: a secret file outside the root)
 *     secret.txt
 *     root/                <- the served root
 *       file.txt           "hello"
 *       noperm.txt         mode 000
 *       sub/inner.txt      "inner"
 *       sub/uplink    ->   ../file.txt       (stays inside)
 *       link          ->   file.txt
 *       sublink       ->   sub
 *       abslink       ->   /etc/passwd
 *       climb         ->   ../../../../../../etc/passwd
 *       outlink       ->   ../secret.txt
 *       dirlink       ->   /etc
 *       reldirlink    ->   ..
 *       dangling      ->   nowhere
 *       loop1 -> loop2 -> loop1
 *       fifo                FIFO
 */
struct Tree {
	// Members, not a destructor, clean up: they also run when a REQUIRE in
	// the constructor fails.
	RemoveOnExit cleanup;
	UniqueFD root_fd_owner;
	std::string base;
	std::string root;
	int root_fd = -1;
	struct stat root_st = {};

	Tree()
	{
		char tmpl[] = "/tmp/fs-resolver-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl) != nullptr);
		base = tmpl;
		cleanup.path = base;
		root = base + "/root";
		write_file(base + "/secret.txt", "secret");
		REQUIRE(mkdir(root.c_str(), 0755) == 0);
		write_file(root + "/file.txt", "hello");
		write_file(root + "/noperm.txt", "locked", 0);
		REQUIRE(mkdir((root + "/sub").c_str(), 0755) == 0);
		write_file(root + "/sub/inner.txt", "inner");
		REQUIRE(symlink("../file.txt", (root + "/sub/uplink").c_str()) == 0);
		REQUIRE(symlink("file.txt", (root + "/link").c_str()) == 0);
		REQUIRE(symlink("sub", (root + "/sublink").c_str()) == 0);
		REQUIRE(symlink("/etc/passwd", (root + "/abslink").c_str()) == 0);
		REQUIRE(symlink("../../../../../../etc/passwd", (root + "/climb").c_str()) == 0);
		REQUIRE(symlink("../secret.txt", (root + "/outlink").c_str()) == 0);
		REQUIRE(symlink("/etc", (root + "/dirlink").c_str()) == 0);
		REQUIRE(symlink("..", (root + "/reldirlink").c_str()) == 0);
		REQUIRE(symlink("nowhere", (root + "/dangling").c_str()) == 0);
		REQUIRE(symlink("loop2", (root + "/loop1").c_str()) == 0);
		REQUIRE(symlink("loop1", (root + "/loop2").c_str()) == 0);
		REQUIRE(mkfifo((root + "/fifo").c_str(), 0644) == 0);
		// As the server opens it.
		root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
		REQUIRE(root_fd >= 0);
		root_fd_owner.reset(root_fd);
		REQUIRE(fstat(root_fd, &root_st) == 0);
	}

	Tree(const Tree &) = delete;
	Tree &operator=(const Tree &) = delete;

	// The resolution and type checks alone: policy "all", client root.
	int resolve(std::string_view path, AccessNeed purpose, OpenedObject &out, std::string &why) const
	{
		AccessPolicy all;
		all.mode = AccessMode::All;
		auto r = open_checked(all, root_fd, 0, path, purpose);
		if (!r) {
			why = r.error().why;
			return -r.error().code;
		}
		why.clear();
		out = std::move(r).value();
		return 0;
	}
};

struct Outcome {
	int r;
	std::string why;
	bool fd_valid;
};

Outcome resolve(const Tree &t, std::string_view path, AccessNeed purpose)
{
	OpenedObject rp;
	std::string why;
	int r = t.resolve(path, purpose, rp, why);
	return {r, why, rp.fd.valid()};
}

void check_refused(const Tree &t, std::string_view path, AccessNeed purpose, int err)
{
	CAPTURE(path);
	CAPTURE(static_cast<int>(purpose));
	auto o = resolve(t, path, purpose);
	CHECK(o.r == -err);
	CHECK_FALSE(o.why.empty());
	CHECK_FALSE(o.fd_valid);
}

// Resolves "fifo" for reading. No writer exists, so a blocking open would
// hang: a watchdog turns a hang into a failure. If the open has not returned
// after a time that a correct run never comes near, it opens the FIFO for
// writing, which releases the reader, and sets @blocked.
Outcome read_fifo(const Tree &t, bool &blocked)
{
	std::mutex lock;
	std::condition_variable cv;
	bool done = false;
	blocked = false;
	std::thread watchdog([&] {
		std::unique_lock guard(lock);
		if (cv.wait_for(guard, 30s, [&] { return done; }))
			return;
		blocked = true;
		int fd = open((t.root + "/fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	});
	auto o = resolve(t, "fifo", AccessNeed::Read);
	{
		std::lock_guard guard(lock);
		done = true;
	}
	cv.notify_all();
	watchdog.join();
	return o;
}

constexpr AccessNeed kAllPurposes[] = {AccessNeed::Read, AccessNeed::List, AccessNeed::Inspect};

} // namespace

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
		CHECK(r->parent.valid() == (c.real.find('/') != std::string_view::npos));
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
		CHECK(stated->parent.valid() == opened->parent.valid());
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
	CHECK(r->parent.valid());
	r = resolve_real(t.root_fd, rel + "/out", {});
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EPERM);
}

TEST_SUITE_END();
