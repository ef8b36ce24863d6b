// SPDX-License-Identifier: MIT
// What a reload changes: the restart-only keys, the configuration as JSON
// and back.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

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

TEST_CASE("restart_only_changes lists exactly the changed restart-only keys")
{
	const Config a = make_config(nullptr, nullptr);
	CHECK(restart_only_changes(a, a) == "");

	Config b = a;
	SUBCASE("reloadable settings are not listed")
	{
		b.root = "/elsewhere";
		b.log_level = "trace";
		b.send_timeout = 1ms;
		b.shutdown_timeout = 1ms;
		CHECK(restart_only_changes(a, b) == "");
	}
	SUBCASE("each restart-only key alone")
	{
		const std::pair<const char *, void (*)(Config &)> keys[] = {
		        {"queue", [](Config &c) { c.queue = "/other"; }},
		        {"workers", [](Config &c) { c.workers = 5; }},
		        {"backlog", [](Config &c) { c.backlog = 1; }},
		        {"queue_max_messages", [](Config &c) { c.queue_max_messages = 11; }},
		        {"queue_message_size", [](Config &c) { c.queue_message_size = 9000; }},
		};
		for (const auto &[key, change] : keys) {
			CAPTURE(key);
			Config c = a;
			change(c);
			CHECK(restart_only_changes(a, c) == key);
		}
	}
	SUBCASE("two of them, plus a reloadable one")
	{
		b.workers = 1;
		b.queue_message_size = 9000;
		b.root = "/elsewhere";
		CHECK(restart_only_changes(a, b) == "workers, queue_message_size");
	}
	SUBCASE("all of them")
	{
		b.queue = "/other";
		b.workers = 1;
		b.backlog = 1;
		b.queue_max_messages = 1;
		b.queue_message_size = 9000;
		b.log_level = "off";
		CHECK(restart_only_changes(a, b) ==
		      "queue, workers, backlog, queue_max_messages, queue_message_size");
		CHECK(restart_only_changes(b, a) ==
		      "queue, workers, backlog, queue_max_messages, queue_message_size");
	}
}

TEST_CASE("config_json round-trips through make_config")
{
	Config c = make_config(nullptr, json::object());
	c.root = "/srv/elsewhere";
	c.queue = "/other";
	c.workers = 7;
	c.backlog = 3;
	c.log_level = "debug";
	c.send_timeout = std::chrono::milliseconds(1234);
	c.shutdown_timeout = std::chrono::milliseconds(0);
	c.queue_max_messages = 5;
	c.queue_message_size = 9000;
	c.max_transfers = 40;
	c.max_transfers_per_uid = 2;
	c.max_waiting_per_uid = 0;
	c.max_sessions = 10;
	c.max_sessions_per_uid = 2;
	c.session_idle_timeout = std::chrono::milliseconds(5000);
	c.access.mode = AccessMode::Owner;
	c.access.allow = {"pub/*"};
	c.access.deny = {"*.key", "secret*"};
	json j = config_json(c);
	CHECK(j.size() == 18);
	CHECK(j["max_transfers"] == 40);
	CHECK(j["send_timeout_ms"] == 1234);
	CHECK(j["max_sessions"] == 10);
	CHECK(j["max_sessions_per_uid"] == 2);
	CHECK(j["session_idle_timeout_ms"] == 5000);
	CHECK(make_config(j, nullptr) == c);
}

TEST_CASE("a reload keeps exactly the restart-only settings")
{
	CHECK(restart_only_keys() == std::vector<std::string_view>{"queue", "workers", "backlog",
	                                                           "queue_max_messages",
	                                                           "queue_message_size"});
	const Config running = make_config(nullptr, nullptr);
	Config fresh = running;
	fresh.root = "/elsewhere";
	fresh.log_level = "debug";
	fresh.access.deny = {"*.key"};
	fresh.queue = "/other";
	fresh.workers = 9;
	fresh.backlog = 2;
	fresh.queue_max_messages = 3;
	fresh.queue_message_size = 9000;
	fresh.max_sessions = 8;
	fresh.max_sessions_per_uid = 8;
	fresh.session_idle_timeout = 1000ms;
	Config applied = keep_restart_only(fresh, running);
	CHECK(restart_only_changes(running, applied) == "");
	CHECK(applied.root == "/elsewhere");
	CHECK(applied.log_level == "debug");
	CHECK(applied.access.deny == std::vector<std::string>{"*.key"});
	CHECK(applied.queue == running.queue);
	CHECK(applied.workers == running.workers);
	// Sessions limits are reloadable.
	CHECK(applied.max_sessions == 8);
	CHECK(applied.max_sessions_per_uid == 8);
	CHECK(applied.session_idle_timeout == 1000ms);
}

TEST_SUITE_END();
