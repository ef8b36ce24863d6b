// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <string>

#include "client/atomic-file.h"
#include "client/client-test-helpers.h"

using namespace fileserver;
using fileserver::test::bytes;
using fileserver::test::TempDir;

namespace {

mode_t mode_of(const std::string &path)
{
	struct stat st = {};
	stat(path.c_str(), &st);
	return st.st_mode & 07777;
}

} // namespace

TEST_CASE("atomic file: unnamed temporary, nothing visible before commit")
{
	TempDir dir;
	std::string target = dir / "out";
	AtomicFile f;
	mode_t mask = umask(027);
	REQUIRE(f.open(target) == 0);
	umask(mask);
	CHECK(f.temp_path().empty()); // O_TMPFILE on /tmp (tmpfs or ext4)
	REQUIRE(f.write(bytes("hello")) == 0);
	CHECK(dir.names().empty());
	REQUIRE(f.commit() == 0);
	CHECK(dir.names() == std::set<std::string>{"out"});
	CHECK(test::read_file(target) == "hello");
	// A plain create's mode, with the umask of the time it was created.
	CHECK(mode_of(target) == 0640);
}

TEST_CASE("atomic file: the named temporary gets a plain create's mode at commit")
{
	TempDir dir;
	std::string target = dir / "out";
	AtomicFile f;
	REQUIRE(f.open(target, AtomicFile::Temporary::Named) == 0);
	REQUIRE(f.write(bytes("x")) == 0);
	mode_t mask = umask(027);
	REQUIRE(f.commit() == 0);
	umask(mask);
	CHECK(mode_of(target) == 0640);
}

TEST_CASE("atomic file: a mode given to commit, whatever the umask")
{
	TempDir dir;
	for (auto temporary : {AtomicFile::Temporary::Unnamed, AtomicFile::Temporary::Named}) {
		std::string target = dir / (temporary == AtomicFile::Temporary::Named ? "named" : "unnamed");
		AtomicFile f;
		REQUIRE(f.open(target, temporary) == 0);
		REQUIRE(f.write(bytes("x")) == 0);
		mode_t mask = umask(077);
		REQUIRE(f.commit(0751) == 0);
		umask(mask);
		CHECK(mode_of(target) == 0751);
	}
}

TEST_CASE("atomic file: replaces an existing file, leaves nothing else")
{
	TempDir dir;
	std::string target = dir / "out";
	test::write_file(target, "old contents");
	for (auto temporary : {AtomicFile::Temporary::Unnamed, AtomicFile::Temporary::Named}) {
		AtomicFile f;
		REQUIRE(f.open(target, temporary) == 0);
		REQUIRE(f.write(bytes("new")) == 0);
		CHECK(test::read_file(target) == "old contents");
		REQUIRE(f.commit() == 0);
		CHECK(test::read_file(target) == "new");
		CHECK(dir.names() == std::set<std::string>{"out"});
		test::write_file(target, "old contents");
	}
}

TEST_CASE("atomic file: the named fallback is .NAME.XXXXXX, removed on discard")
{
	TempDir dir;
	std::string target = dir / "out";
	AtomicFile f;
	REQUIRE(f.open(target, AtomicFile::Temporary::Named) == 0);
	REQUIRE_FALSE(f.temp_path().empty());
	CHECK(f.temp_path().rfind(dir / ".out.", 0) == 0);
	CHECK(dir.names().size() == 1);
	CHECK(mode_of(f.temp_path()) == 0600);
	f.discard();
	CHECK(dir.names().empty());
}

TEST_CASE("atomic file: discard and destruction leave the target as it was")
{
	TempDir dir;
	std::string target = dir / "out";
	test::write_file(target, "keep");
	{
		AtomicFile f;
		REQUIRE(f.open(target) == 0);
		REQUIRE(f.write(bytes("partial")) == 0);
	}
	CHECK(test::read_file(target) == "keep");
	CHECK(dir.names() == std::set<std::string>{"out"});
}

TEST_CASE("atomic file: errors are -errno")
{
	TempDir dir;
	AtomicFile f;
	CHECK(f.open(dir / "missing/out") == -ENOENT);
	CHECK(f.open(dir / "") == -EISDIR);
}
