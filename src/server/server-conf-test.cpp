// SPDX-License-Identifier: MIT
// The configuration: defaults, every key, the refusals of bad values and
// names, the file's reading.
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

TEST_CASE("default workers: one per CPU of the affinity mask, 2 to 16")
{
	cpu_set_t saved;
	REQUIRE(sched_getaffinity(0, sizeof(saved), &saved) == 0);
	unsigned n = default_workers();
	CHECK(n == static_cast<unsigned>(std::clamp(CPU_COUNT(&saved), 2, 16)));
	// On one CPU: still 2.
	cpu_set_t one;
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &saved)) {
			CPU_SET(i, &one);
			break;
		}
	REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
	unsigned on_one = default_workers();
	REQUIRE(sched_setaffinity(0, sizeof(saved), &saved) == 0);
	CHECK(on_one == 2);
}

TEST_CASE("defaults")
{
	Config c = make_config(nullptr, {});
	CHECK(c.root == FILESERVER_DEFAULT_ROOT);
	CHECK(c.root[0] == '/');
	CHECK(c.queue == "/fileserver");
	CHECK(c.workers == default_workers());
	CHECK(c.backlog == 64);
	CHECK(c.log_level == "info");
	CHECK(c.send_timeout == 5000ms);
	CHECK(c.shutdown_timeout == 10000ms);
	CHECK(c.queue_max_messages == 10);
	CHECK(c.queue_message_size == 8192);
	CHECK(c.max_sessions == 1024);
	CHECK(c.max_sessions_per_uid == 0);
	CHECK(c.session_idle_timeout == 60000ms);

	// Empty objects change nothing either.
	CHECK(make_config(json::object(), json::object()) == c);
	CHECK(make_config(nullptr, nullptr) == c);
}

TEST_CASE("every key is parsed")
{
	json file = {
	        {"root", "/srv/data"},      {"queue", "/fs-test"},       {"workers", 16},
	        {"backlog", 200},           {"log_level", "debug"},      {"send_timeout_ms", 250},
	        {"shutdown_timeout_ms", 0}, {"queue_max_messages", 32},  {"queue_message_size", 65536},
	        {"max_sessions", 50},       {"max_sessions_per_uid", 5}, {"session_idle_timeout_ms", 2000},
	};
	Config c = make_config(file, nullptr);
	CHECK(c.root == "/srv/data");
	CHECK(c.queue == "/fs-test");
	CHECK(c.workers == 16);
	CHECK(c.backlog == 200);
	CHECK(c.log_level == "debug");
	CHECK(c.send_timeout == 250ms);
	CHECK(c.shutdown_timeout == 0ms);
	CHECK(c.queue_max_messages == 32);
	CHECK(c.queue_message_size == 65536);
	CHECK(c.max_sessions == 50);
	CHECK(c.max_sessions_per_uid == 5);
	CHECK(c.session_idle_timeout == 2000ms);
}

TEST_CASE("each key alone changes only its setting")
{
	const Config def = make_config(nullptr, nullptr);
	Config want = def;
	json obj;
	SUBCASE("root")
	{
		obj = {{"root", "/"}};
		want.root = "/";
	}
	SUBCASE("queue")
	{
		obj = {{"queue", "/" + std::string(255, 'q')}};
		want.queue = "/" + std::string(255, 'q');
	}
	SUBCASE("workers")
	{
		obj = {{"workers", 1024}};
		want.workers = 1024;
	}
	SUBCASE("backlog")
	{
		obj = {{"backlog", 0}};
		want.backlog = 0;
	}
	SUBCASE("log_level")
	{
		obj = {{"log_level", "off"}};
		want.log_level = "off";
	}
	SUBCASE("send_timeout_ms")
	{
		obj = {{"send_timeout_ms", 3600000}};
		want.send_timeout = 3600000ms;
	}
	SUBCASE("shutdown_timeout_ms")
	{
		obj = {{"shutdown_timeout_ms", 1}};
		want.shutdown_timeout = 1ms;
	}
	SUBCASE("queue_max_messages")
	{
		obj = {{"queue_max_messages", 1}};
		want.queue_max_messages = 1;
	}
	SUBCASE("queue_message_size")
	{
		obj = {{"queue_message_size", protocol::kMaxRequestSize}};
		want.queue_message_size = static_cast<long>(protocol::kMaxRequestSize);
	}
	SUBCASE("max_sessions")
	{
		obj = {{"max_sessions", 1048576}};
		want.max_sessions = 1048576;
	}
	SUBCASE("max_sessions_per_uid")
	{
		obj = {{"max_sessions_per_uid", 1024}};
		want.max_sessions_per_uid = 1024;
	}
	SUBCASE("session_idle_timeout_ms")
	{
		obj = {{"session_idle_timeout_ms", 1000}};
		want.session_idle_timeout = 1000ms;
	}
	CAPTURE(obj.dump());
	CHECK_FALSE(want == def);
	CHECK(make_config(obj, nullptr) == want);
	CHECK(make_config(nullptr, obj) == want);
}

TEST_CASE("every log level is accepted")
{
	for (const char *level : {"trace", "debug", "info", "warning", "error", "critical", "off"}) {
		CAPTURE(level);
		CHECK(make_config(json{{"log_level", level}}, nullptr).log_level == level);
	}
}

TEST_CASE("overrides win over the file")
{
	json file = {{"root", "/from/file"}, {"workers", 2}, {"log_level", "error"}, {"queue", "/file-q"}};
	json overrides = {{"workers", 8}, {"log_level", "trace"}};
	Config c = make_config(file, overrides);
	CHECK(c.workers == 8);
	CHECK(c.log_level == "trace");
	// Untouched by the overrides: from the file.
	CHECK(c.root == "/from/file");
	CHECK(c.queue == "/file-q");
	// Untouched by both: defaults.
	CHECK(c.backlog == 64);
}

TEST_CASE("an unknown key is refused, naming the key")
{
	check_refused(json{{"wrokers", 4}}, "wrokers");
	check_refused(json{{"root", "/srv"}, {"Root", "/srv"}}, "Root");
	check_refused(json{{"", 1}}, "");
	check_refused(json{{"send_timeout", 100}}, "send_timeout");
}

TEST_CASE("a wrong type is refused, naming the key")
{
	const char *numeric[] = {"workers",
	                         "backlog",
	                         "send_timeout_ms",
	                         "shutdown_timeout_ms",
	                         "queue_max_messages",
	                         "queue_message_size"};
	for (const char *key : numeric) {
		CAPTURE(key);
		check_refused(json{{key, "4"}}, key);
		check_refused(json{{key, true}}, key);
		check_refused(json{{key, 4.5}}, key);
		check_refused(json{{key, nullptr}}, key);
		check_refused(json{{key, json::array({4})}}, key);
		check_refused(json{{key, json::object()}}, key);
	}
	const char *textual[] = {"root", "queue", "log_level"};
	for (const char *key : textual) {
		CAPTURE(key);
		check_refused(json{{key, 1}}, key);
		check_refused(json{{key, false}}, key);
		check_refused(json{{key, nullptr}}, key);
		check_refused(json{{key, json::array({"/srv"})}}, key);
	}
}

TEST_CASE("out-of-range numbers are refused, naming the key")
{
	check_refused(json{{"workers", 0}}, "workers");
	check_refused(json{{"workers", 1025}}, "workers");
	check_refused(json{{"workers", -1}}, "workers");
	check_refused(json{{"workers", 4294967297ULL}}, "workers"); // would wrap to 1 as unsigned
	check_refused(json{{"workers", UINT64_MAX}}, "workers");
	check_refused(json{{"backlog", -5}}, "backlog");
	check_refused(json{{"backlog", 65537}}, "backlog");
	check_refused(json{{"send_timeout_ms", 0}}, "send_timeout_ms");
	check_refused(json{{"send_timeout_ms", -1000}}, "send_timeout_ms");
	check_refused(json{{"send_timeout_ms", 3600001}}, "send_timeout_ms");
	check_refused(json{{"shutdown_timeout_ms", -1}}, "shutdown_timeout_ms");
	check_refused(json{{"shutdown_timeout_ms", 3600001}}, "shutdown_timeout_ms");
	check_refused(json{{"queue_max_messages", 0}}, "queue_max_messages");
	check_refused(json{{"queue_max_messages", -10}}, "queue_max_messages");
	check_refused(json{{"queue_max_messages", 65537}}, "queue_max_messages");
	check_refused(json{{"queue_message_size", protocol::kMaxRequestSize - 1}}, "queue_message_size");
	check_refused(json{{"queue_message_size", 0}}, "queue_message_size");
	check_refused(json{{"queue_message_size", -8192}}, "queue_message_size");
	check_refused(json{{"queue_message_size", 16 * 1024 * 1024 + 1}}, "queue_message_size");
	check_refused(json{{"max_sessions", 0}}, "max_sessions");
	check_refused(json{{"max_sessions", 1048577}}, "max_sessions");
	check_refused(json{{"max_sessions_per_uid", -1}}, "max_sessions_per_uid");
	check_refused(json{{"max_sessions_per_uid", 1025}}, "max_sessions_per_uid"); // > max_sessions
	check_refused(json{{"max_sessions", 1}, {"max_sessions_per_uid", 2}}, "max_sessions_per_uid");
	check_refused(json{{"session_idle_timeout_ms", 999}}, "session_idle_timeout_ms");
	check_refused(json{{"session_idle_timeout_ms", 86400001}}, "session_idle_timeout_ms");

	// The bounds themselves are accepted.
	CHECK(make_config(json{{"workers", 1}}, nullptr).workers == 1);
	CHECK(make_config(json{{"backlog", 65536}}, nullptr).backlog == 65536);
	CHECK(make_config(json{{"send_timeout_ms", 1}}, nullptr).send_timeout == 1ms);
	CHECK(make_config(json{{"queue_max_messages", 65536}}, nullptr).queue_max_messages == 65536);
	CHECK(make_config(json{{"queue_message_size", 16 * 1024 * 1024}}, nullptr).queue_message_size ==
	      16 * 1024 * 1024);
	CHECK(make_config(json{{"max_sessions", 1}}, nullptr).max_sessions == 1);
	CHECK(make_config(json{{"session_idle_timeout_ms", 86400000}}, nullptr).session_idle_timeout ==
	      86400000ms);
}

TEST_CASE("max_sessions_per_uid: at most max_sessions, wherever each is set")
{
	CHECK(make_config(json{{"max_sessions_per_uid", 1024}}, nullptr).max_sessions_per_uid == 1024);
	CHECK(make_config(json{{"max_sessions", 3}, {"max_sessions_per_uid", 3}}, nullptr)
	              .max_sessions_per_uid == 3);
	CHECK(make_config(json{{"max_sessions", 3}, {"max_sessions_per_uid", 0}}, nullptr)
	              .max_sessions_per_uid == 0);
	// The file sets one, the command line the other.
	auto msg = config_error([] {
		make_config(json{{"max_sessions", 10}}, json{{"max_sessions_per_uid", 11}});
	});
	CHECK(contains(msg, "\"max_sessions_per_uid\""));
	CHECK(contains(msg, "\"max_sessions\" (10"));
	msg = config_error([] {
		make_config(json{{"max_sessions_per_uid", 100}}, json{{"max_sessions", 99}});
	});
	CHECK(contains(msg, "\"max_sessions_per_uid\""));
	CHECK(make_config(json{{"max_sessions_per_uid", 100}}, json{{"max_sessions", 100}})
	              .max_sessions_per_uid == 100);
}

TEST_CASE("sessions_per_uid: explicit, or a quarter of max_sessions")
{
	Config c = make_config(nullptr, nullptr);
	CHECK(sessions_per_uid(c) == 256);
	c.max_sessions = 7;
	CHECK(sessions_per_uid(c) == 1);
	c.max_sessions = 3;
	CHECK(sessions_per_uid(c) == 1);
	c.max_sessions = 1048576;
	CHECK(sessions_per_uid(c) == 262144);
	c.max_sessions_per_uid = 5;
	CHECK(sessions_per_uid(c) == 5);
}

TEST_CASE("invalid queue names are refused")
{
	for (const std::string &name :
	     {std::string(""), std::string("fileserver"), std::string("/"), std::string("/file/server"),
	      std::string("/fileserver/"), std::string("/file\0server", 12), "/" + std::string(256, 'q')}) {
		CAPTURE(name);
		check_refused(json{{"queue", name}}, "queue");
	}
}

TEST_CASE("a relative or empty root is refused")
{
	for (const char *root : {"", "srv/fileserver", "./srv", "~/files", "."}) {
		CAPTURE(root);
		check_refused(json{{"root", root}}, "root");
	}
}

TEST_CASE("an unknown log level is refused")
{
	for (const char *level : {"", "verbose", "notice", "information", "info "}) {
		CAPTURE(level);
		check_refused(json{{"log_level", level}}, "log_level");
	}
}

TEST_CASE("the top level must be an object")
{
	for (const json &bad :
	     {json::array(), json::array({json{{"workers", 4}}}), json("text"), json(4), json(true)}) {
		CAPTURE(bad.dump());
		std::string msg = config_error([&] { make_config(bad, nullptr); });
		CHECK(contains(msg, "object"));
		CHECK(contains(msg, "configuration file"));
		msg = config_error([&] { make_config(nullptr, bad); });
		CHECK(contains(msg, "object"));
		CHECK(contains(msg, "command line"));
	}
}

TEST_CASE("a bad override fails even if the file is fine, and vice versa")
{
	json good = {{"workers", 2}};
	check_refused(json{{"workers", 0}}, "workers");
	CHECK(contains(config_error([&] { make_config(good, json{{"workers", 0}}); }), "\"workers\""));
	CHECK(contains(config_error([&] { make_config(json{{"workers", 0}}, good); }), "\"workers\""));
}

TEST_CASE("parse_config_text")
{
	json j = parse_config_text(R"({"workers": 3, "root": "/x"})", "test.json");
	REQUIRE(j.is_object());
	CHECK(j.at("workers") == 3);
	CHECK(j.at("root") == "/x");

	for (std::string_view bad :
	     {"", "{", "{\"workers\": 4,}", "{workers: 4}", "{\"a\": 1} trailing", "nul"}) {
		CAPTURE(bad);
		std::string msg = config_error([&] { parse_config_text(bad, "my-origin.json"); });
		CHECK(contains(msg, "my-origin.json"));
	}
}

TEST_CASE("read_config_file")
{
	ConfDir dir;
	SUBCASE("a missing file is null when missing is fine")
	{
		json j = read_config_file(dir.path + "/missing.json", true);
		CHECK(j.is_null());
		// And null gives the defaults.
		CHECK(make_config(j, nullptr) == make_config(nullptr, nullptr));
	}
	SUBCASE("a missing file is an error when it must exist")
	{
		std::string p = dir.path + "/missing.json";
		std::string msg = config_error([&] { read_config_file(p, false); });
		CHECK(contains(msg, p));
	}
	SUBCASE("a missing directory on the way is an error")
	{
		std::string p = dir.path + "/no/such/dir.json";
		CHECK(contains(config_error([&] { read_config_file(p, false); }), p));
	}
	SUBCASE("an existing file is parsed")
	{
		std::string p = dir.write("fileserver.json", R"({"queue": "/from-file", "backlog": 7})");
		for (bool missing_ok : {true, false}) {
			json j = read_config_file(p, missing_ok);
			Config c = make_config(j, nullptr);
			CHECK(c.queue == "/from-file");
			CHECK(c.backlog == 7);
		}
	}
	SUBCASE("a file with invalid JSON names the file")
	{
		std::string p = dir.write("broken.json", "{\"queue\": ");
		CHECK(contains(config_error([&] { read_config_file(p, true); }), p));
	}
	SUBCASE("an empty file is invalid JSON")
	{
		std::string p = dir.write("empty.json", "");
		CHECK(contains(config_error([&] { read_config_file(p, true); }), p));
	}
	SUBCASE("a directory is not a configuration file")
	{
		CHECK(contains(config_error([&] { read_config_file(dir.path, true); }), dir.path));
	}
}

TEST_SUITE_END();
