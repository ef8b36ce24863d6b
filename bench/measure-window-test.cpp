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

	std::vector<double> thousand;
	for (int i = 1; i <= 1000; i++)
		thousand.push_back(i);
	CHECK(percentile(thousand, 99) == 990);
	CHECK(percentile(thousand, 99.9) == 999);
	CHECK(percentile({1, 2, 3}, 99.9) == 3);
}

TEST_CASE("bench ratio: nothing to compare with gives 0")
{
	CHECK(ratio(3, 4) == doctest::Approx(0.75));
	CHECK(ratio(3, 0) == 0);
	CHECK(ratio(3, -1) == 0);
	CHECK(ratio(0, 2) == 0);
}

TEST_CASE("bench window: requests count only while it is open")
{
	MeasureWindow window;
	CHECK_FALSE(window.closed());
	CHECK_FALSE(window.counts(0, 0)); // warm-up
	window.measure(0.001);
	CHECK(window.closed());
	CHECK(window.seconds() == doctest::Approx(0.001));
	CHECK_FALSE(window.counts(0, 1e9));   // closed
	CHECK_FALSE(window.started_in(0));    // before it opened
	CHECK_FALSE(window.started_in(1e12)); // after it closed
}

TEST_CASE("bench window: a request that starts in it counts however late it ends")
{
	MeasureWindow window;
	CHECK_FALSE(window.started_in(1e12)); // warm-up: not open yet
	window.measure(0.01);
	double mid = window.opened_at() + 0.005;
	CHECK(window.started_in(mid));
	CHECK_FALSE(window.counts(mid, mid + 10)); // ends long after the window
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
	CHECK(j["p999_usec"].get<double>() == doctest::Approx(0.5e6));
	CHECK(Totals{}.done() == 1); // never a division by zero
}
