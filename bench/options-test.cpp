// SPDX-License-Identifier: MIT
#include "options.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "util/error.h"

using namespace fileserver;
using namespace fileserver::bench;

namespace {

Options parse(std::initializer_list<const char *> args)
{
	std::vector<std::string> store{"fileserver-bench"};
	store.insert(store.end(), args.begin(), args.end());
	std::vector<char *> argv;
	for (auto &s : store)
		argv.push_back(s.data());
	return parse_options(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST_CASE("bench options: the defaults measure the full run")
{
	Options o = parse({});
	CHECK(o.large_size == 1ULL << 30);
	CHECK(o.concurrency == std::vector<int>{1, 2, 8});
	for (const char *phase : {"start", "reload", "large", "small", "cli", "stalled", "classic", "floor"})
		CHECK(has_phase(o, phase));
	CHECK(o.large_msgsize == 65536);
	CHECK(o.stalled_clients == 1000);
	CHECK(o.stalled_send_timeout_ms == 10000);
	CHECK(o.stalled_duration == doctest::Approx(3.0));
	CHECK_FALSE(has_phase(o, "tree"));
}

TEST_CASE("bench options: --smoke shrinks the sizes unless they are given")
{
	Options smoke = parse({"--smoke"});
	CHECK(smoke.large_size == 4 << 20);
	CHECK(smoke.duration == doctest::Approx(0.2));
	CHECK(smoke.starts == 1);

	CHECK(smoke.stalled_clients == 8);
	CHECK(smoke.stalled_send_timeout_ms == 1000);
	CHECK(smoke.stalled_duration == doctest::Approx(0.2));

	Options sized = parse({"--smoke", "--large-size", "1000"});
	CHECK(sized.large_size == 1000);
	CHECK(sized.duration == doctest::Approx(5.0));
	CHECK(sized.stalled_clients == 8); // the stalled phase's sizes are its own

	Options stalled = parse({"--stalled-clients", "50", "--smoke", "--stalled-send-timeout", "3000",
	                         "--stalled-duration", "0.5"});
	CHECK(stalled.stalled_clients == 50);
	CHECK(stalled.stalled_send_timeout_ms == 3000);
	CHECK(stalled.stalled_duration == doctest::Approx(0.5));
	CHECK(stalled.large_size == 4 << 20);
}

TEST_CASE("bench options: lists and lower bounds")
{
	Options o = parse({"--concurrency", "0,4", "--phases", "large,small", "--reloads", "-3",
	                   "--stalled-clients", "0", "--large-msgsize", "-1"});
	CHECK(o.stalled_clients == 1);
	CHECK(o.large_msgsize == 0);
	CHECK(o.concurrency == std::vector<int>{1, 4});
	CHECK(has_phase(o, "small"));
	CHECK_FALSE(has_phase(o, "start"));
	CHECK(o.reloads == 0);
}

TEST_CASE("bench options: an unusable command line names the option")
{
	CHECK_THROWS_WITH_AS(parse({"--starts", "5x"}), "--starts: not a number: '5x'", UsageError);
	CHECK_THROWS_WITH_AS(parse({"--json"}), "--json: needs a value", UsageError);
	CHECK_THROWS_WITH_AS(parse({"--duration", "0"}), "--duration: must be positive", UsageError);
	CHECK_THROWS_WITH_AS(parse({"--stalled-duration", "x"}), "--stalled-duration: must be positive",
	                     UsageError);
	CHECK_THROWS_WITH_AS(parse({"--fast"}), "unknown option --fast (try --help)", UsageError);
}
