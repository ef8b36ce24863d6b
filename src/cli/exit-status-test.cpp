// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

#include "cli/exit-status.h"

using namespace fileserver;
using namespace fileserver::cli;

namespace {

int status_of(int code)
{
	return to_int(exit_status(Error{code, "why"}));
}

} // namespace

TEST_CASE("exit status: the documented numbers")
{
	CHECK(to_int(ExitStatus::Ok) == 0);
	CHECK(to_int(ExitStatus::Failed) == 1);
	CHECK(to_int(ExitStatus::Usage) == 2);
	CHECK(to_int(ExitStatus::NotFound) == 3);
	CHECK(to_int(ExitStatus::Refused) == 4);
	CHECK(to_int(ExitStatus::Unreachable) == 5);
	CHECK(to_int(ExitStatus::Protocol) == 6);
	CHECK(to_int(ExitStatus::Busy) == 7);
}

TEST_CASE("exit status: the client's own conditions")
{
	CHECK(status_of(ECONNREFUSED) == 5);
	CHECK(status_of(EHOSTUNREACH) == 5);
	CHECK(status_of(ETIMEDOUT) == 5);
	CHECK(status_of(EPROTO) == 6);
	CHECK(status_of(EBADMSG) == 6);
	CHECK(status_of(EIO) == 1);
	CHECK(status_of(ENAMETOOLONG) == 4); // path too long for a request
	CHECK(status_of(EMSGSIZE) == 4);     // request too large for the server's queue
	CHECK(status_of(EMFILE) == 1);       // reply queue budget used up
	CHECK(status_of(ENOSPC) == 1);
}

TEST_CASE("exit status: server ERROR codes by class")
{
	CHECK(status_of(ENOENT) == 3);
	CHECK(status_of(ENOTDIR) == 3);
	CHECK(status_of(EACCES) == 4);
	CHECK(status_of(EPERM) == 4);
	CHECK(status_of(EISDIR) == 4);
	CHECK(status_of(EINVAL) == 4);
	CHECK(status_of(ERANGE) == 4);
	CHECK(status_of(EBUSY) == 7);
	CHECK(status_of(EAGAIN) == 7);
	CHECK(status_of(ESHUTDOWN) == 5);
	CHECK(status_of(EIO) == 1);
	CHECK(status_of(ESTALE) == 1); // the file changed while it was sent
	CHECK(status_of(0) == 0);
}

TEST_CASE("exit status: the worst of several failures, in the documented order")
{
	const ExitStatus order[] = {ExitStatus::Ok,       ExitStatus::NotFound, ExitStatus::Refused,
	                            ExitStatus::Busy,     ExitStatus::Failed,   ExitStatus::Unreachable,
	                            ExitStatus::Protocol, ExitStatus::Usage};
	for (std::size_t i = 0; i < std::size(order); i++)
		for (std::size_t j = 0; j < std::size(order); j++) {
			CAPTURE(i);
			CAPTURE(j);
			CHECK(worst(order[i], order[j]) == order[std::max(i, j)]);
		}
	CHECK(worst(ExitStatus::Refused, ExitStatus::NotFound) == ExitStatus::Refused);
	CHECK(worst(ExitStatus::Ok, ExitStatus::NotFound) == ExitStatus::NotFound);
}
