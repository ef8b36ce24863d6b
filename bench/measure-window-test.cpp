// SPDX-License-Identifier: MIT
#include "measure-window.h"

#include <doctest/doctest.h>

using namespace fileserver::bench;

TEST_CASE("bench percentile: nearest rank")
{
	std::vector<double> v{5, 1, 4, 2, 3};
	CHECK(percentile(v, 50) == 3);
	CHECK(percentile(v, 99) == 5);
	CHECK(percentile(v, 0) == 1);
	CHECK(median({}) == 0);
	CHECK(median({7, 9}) == 7);
}

TEST_CASE("bench window: requests count only while it is open")
{
	MeasureWindow window;
	CHECK_FALSE(window.closed());
	CHECK_FALSE(window.counts(0, 0)); // warm-up
	window.measure(0.001);
	CHECK(window.closed());
	CHECK(window.seconds() == doctest::Approx(0.001));
	CHECK_FALSE(window.counts(0, 1e9)); // closed
}

TEST_CASE("bench totals: threads added up, the first error kept")
{
	std::vector<ThreadStats> stats(3);
	stats[0].add(true, 1.0, 1.5);
	stats[1].add(false, 1.0, 2.0);
	stats[1].first_error = "short read";
	stats[2].add(true, 2.0, 2.25);
	stats[2].first_error = "later";
	Totals t = add_up(stats);
	CHECK(t.ok == 2);
	CHECK(t.failed == 1);
	CHECK(t.done() == 3);
	CHECK(t.first_error == "short read");
	CHECK(t.latencies_usec == std::vector<double>{0.5e6, 0.25e6});

	nlohmann::json j = level_summary(t, 3, 2.0);
	CHECK(j["clients"] == 3);
	CHECK(j["requests"] == 2);
	CHECK(j["failed"] == 1);
	CHECK(j["requests_per_sec"].get<double>() == doctest::Approx(1.0));
	CHECK(j["p50_usec"].get<double>() == doctest::Approx(0.25e6));
	CHECK(j["p99_usec"].get<double>() == doctest::Approx(0.5e6));
	CHECK(Totals{}.done() == 1); // never a division by zero
}
