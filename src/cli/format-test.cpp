// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <string>

#include "cli/format.h"

using namespace fileserver;
using namespace fileserver::cli;
using nlohmann::json;

namespace {

protocol::Entry entry(std::string name, std::uint32_t mode, std::uint64_t size)
{
	protocol::Entry e;
	e.name = std::move(name);
	e.mode = mode;
	e.size = size;
	e.mtime_sec = 86400;
	return e;
}

protocol::Meta meta()
{
	protocol::Meta m;
	m.size = 1234;
	m.mode = S_IFREG | 0640;
	m.uid = 1000;
	m.gid = 100;
	m.mtime_sec = 1700000000;
	m.mtime_nsec = 5;
	return m;
}

} // namespace

TEST_CASE("format: modes, types and times")
{
	CHECK(type_name(S_IFREG | 0644) == "file");
	CHECK(type_name(S_IFDIR | 0755) == "directory");
	CHECK(type_name(S_IFCHR) == "char-device");
	CHECK(type_name(0) == "unknown");
	CHECK(mode_octal(S_IFREG | 04755) == "4755");
	CHECK(mode_string(S_IFREG | 0644) == "-rw-r--r--");
	CHECK(mode_string(S_IFDIR | 0750) == "drwxr-x---");
	CHECK(mode_string(S_IFLNK | 0777) == "lrwxrwxrwx");
	CHECK(iso_time(0, 0, false) == "1970-01-01T00:00:00Z");
	CHECK(iso_time(1700000000, 5, true) == "2023-11-14T22:13:20.000000005Z");
}

TEST_CASE("format: stat, human and JSON")
{
	std::string h = stat_human("dir/f", meta(), false);
	CHECK(h.find("  Path: dir/f\n") == 0);
	CHECK(h.find("  Size: 1234\n") != std::string::npos);
	CHECK(h.find("  Mode: 0640 (-rw-r-----)\n") != std::string::npos);
	CHECK(h.find(" Mtime: 2023-11-14T22:13:20.000000005Z\n") != std::string::npos);
	json j = stat_json("dir/f", meta());
	CHECK(j["path"] == "dir/f");
	CHECK(j["type"] == "file");
	CHECK(j["size"] == 1234);
	CHECK(j["mode"] == "0640");
	CHECK(j["mtime_nsec"] == 5);
}

TEST_CASE("format: a path that is not UTF-8 becomes an array of bytes; JSON stays valid")
{
	std::string bad = "a\xff\x01";
	json j = stat_json(bad, meta());
	CHECK(j["path"] == json::array({97, 255, 1}));
	std::string line = dump_line(j);
	CHECK(json::parse(line)["path"] == json::array({97, 255, 1}));
}

TEST_CASE("format: ls sorts by name; JSON names follow the byte convention")
{
	std::vector<protocol::Entry> es = {entry("b", S_IFREG | 0644, 2), entry("a", S_IFDIR | 0755, 4096),
	                                   entry("c\xfe", S_IFREG | 0600, 0)};
	std::string h = ls_human(es, false);
	CHECK(h == "drwxr-xr-x         4096 1970-01-02T00:00:00Z a\n"
	           "-rw-r--r--            2 1970-01-02T00:00:00Z b\n"
	           "-rw-------            0 1970-01-02T00:00:00Z c\xfe\n");
	json j = ls_json(es);
	REQUIRE(j.size() == 3);
	CHECK(j[0]["name"] == "a");
	CHECK(j[0]["type"] == "directory");
	CHECK(j[1]["size"] == 2);
	CHECK(j[2]["name"] == json::array({99, 254}));
	CHECK(json::parse(dump_line(j)) == j); // one line that parses back to the same
}

TEST_CASE("format: control characters are escaped for a terminal")
{
	std::vector<protocol::Entry> es = {entry("evil\x1b[2Jname\n", S_IFREG | 0644, 1)};
	std::string h = ls_human(es, true);
	CHECK(h.find('\x1b') == std::string::npos);
	CHECK(h.find("evil\\033[2Jname\\n\n") != std::string::npos);
	CHECK(ls_human(es, false).find('\x1b') != std::string::npos); // raw to a pipe
	CHECK(stat_human("p\x07", meta(), true).find("  Path: p\\a\n") == 0);
}

TEST_CASE("format: ping")
{
	PingInfo p;
	p.server_version = "1.2\x1b";
	p.protocol_version = 1;
	p.round_trip = std::chrono::microseconds(1500);
	CHECK(ping_human("/q", p, true) == "pong from /q: 1.2\\033 (protocol 1), 1.500 ms\n");
	json j = ping_json("/q", p);
	CHECK(j["queue"] == "/q");
	CHECK(j["round_trip_ms"] == 1.5);
	CHECK(j["protocol_version"] == 1);
}

TEST_CASE("format: status is passed through when it is a JSON object, never thrown on")
{
	auto ok = parse_status(R"({"version":"1","workers":4})");
	REQUIRE(ok.ok());
	CHECK((*ok)["workers"] == 4);
	CHECK(status_human(*ok, false) == "           version: 1\n           workers: 4\n");
	for (std::string bad : {"", "[1]", "{", "{\"a\":\"\xff\"}", "42"}) {
		CAPTURE(bad);
		auto r = parse_status(bad);
		REQUIRE_FALSE(r.ok());
		CHECK(r.error().code == EBADMSG);
	}
}
