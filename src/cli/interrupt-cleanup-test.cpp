// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/interrupt-cleanup.h"
#include "client/interrupted-open-test-helpers.h"
#include "client/signal-cleanup.h"
#include "fileserver/client.h"
#include "util/unique-fd.h"

using namespace fileserver;

namespace {

// In the child: a temporary file of the program's own registry, then a
// session open that waits for its CHALLENGE.
void open_with_temp_file(const std::string &server, const std::string &temp)
{
	UniqueFD fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	if (!fd.valid() || cleanup_register(CleanupKind::File, temp) < 0)
		_exit(2);
	fileserver_session *s = nullptr;
	fileserver_session_open(server.c_str(), 10000, &s);
}

std::string temp_name()
{
	return "/tmp/fileserver-unit-interrupt-" + std::to_string(getpid()) + "-" +
	       std::to_string(random_u64());
}

} // namespace

TEST_CASE("interrupt cleanup: the library's reply queue and the program's temporary file go, then the "
          "signal kills")
{
	for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
		CAPTURE(sig);
		std::string temp = temp_name();
		auto r = test::interrupt_open(
		        [&](const std::string &server) {
			        cli::install_interrupt_cleanup();
			        open_with_temp_file(server, temp);
		        },
		        sig);
		REQUIRE(r.reply_queue.starts_with("/fileserver-client-"));
		CHECK(WIFSIGNALED(r.status));
		CHECK(WTERMSIG(r.status) == sig);
		CHECK_FALSE(test::queue_exists(r.reply_queue));
		CHECK(access(temp.c_str(), F_OK) < 0);
		mq_unlink(r.reply_queue.c_str());
		unlink(temp.c_str());
	}
}

TEST_CASE("interrupt cleanup: without the handlers, the same signal leaves both behind")
{
	// The control: what the handlers remove above is really there.
	std::string temp = temp_name();
	auto r = test::interrupt_open(
	        [&](const std::string &server) {
		        signal(SIGTERM, SIG_DFL); // not the test framework's handler
		        open_with_temp_file(server, temp);
	        },
	        SIGTERM);
	CHECK(WIFSIGNALED(r.status));
	CHECK(test::queue_exists(r.reply_queue));
	CHECK(access(temp.c_str(), F_OK) == 0);
	mq_unlink(r.reply_queue.c_str());
	unlink(temp.c_str());
}
