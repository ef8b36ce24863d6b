// SPDX-License-Identifier: MIT
#pragma once

// What the path resolver's unit tests share: a served tree in a temporary
// directory, a resolve and its outcome, the FIFO a read must not block on.

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

namespace fileserver::test {

using namespace std::chrono_literals;

inline void write_file(const std::string &path, std::string_view content, mode_t mode = 0644)
{
	int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
	REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

inline std::string read_all(int fd)
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

inline Outcome resolve(const Tree &t, std::string_view path, AccessNeed purpose)
{
	OpenedObject rp;
	std::string why;
	int r = t.resolve(path, purpose, rp, why);
	return {r, why, rp.fd.valid()};
}

inline void check_refused(const Tree &t, std::string_view path, AccessNeed purpose, int err)
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
inline Outcome read_fifo(const Tree &t, bool &blocked)
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

inline constexpr AccessNeed kAllPurposes[] = {AccessNeed::Read, AccessNeed::List, AccessNeed::Inspect};

} // namespace fileserver::test
