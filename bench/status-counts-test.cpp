// SPDX-License-Identifier: MIT
#include "status-counts.h"

#include <doctest/doctest.h>

using namespace fileserver::bench;

TEST_CASE("bench STATUS counts: parked is optional, the others are not")
{
	auto s = parse_status(R"({"busy": 3, "waiting": 1, "failed": 7, "parked": 2, "workers": 4})");
	REQUIRE(s);
	CHECK(s->busy == 3);
	CHECK(s->waiting == 1);
	CHECK(s->failed == 7);
	CHECK(s->has_parked);
	CHECK(s->parked == 2);
	CHECK(to_json(*s) == nlohmann::json{{"busy", 3}, {"waiting", 1}, {"failed", 7}, {"parked", 2}});

	auto old = parse_status(R"({"busy": 1, "waiting": 0, "failed": 0})");
	REQUIRE(old);
	CHECK_FALSE(old->has_parked);
	CHECK(old->parked == 0);
	CHECK_FALSE(to_json(*old).contains("parked"));

	CHECK_FALSE(parse_status(R"({"busy": 1, "failed": 0})"));
	CHECK_FALSE(parse_status(R"({"busy": -1, "waiting": 0, "failed": 0})"));
	CHECK_FALSE(parse_status("[1, 2]"));
	CHECK_FALSE(parse_status("not json"));
}

TEST_CASE("bench STATUS counts: idle again when nothing is above the idle counts")
{
	StatusCounts idle{1, 0, false, 0, 5};
	StatusCounts now = idle;
	now.failed = 1005; // what ended, ended: not work in progress
	CHECK(back_to_idle(now, idle));
	now.busy = 2;
	CHECK_FALSE(back_to_idle(now, idle));
	now = idle;
	now.parked = 1;
	CHECK_FALSE(back_to_idle(now, idle));
	now = idle;
	now.waiting = 1;
	CHECK_FALSE(back_to_idle(now, idle));
	now = idle;
	now.busy = 0; // the STATUS request counted itself when idle, not now
	CHECK(back_to_idle(now, idle));
}
