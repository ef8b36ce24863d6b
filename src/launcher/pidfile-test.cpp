// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "launcher/exit-codes.h"
#include "launcher/pidfile.h"

using namespace fileserver;
namespace fs = std::filesystem;

namespace {

struct TempDir {
	fs::path path;
	TempDir()
	{
		char tmpl[] = "/tmp/pidfile-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
	}
	~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path &p)
{
	std::ifstream in(p);
	return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether another open file description can take the lock.
bool lockable(const fs::path &p)
{
	UniqueFD fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
	REQUIRE(fd.valid());
	return flock(fd.get(), LOCK_EX | LOCK_NB) == 0;
}

// The StartupError that @fn throws.
template<typename Fn>
StartupError startup_error(Fn &&fn)
{
	try {
		fn();
	} catch (const StartupError &e) {
		return e;
	}
	FAIL("expected StartupError");
	return StartupError(0, "");
}

std::vector<std::string> names_in(const fs::path &dir)
{
	std::vector<std::string> v;
	for (const auto &e : fs::directory_iterator(dir))
		v.push_back(e.path().filename());
	return v;
}

} // namespace

TEST_CASE("a new PID file holds our PID, is locked, and goes away with us")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	{
		PidFile f = PidFile::acquire(p);
		CHECK(f.valid());
		CHECK(f.stale_pid() == 0);
		CHECK(slurp(p) == std::to_string(getpid()) + "\n");
		struct stat st;
		REQUIRE(stat(p.c_str(), &st) == 0);
		CHECK((st.st_mode & 07777) == 0644);
		CHECK_FALSE(lockable(p));
		// No temporary file is left next to it.
		CHECK(names_in(dir.path) == std::vector<std::string>{"x.pid"});
		// /proc shows the real name, not a temporary one.
		CHECK(fs::read_symlink("/proc/self/fd/" + std::to_string(f.fd())) == p);
	}
	CHECK_FALSE(fs::exists(p));
}

TEST_CASE("a second instance is refused with the holder's PID")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	PidFile first = PidFile::acquire(p);
	StartupError e = startup_error([&] { PidFile::acquire(p); });
	CHECK(e.code() == kExitAlreadyRunning);
	CHECK(std::string(e.what()).find("already running (pid " + std::to_string(getpid()) + ")") !=
	      std::string::npos);
	// The refused attempt changed nothing.
	CHECK(slurp(p) == std::to_string(getpid()) + "\n");
	CHECK(first.valid());
}

TEST_CASE("a stale PID file is taken over, whatever PID it names")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	// A live process's PID (our parent's), but nobody holds the lock.
	std::ofstream(p) << getppid() << "\n";
	PidFile f = PidFile::acquire(p);
	CHECK(f.stale_pid() == getppid());
	CHECK(slurp(p) == std::to_string(getpid()) + "\n");
	CHECK_FALSE(lockable(p));
	CHECK(names_in(dir.path) == std::vector<std::string>{"x.pid"});
}

TEST_CASE("an empty or garbled stale PID file is taken over")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	for (const char *content : {"", "garbage\n", "-5\n", "12abc"}) {
		std::ofstream(p) << content;
		PidFile f = PidFile::acquire(p);
		CHECK(f.stale_pid() == 0);
		CHECK(slurp(p) == std::to_string(getpid()) + "\n");
	}
}

TEST_CASE("symbolic links and non-files are refused")
{
	TempDir dir;
	fs::path target = dir.path / "target";
	std::ofstream(target) << "";
	fs::path link = dir.path / "link.pid";
	fs::create_symlink(target, link);
	StartupError e = startup_error([&] { PidFile::acquire(link); });
	CHECK(std::string(e.what()).find("symbolic link") != std::string::npos);
	CHECK(slurp(target).empty());

	fs::path sub = dir.path / "dir.pid";
	fs::create_directory(sub);
	CHECK_THROWS_AS(PidFile::acquire(sub), StartupError);

	StartupError missing = startup_error([&] { PidFile::acquire(dir.path / "no" / "such.pid"); });
	CHECK(std::string(missing.what()).find("cannot create PID file") != std::string::npos);
}

TEST_CASE("remove() leaves a file that is no longer ours alone")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	PidFile f = PidFile::acquire(p);
	fs::remove(p);
	std::ofstream(p) << "4242\n";
	f.remove();
	CHECK(slurp(p) == "4242\n");
	CHECK_FALSE(f.valid());
}

TEST_CASE("racing instances: exactly one wins")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	for (int round = 0; round < 20; round++) {
		if (round % 2)
			std::ofstream(p) << "1\n"; // stale this time
		std::atomic<int> winners{0}, refused{0}, other{0};
		std::vector<PidFile> held(8);
		std::vector<std::thread> threads;
		for (int i = 0; i < 8; i++)
			threads.emplace_back([&, i] {
				try {
					held[i] = PidFile::acquire(p);
					winners++;
				} catch (const StartupError &e) {
					auto busy = std::string_view(e.what()).starts_with("already running");
					(busy ? refused : other)++;
				}
			});
		for (auto &t : threads)
			t.join();
		CHECK(winners == 1);
		CHECK(refused == 7);
		CHECK(other == 0);
		CHECK(names_in(dir.path) == std::vector<std::string>{"x.pid"});
		held.clear();
		CHECK_FALSE(fs::exists(p));
	}
}

TEST_CASE("adopt() keeps the lock of an inherited descriptor")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	PidFile first = PidFile::acquire(p);
	// What execve() would hand over: the same open file description.
	int fd = dup(first.fd());
	REQUIRE(fd >= 0);
	PidFile adopted = PidFile::adopt(p, fd);
	CHECK(adopted.valid());
	CHECK((fcntl(adopted.fd(), F_GETFD) & FD_CLOEXEC) != 0);
	CHECK_FALSE(lockable(p));
	adopted.remove();
	CHECK_FALSE(fs::exists(p));
}

TEST_CASE("adopt() refuses a descriptor whose file another process locks")
{
	TempDir dir;
	fs::path p = dir.path / "x.pid";
	PidFile holder = PidFile::acquire(p);
	int other = open(p.c_str(), O_RDWR | O_CLOEXEC);
	REQUIRE(other >= 0);
	StartupError e = startup_error([&] { PidFile::adopt(p, other); });
	CHECK(e.code() == kExitAlreadyRunning);
	CHECK_THROWS_AS(PidFile::adopt(p, 999), StartupError);
}

TEST_CASE("read_pid")
{
	TempDir dir;
	fs::path p = dir.path / "x";
	auto pid_of = [&](const char *content) {
		std::ofstream(p, std::ios::trunc) << content;
		UniqueFD fd(open(p.c_str(), O_RDONLY | O_CLOEXEC));
		return PidFile::read_pid(fd.get());
	};
	CHECK(pid_of("123\n") == 123);
	CHECK(pid_of("123") == 123);
	CHECK(pid_of("") == 0);
	CHECK(pid_of("0\n") == 0);
	CHECK(pid_of(" 12\n") == 0);
	CHECK(pid_of("99999999999999999999\n") == 0);
}
