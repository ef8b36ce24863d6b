// SPDX-License-Identifier: MIT
#include "sysv-exchange.h"

#include <sys/msg.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "sysv-message.h"

namespace fileserver::bench::sysv {

namespace {

volatile sig_atomic_t g_reply = -1;

// Receives the reply stream; 0 when the file came whole, else an errno.
int receive(int reply, const Sink &sink, const char **why)
{
	Message m{};
	for (;;) {
		ssize_t n = msgrcv(reply, &m, sizeof(m.text), 0, 0);
		if (n < 0) {
			if (why)
				*why = "msgrcv";
			return errno;
		}
		if (m.mtype == kEnd) {
			int err = 0;
			std::memcpy(&err, m.text, sizeof(err));
			if (why && err != 0)
				*why = "server";
			return err;
		}
		if (!sink(m.text, static_cast<std::size_t>(n))) {
			if (why)
				*why = "output";
			return EIO;
		}
	}
}

} // namespace

int fetch(int server, const char *path, const Sink &sink, const char **why)
{
	// Writable by others: the server may run as another user.
	int reply = msgget(IPC_PRIVATE, IPC_CREAT | 0622);
	if (reply < 0) {
		if (why)
			*why = "msgget (reply queue)";
		return errno;
	}
	g_reply = reply;
	Message req{};
	req.mtype = kRequest;
	int len = std::snprintf(req.text, sizeof(req.text), "%d %s", reply, path);
	int err = 0;
	if (len < 0 || static_cast<std::size_t>(len) >= sizeof(req.text)) {
		if (why)
			*why = "path too long";
		err = ENAMETOOLONG;
	} else if (msgsnd(server, &req, static_cast<std::size_t>(len), 0) < 0) {
		if (why)
			*why = "msgsnd";
		err = errno;
	} else {
		err = receive(reply, sink, why);
	}
	msgctl(reply, IPC_RMID, nullptr);
	g_reply = -1;
	return err;
}

int current_reply_queue()
{
	return g_reply;
}

} // namespace fileserver::bench::sysv
