// SPDX-License-Identifier: MIT
// fileserver-sysv-client KEY PATH: the classic client of
// fileserver-sysv-server (sysv-server.cpp): makes its own reply queue, sends
// the request, writes the file it receives to standard output, removes its
// queue. Exit status 0 when the whole file came, 1 otherwise (10 s at most).

#include <signal.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sysv-message.h"

using namespace fileserver::bench::sysv;

namespace {

int g_reply = -1;

// The server or its child went away: leave no queue behind.
void on_timeout(int)
{
	msgctl(g_reply, IPC_RMID, nullptr);
	_exit(1);
}

bool write_all(const char *p, std::size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= static_cast<std::size_t>(w);
	}
	return true;
}

// Receives the reply stream; 0 when the file came whole.
int receive(int reply)
{
	Message m{};
	for (;;) {
		ssize_t n = msgrcv(reply, &m, sizeof(m.text), 0, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::perror("msgrcv");
			return 1;
		}
		if (m.mtype == kEnd) {
			int err = 0;
			std::memcpy(&err, m.text, sizeof(err));
			if (err != 0)
				std::fprintf(stderr, "fileserver-sysv-client: %s\n", std::strerror(err));
			return err == 0 ? 0 : 1;
		}
		if (!write_all(m.text, static_cast<std::size_t>(n))) {
			std::perror("write");
			return 1;
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: fileserver-sysv-client KEY PATH\n");
		return 1;
	}
	key_t key = static_cast<key_t>(std::strtol(argv[1], nullptr, 0));
	int server = msgget(key, 0);
	if (server < 0) {
		std::perror("msgget (server)");
		return 1;
	}
	signal(SIGALRM, on_timeout);
	// Writable by others: the server may run as another user.
	g_reply = msgget(IPC_PRIVATE, IPC_CREAT | 0622);
	if (g_reply < 0) {
		std::perror("msgget (reply queue)");
		return 1;
	}
	alarm(10);

	Message req{};
	req.mtype = kRequest;
	int len = std::snprintf(req.text, sizeof(req.text), "%d %s", g_reply, argv[2]);
	int status = 1;
	if (len < 0 || static_cast<std::size_t>(len) >= sizeof(req.text))
		std::fprintf(stderr, "fileserver-sysv-client: path too long\n");
	else if (msgsnd(server, &req, static_cast<std::size_t>(len), 0) < 0)
		std::perror("msgsnd");
	else
		status = receive(g_reply);
	alarm(0);
	msgctl(g_reply, IPC_RMID, nullptr);
	return status;
}
