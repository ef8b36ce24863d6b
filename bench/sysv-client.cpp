// SPDX-License-Identifier: MIT
// fileserver-sysv-client KEY PATH: the classic client of
// fileserver-sysv-server (sysv-server.cpp): makes its own reply queue, sends
// the request, writes the file it receives to standard output, removes its
// queue (sysv-exchange.h). Exit status 0 when the whole file came, 1
// otherwise (10 s at most).

#include <signal.h>
#include <sys/msg.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "sysv-exchange.h"

using namespace fileserver::bench::sysv;

namespace {

// The server or its child went away: leave no queue behind.
void on_timeout(int)
{
	msgctl(current_reply_queue(), IPC_RMID, nullptr);
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
	alarm(10);
	const char *why = "";
	int err = fetch(server, argv[2], write_all, &why);
	alarm(0);
	if (err != 0)
		std::fprintf(stderr, "fileserver-sysv-client: %s: %s\n", why, std::strerror(err));
	return err == 0 ? 0 : 1;
}
