// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>

#include <memory>

#include "util/signal-pipe.h"

using namespace fileserver;

TEST_CASE("SignalPipe turns a signal into a readable byte")
{
	struct sigaction old = {};
	sigaction(SIGUSR1, nullptr, &old);
	{
		std::unique_ptr<SignalPipe> pipe;
		REQUIRE(SignalPipe::create({SIGUSR1}, pipe) == 0);
		REQUIRE(pipe);
		CHECK(pipe->next() == 0); // nothing pending

		REQUIRE(raise(SIGUSR1) == 0); // the handler runs before raise() returns
		struct pollfd p = {pipe->fd(), POLLIN, 0};
		CHECK(poll(&p, 1, 0) == 1);
		CHECK(pipe->next() == SIGUSR1);
		CHECK(pipe->next() == 0);
	}
	sigaction(SIGUSR1, &old, nullptr);
}

TEST_CASE("SignalPipe::create reports a signal it cannot handle")
{
	std::unique_ptr<SignalPipe> pipe;
	CHECK(SignalPipe::create({SIGKILL}, pipe) == -EINVAL);
	CHECK_FALSE(pipe);
}
