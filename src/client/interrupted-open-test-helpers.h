// SPDX-License-Identifier: MIT
#pragma once

// For the tests of signal-time cleanup: a child process opens a session on
// a server queue that never answers, so that its reply queue is named and
// waiting; once its OPEN has arrived, the child gets a signal. What is left
// of the queue name then tells whether the handlers removed it.

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "util/mqueue.h"
#include "util/random.h"

namespace fileserver::test {

struct InterruptedOpen {
	std::string reply_queue; // as the OPEN named it, with its '/'
	int status = 0;          // the child's, from waitpid()
};

// @open_session runs in the child with the server queue's name and should
// not return (it waits for a CHALLENGE that never comes).
inline InterruptedOpen interrupt_open(const std::function<void(const std::string &)> &open_session, int sig)
{
	char name[64];
	std::snprintf(name, sizeof(name), "/fileserver-unit-%d-%016llx", getpid(),
	              static_cast<unsigned long long>(random_u64()));
	MessageQueue server;
	REQUIRE(MessageQueue::create(name, O_RDONLY, 0600, 4, 1024, server) == 0);
	InterruptedOpen out;
	pid_t child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		struct rlimit no_core = {0, 0}; // SIGQUIT would dump one
		setrlimit(RLIMIT_CORE, &no_core);
		open_session(name);
		_exit(1);
	}
	std::vector<std::uint8_t> buf(1024);
	long n = server.receive(buf, std::chrono::seconds(10));
	protocol::Request open;
	if (n > 0 && protocol::decode_request(std::span(buf.data(), static_cast<std::size_t>(n)), open) ==
	                     protocol::Status::Ok)
		out.reply_queue = open.reply_queue;
	kill(child, sig);
	waitpid(child, &out.status, 0);
	mq_unlink(name);
	CHECK(open.op == protocol::Op::Open);
	return out;
}

// Whether a queue of that name exists.
inline bool queue_exists(const std::string &name)
{
	MessageQueue q;
	return MessageQueue::open(name, O_WRONLY, q) != -ENOENT;
}

} // namespace fileserver::test
