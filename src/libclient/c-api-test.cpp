// SPDX-License-Identifier: MIT
// The C API where no server is needed: argument checks, the per-thread
// error message, NULL handling, the signal-time cleanup. Linked against the
// shared library itself.

#include <doctest/doctest.h>

#include <mqueue.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>

#include "client/interrupted-open-test-helpers.h"
#include "fileserver/client.h"
#include "util/random.h"

namespace {

std::string message()
{
	return fileserver_error_message();
}

int ignore_data(void *, std::uint64_t, const void *, std::size_t)
{
	return 0;
}

// A queue name nobody serves.
std::string missing_queue()
{
	return "/fileserver-capi-test-" + std::to_string(fileserver::random_u64());
}

} // namespace

TEST_CASE("a thread that has not failed has an empty message")
{
	std::string seen = "unset";
	std::thread([&] { seen = message(); }).join();
	CHECK(seen.empty());
}

TEST_CASE("close and list_close accept NULL")
{
	fileserver_session_close(nullptr);
	fileserver_list_close(nullptr);
}

TEST_CASE("NULL arguments fail with -EINVAL and name the argument")
{
	struct fileserver_stat st = {};
	fileserver_dir *dir = nullptr;
	const fileserver_dirent *entry = nullptr;
	char *json = nullptr;
	char version[16];

	CHECK(fileserver_session_open(nullptr, 0, nullptr) == -EINVAL);
	CHECK(message().find("out") != std::string::npos);

	CHECK(fileserver_ping(nullptr, version, sizeof version) == -EINVAL);
	CHECK(message().find("session") != std::string::npos);
	CHECK(fileserver_status(nullptr, &json) == -EINVAL);
	CHECK(json == nullptr);
	CHECK(fileserver_stat(nullptr, "/a", &st) == -EINVAL);
	CHECK(fileserver_get_fd(nullptr, "/a", 0, UINT64_MAX, 1, &st) == -EINVAL);
	CHECK(fileserver_get_cb(nullptr, "/a", 0, UINT64_MAX, ignore_data, nullptr, &st) == -EINVAL);
	CHECK(fileserver_get_ahead(nullptr, "/a", 0, UINT64_MAX) == -EINVAL);
	CHECK(message() == "fileserver_get_ahead: session is NULL");
	CHECK(fileserver_list_open(nullptr, "/", &dir) == -EINVAL);
	CHECK(dir == nullptr);
	CHECK(fileserver_list_open(nullptr, "/", nullptr) == -EINVAL);
	CHECK(fileserver_list_next(nullptr, &entry) == -EINVAL);
	CHECK(message() == "fileserver_list_next: dir is NULL");
}

TEST_CASE("a queue name that is not one fails with -EINVAL before any contact")
{
	for (const char *bad : {"", "/", "fileserver", "/a/b", "//"}) {
		CAPTURE(bad);
		fileserver_session *s = reinterpret_cast<fileserver_session *>(1);
		CHECK(fileserver_session_open(bad, 0, &s) == -EINVAL);
		CHECK(s == nullptr);
		CHECK(message().find("queue name") != std::string::npos);
	}
	std::string long_name = "/" + std::string(255, 'q');
	fileserver_session *s = nullptr;
	CHECK(fileserver_session_open(long_name.c_str(), 0, &s) == -EINVAL);
}

TEST_CASE("a missing server queue fails with -ECONNREFUSED and says so")
{
	std::string q = missing_queue();
	fileserver_session *s = reinterpret_cast<fileserver_session *>(1);
	CHECK(fileserver_session_open(q.c_str(), 200, &s) == -ECONNREFUSED);
	CHECK(s == nullptr);
	CHECK(message().find(q) != std::string::npos);
}

TEST_CASE("the error message belongs to the thread that failed")
{
	CHECK(fileserver_list_next(nullptr, nullptr) == -EINVAL);
	std::string mine = message();
	std::string before, theirs;
	std::thread([&] {
		before = message();
		std::string q = missing_queue();
		fileserver_session *s = nullptr;
		CHECK(fileserver_session_open(q.c_str(), 200, &s) == -ECONNREFUSED);
		theirs = message();
	}).join();
	CHECK(before.empty());
	CHECK(theirs.find("no server queue") != std::string::npos);
	CHECK(message() == mine);
}

TEST_CASE("the message stays until the thread's next failure")
{
	CHECK(fileserver_status(nullptr, nullptr) == -EINVAL);
	std::string first = message();
	fileserver_session_close(nullptr);
	fileserver_list_close(nullptr);
	CHECK(message() == first);
	CHECK(fileserver_list_next(nullptr, nullptr) == -EINVAL);
	CHECK(message() != first);
}

namespace {

void on_term(int)
{
	fileserver_signal_cleanup();
	_exit(3);
}

} // namespace

TEST_CASE("fileserver_signal_cleanup removes the reply queue of a session being opened")
{
	auto r = fileserver::test::interrupt_open(
	        [](const std::string &server) {
		        signal(SIGTERM, on_term);
		        fileserver_session *s = nullptr;
		        fileserver_session_open(server.c_str(), 10000, &s);
	        },
	        SIGTERM);
	REQUIRE(r.reply_queue.starts_with("/fileserver-client-"));
	CHECK(WIFEXITED(r.status));
	CHECK(WEXITSTATUS(r.status) == 3);
	CHECK_FALSE(fileserver::test::queue_exists(r.reply_queue));
	mq_unlink(r.reply_queue.c_str());
}
