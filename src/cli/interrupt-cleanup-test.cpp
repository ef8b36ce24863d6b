// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "cli/interrupt-cleanup.h"

using namespace fileserver::cli;

TEST_CASE("interrupt cleanup: only this process's reply queue names")
{
	CHECK(is_reply_queue_of("fileserver-client-1234-5678-0123456789abcdef", 1234));
	CHECK(is_reply_queue_of("fileserverctl-1234-0123456789abcdef", 1234));
	CHECK_FALSE(is_reply_queue_of("fileserver-client-12345-5678-0123456789abcdef", 1234));
	CHECK_FALSE(is_reply_queue_of("fileserver-client-123-5678-0123456789abcdef", 1234));
	CHECK_FALSE(is_reply_queue_of("fileserver-client-1234", 1234));
	CHECK_FALSE(is_reply_queue_of("fileserver", 1234));
	CHECK_FALSE(is_reply_queue_of("fileserverd-1234-x", 1234));
	CHECK(is_reply_queue_of("fileserverctl-0-x", 0));
}
