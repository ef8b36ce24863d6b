// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "cli/fetch.h"

using namespace fileserver;
using namespace fileserver::cli;

TEST_CASE("fetch: the summary line")
{
	FetchTally t;
	CHECK(summary_line(t) == "0 files, 0 bytes fetched; 0 failed");
	t.files = 3;
	t.bytes = 12345678901ULL;
	t.failed = 2;
	CHECK(summary_line(t) == "3 files, 12345678901 bytes fetched; 2 failed");
}
