// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "cli/partial-file.h"

using namespace fileserver;
using namespace fileserver::cli;

namespace {

std::string read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return {std::istreambuf_iterator<char>(f), {}};
}

std::span<const std::uint8_t> bytes(const std::string &s)
{
	return {reinterpret_cast<const std::uint8_t *>(s.data()), s.size()};
}

struct TempDir {
	std::string path;
	TempDir()
	{
		char tmpl[] = "/tmp/partial-file-test-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		path = tmpl;
	}
	~TempDir() { (void)std::system(("rm -rf '" + path + "'").c_str()); }
};

} // namespace

TEST_CASE("partial file: the source record round-trips and rejects anything else")
{
	SourceStamp s{123456789012ULL, 1700000000, 5};
	CHECK(encode_stamp(s) == "size=123456789012 mtime=1700000000.000000005");
	CHECK(decode_stamp(encode_stamp(s)) == s);
	SourceStamp neg{0, -5, 999999999};
	CHECK(decode_stamp(encode_stamp(neg)) == neg);
	for (const char *bad :
	     {"", "size=1", "size=1 mtime=2", "size=1 mtime=2.5", "size=x mtime=2.000000000",
	      "size=1 mtime=2.000000000 ", "size=-1 mtime=2.000000000", "size=1  mtime=2.000000000"})
		CHECK_FALSE(decode_stamp(bad).has_value());
}

TEST_CASE("partial file: resume only from a prefix of the same version")
{
	SourceStamp remote{100, 50, 7};
	auto d = decide_resume(std::nullopt, std::nullopt, remote);
	CHECK(d.offset == 0);
	CHECK(d.why_restart.empty());
	d = decide_resume(40, remote, remote);
	CHECK(d.offset == 40);
	CHECK(d.why_restart.empty());
	d = decide_resume(40, std::nullopt, remote);
	CHECK(d.offset == 0);
	CHECK(d.why_restart.find("no record") != std::string::npos);
	d = decide_resume(40, SourceStamp{100, 50, 8}, remote);
	CHECK(d.offset == 0);
	CHECK(d.why_restart.find("changed") != std::string::npos);
	d = decide_resume(40, SourceStamp{99, 50, 7}, remote);
	CHECK(d.offset == 0);
	d = decide_resume(101, SourceStamp{100, 50, 7}, remote);
	CHECK(d.offset == 0);
	d = decide_resume(100, remote, remote);
	CHECK(d.offset == 100);
}

TEST_CASE("partial file: created with its record, reopened where it stopped, renamed when complete")
{
	TempDir dir;
	std::string target = dir.path + "/f";
	SourceStamp stamp{6, 1, 2};
	{
		PartialFile p;
		REQUIRE(p.open(target) == 0);
		CHECK_FALSE(p.existing_size().has_value());
		REQUIRE(p.restart(stamp) == 0);
		REQUIRE(p.write(bytes("abc")) == 0);
	}
	char buf[128];
	ssize_t n = getxattr((target + ".part").c_str(), kSourceXattr, buf, sizeof(buf));
	if (n < 0 && errno == ENOTSUP)
		return; // no user xattrs here: nothing more to check
	REQUIRE(n > 0);
	CHECK(std::string(buf, static_cast<std::size_t>(n)) == encode_stamp(stamp));
	PartialFile p;
	REQUIRE(p.open(target) == 0);
	REQUIRE(p.existing_size().has_value());
	CHECK(*p.existing_size() == 3);
	REQUIRE(p.recorded().has_value());
	CHECK(*p.recorded() == stamp);
	REQUIRE(p.write(bytes("def")) == 0);
	REQUIRE(p.commit(0640) == 0);
	CHECK(read_file(target) == "abcdef");
	CHECK(access((target + ".part").c_str(), F_OK) != 0);
	struct stat st;
	REQUIRE(stat(target.c_str(), &st) == 0);
	CHECK((st.st_mode & 07777) == 0640);
	CHECK(getxattr(target.c_str(), kSourceXattr, buf, sizeof(buf)) < 0);
}

TEST_CASE("partial file: a restart empties the file; a link named NAME.part is not followed")
{
	TempDir dir;
	std::string target = dir.path + "/g";
	{
		std::ofstream(target + ".part") << "old data";
	}
	PartialFile p;
	REQUIRE(p.open(target) == 0);
	CHECK(*p.existing_size() == 8);
	CHECK_FALSE(p.recorded().has_value());
	REQUIRE(p.restart({3, 0, 0}) == 0);
	REQUIRE(p.write(bytes("new")) == 0);
	CHECK(read_file(target + ".part") == "new");

	std::string victim = dir.path + "/victim";
	std::ofstream(victim) << "keep";
	REQUIRE(symlink(victim.c_str(), (dir.path + "/h.part").c_str()) == 0);
	PartialFile q;
	CHECK(q.open(dir.path + "/h") == -ELOOP);
	CHECK(read_file(victim) == "keep");
}
