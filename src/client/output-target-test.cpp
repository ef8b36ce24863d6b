// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "client/client-test-helpers.h"
#include "client/output-target.h"
#include "util/unique-fd.h"

using namespace fileserver;
using fileserver::test::bytes;
using fileserver::test::TempDir;

namespace {

bool is_symlink(const std::string &path)
{
	struct stat st;
	return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

} // namespace

TEST_CASE("output target: '-' is standard output")
{
	OutputTarget t;
	REQUIRE(t.open("-").ok());
	CHECK(t.kind() == OutputTarget::Kind::Stdout);
}

TEST_CASE("output target: a regular or missing file is replaced atomically")
{
	TempDir dir;
	for (bool exists : {false, true}) {
		CAPTURE(exists);
		if (exists)
			test::write_file(dir / "f", "old");
		OutputTarget t;
		REQUIRE(t.open(dir / "f").ok());
		CHECK(t.kind() == OutputTarget::Kind::Replace);
		REQUIRE(t.write(bytes("data")) == 0);
		REQUIRE(t.commit().ok());
		CHECK(test::read_file(dir / "f") == "data");
		CHECK(dir.names() == std::set<std::string>{"f"});
	}
}

TEST_CASE("output target: a symbolic link is followed, its final target replaced")
{
	TempDir dir;
	test::write_file(dir / "real", "old");
	REQUIRE(symlink("real", (dir / "link1").c_str()) == 0);
	REQUIRE(symlink((dir / "link1").c_str(), (dir / "link2").c_str()) == 0);
	OutputTarget t;
	REQUIRE(t.open(dir / "link2").ok());
	CHECK(t.kind() == OutputTarget::Kind::Replace);
	CHECK(t.path() == dir / "real");
	REQUIRE(t.write(bytes("new")) == 0);
	REQUIRE(t.commit().ok());
	CHECK(is_symlink(dir / "link1"));
	CHECK(is_symlink(dir / "link2"));
	CHECK(test::read_file(dir / "real") == "new");

	// A dangling link names the file to create.
	REQUIRE(symlink("created", (dir / "dangling").c_str()) == 0);
	OutputTarget d;
	REQUIRE(d.open(dir / "dangling").ok());
	REQUIRE(d.commit().ok());
	CHECK(is_symlink(dir / "dangling"));
	CHECK(test::read_file(dir / "created").empty());
}

TEST_CASE("output target: a symlink loop is an error")
{
	TempDir dir;
	REQUIRE(symlink("b", (dir / "a").c_str()) == 0);
	REQUIRE(symlink("a", (dir / "b").c_str()) == 0);
	OutputTarget t;
	auto r = t.open(dir / "a");
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == ELOOP);
}

TEST_CASE("output target: a FIFO is written in place, never replaced")
{
	TempDir dir;
	std::string fifo = dir / "fifo";
	REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
	// A reader first, so that the writer's open() does not block.
	UniqueFD reader(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
	REQUIRE(reader.get() >= 0);
	OutputTarget t;
	REQUIRE(t.open(fifo).ok());
	CHECK(t.kind() == OutputTarget::Kind::InPlace);
	REQUIRE(t.write(bytes("through")) == 0);
	REQUIRE(t.commit().ok());
	char buf[16] = {};
	CHECK(read(reader.get(), buf, sizeof(buf)) == 7);
	CHECK(std::string(buf) == "through");
	struct stat st;
	REQUIRE(lstat(fifo.c_str(), &st) == 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK(dir.names() == std::set<std::string>{"fifo"});
}

TEST_CASE("output target: /dev/null stays a device")
{
	OutputTarget t;
	REQUIRE(t.open("/dev/null").ok());
	CHECK(t.kind() == OutputTarget::Kind::InPlace);
	REQUIRE(t.write(bytes("x")) == 0);
	REQUIRE(t.commit().ok());
	struct stat st;
	REQUIRE(lstat("/dev/null", &st) == 0);
	CHECK(S_ISCHR(st.st_mode));
}

TEST_CASE("output target: a directory or a missing directory is an error naming the file")
{
	TempDir dir;
	OutputTarget t;
	auto r = t.open(dir / "missing/f");
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == ENOENT);
	CHECK(r.error().why.find("missing/f") != std::string::npos);
	REQUIRE(mkdir((dir / "d").c_str(), 0700) == 0);
	r = t.open(dir / "d");
	REQUIRE_FALSE(r.ok());
	CHECK(r.error().code == EISDIR);
	rmdir((dir / "d").c_str());
}
