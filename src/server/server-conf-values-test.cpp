// SPDX-License-Identifier: MIT
// Values the configuration derives or refuses: the transfer limits, numbers
// out of range, nested values, strings with NUL bytes or not UTF-8.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "build-config.h"
#include "protocol/wire.h"
#include "server/server-conf-test-helpers.h"
#include "server/server-conf.h"
#include "util/text.h"

using namespace fileserver;
using nlohmann::json;
using namespace std::chrono_literals;
using namespace fileserver::test;

TEST_SUITE_BEGIN("server-conf");

TEST_CASE("transfer limits: explicit, or derived from max_transfers and backlog")
{
	Config c = make_config(nullptr, json::object());
	CHECK(c.max_transfers == 1024);
	CHECK(transfer_limits(c).max_transfers == 1024);
	CHECK(transfer_limits(c).backlog == 64);
	CHECK(transfer_limits(c).max_per_uid == 256);
	CHECK(transfer_limits(c).max_waiting_per_uid == 32);
	c.max_transfers = 3;
	c.backlog = 0;
	CHECK(transfer_limits(c).max_per_uid == 1);
	CHECK(transfer_limits(c).max_waiting_per_uid == 1);
	c = make_config(json{{"max_transfers", 8}, {"max_transfers_per_uid", 2}, {"max_waiting_per_uid", 5}},
	                nullptr);
	CHECK(transfer_limits(c).max_transfers == 8);
	CHECK(transfer_limits(c).max_per_uid == 2);
	CHECK(transfer_limits(c).max_waiting_per_uid == 5);
	CHECK_THROWS_WITH_AS(make_config(json{{"max_waiting_per_uid", -1}}, nullptr),
	                     doctest::Contains("max_waiting_per_uid"), ConfigError);
	CHECK_THROWS_WITH_AS(make_config(json{{"max_transfers", 0}}, nullptr),
	                     doctest::Contains("max_transfers"), ConfigError);
	CHECK_THROWS_WITH_AS(make_config(json{{"max_transfers", 65537}}, nullptr),
	                     doctest::Contains("max_transfers"), ConfigError);
	// The file may set one and the command line the other.
	CHECK_THROWS_WITH_AS(make_config(json{{"max_transfers", 4}}, json{{"max_transfers_per_uid", 5}}),
	                     doctest::Contains("is more than \"max_transfers\""), ConfigError);
}

TEST_CASE("out-of-range numbers and deeply nested values are ConfigErrors")
{
	CHECK_THROWS_AS(parse_config_text("1e400", "t"), ConfigError);
	CHECK_THROWS_AS(parse_config_text("{\"workers\": 1e400}", "t"), ConfigError);
	std::string deep = "{\"workers\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
	json j;
	try {
		j = parse_config_text(deep, "t");
	} catch (const ConfigError &) {
		return; // the parser may refuse the depth itself: fine too
	}
	CHECK_THROWS_WITH_AS(make_config(j, nullptr), doctest::Contains("an array"), ConfigError);
}

TEST_CASE("strings with a NUL byte are refused, naming the key")
{
	const std::string nul("/tmp\0/x", 7);
	for (const char *key : {"root", "queue", "log_level", "access"}) {
		CAPTURE(key);
		check_refused(json{{key, nul}}, key);
	}
	check_refused(json{{"allow", json::array({"pub/*", nul})}}, "allow");
	check_refused(json{{"deny", json::array({nul})}}, "deny");
	// As written in a file: the \u0000 escape.
	json file = parse_config_text(R"({"root": "/tmp\u0000/x"})", "test");
	check_refused(file, "root");
	// The same through the command line's overrides.
	CHECK(config_error([&] {
		      make_config(nullptr, json{{"root", nul}});
	      }).find("\"root\"") != std::string::npos);
}

TEST_CASE("strings that are not UTF-8 are refused, naming the key")
{
	// JSON text cannot carry them, but command-line overrides can.
	const std::string bad = "/srv/\xff\xfe";
	for (const char *key : {"root", "queue", "log_level", "access"}) {
		CAPTURE(key);
		std::string msg = config_error([&] { make_config(nullptr, json{{key, bad}}); });
		CHECK(msg.find(std::string("\"") + key + "\"") != std::string::npos);
		CHECK(is_valid_utf8(msg)); // the message itself can be logged and shown
	}
	check_refused(json{{"deny", json::array({"a\xc0\xaf"})}}, "deny");
	// A lone surrogate escape is a syntax error of the file.
	config_error([] { parse_config_text(R"({"root": "/srv/\ud800"})", "test"); });
}

TEST_SUITE_END();
