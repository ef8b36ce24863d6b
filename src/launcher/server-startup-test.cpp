// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <signal.h>

#include "launcher/exit-codes.h"
#include "launcher/server-startup.h"

using namespace fileserver;

TEST_CASE("the launcher maps how the server failed or ended to exit codes")
{
	CHECK(exit_code_for(StartFailure::kFailure) == kExitFailure);
	CHECK(exit_code_for(StartFailure::kPermission) == kExitPermission);
	CHECK(exit_code_for(StartFailure::kNotConfigured) == kExitNotConfigured);
	CHECK(exit_code_after(RunEnd::kStopped) == kExitSuccess);
	CHECK(exit_code_after(RunEnd::kFailed) == kExitFailure);
}

TEST_CASE("open_signal_pipe throws StartupError for a signal it cannot handle")
{
	CHECK_THROWS_AS(open_signal_pipe({SIGKILL}), StartupError);
}

TEST_CASE("the server's start-up failures carry their kind")
{
	try {
		open_root("/nonexistent/fstest-root");
		FAIL("no exception");
	} catch (const ServerStartError &e) {
		CHECK(e.kind() == StartFailure::kNotConfigured);
		CHECK(exit_code_for(e.kind()) == kExitNotConfigured);
	}
}
