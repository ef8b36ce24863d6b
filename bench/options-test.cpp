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
	for (const char *phase : {"start", "reload", "large", "small", "cli", "floor"})
		CHECK(has_phase(o, phase));
	CHECK_FALSE(has_phase(o, "tree"));
}

TEST_CASE("bench options: --smoke shrinks the sizes unless they are given")
{
	Options smoke = parse({"--smoke"});
	CHECK(smoke.large_size == 4 << 20);
	CHECK(smoke.duration == doctest::Approx(0.2));
	CHECK(smoke.starts == 1);

	Options sized = parse({"--smoke", "--large-size", "1000"});
	CHECK(sized.large_size == 1000);
	CHECK(sized.duration == doctest::Approx(5.0));
}

TEST_CASE("bench options: lists and lower bounds")
{
	Options o = parse({"--concurrency", "0,4", "--phases", "large,small", "--reloads", "-3"});
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
	CHECK_THROWS_WITH_AS(parse({"--fast"}), "unknown option --fast (try --help)", UsageError);
}
