// SPDX-License-Identifier: MIT
// fileserver-sysv-server KEY ROOT: the classic SysV message queue file
// server, the baseline of the benchmark's CLI phase (bench/cli-phase.cpp).
// One queue at KEY (msgget); per request (msgrcv) one child (fork) that
// opens ROOT/PATH and sends the file back with msgsnd, in chunks, to the
// client's own reply queue (sysv-message.h). No worker pool, no access
// policy beyond staying under ROOT, no logging: what a fork-per-request
// server of the kind fileserverd replaces costs no more than this.
//
// Exits 0 on SIGTERM or SIGINT (removing its queue), 1 if it cannot start,
// 3 if a queue already exists at KEY. It also stops when its parent dies,
// so that a benchmark that fails leaves no server behind.

#include <fcntl.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sysv-message.h"

using namespace fileserver::bench::sysv;

namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop(int)
{
	g_stop = 1;
}

std::size_t chunk_size()
{
	std::size_t chunk = kMaxPayload;
	if (FILE *f = std::fopen("/proc/sys/kernel/msgmax", "re")) {
		long v = 0;
		if (std::fscanf(f, "%ld", &v) == 1 && v > 0)
			chunk = std::min(chunk, static_cast<std::size_t>(v));
		std::fclose(f);
	}
	return chunk;
}

// ".." anywhere, or an absolute path: refused, as any server must.
bool leaves_root(const std::string &path)
{
	if (path.empty() || path[0] == '/')
		return true;
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string::npos)
			end = path.size();
		if (path.compare(start, end - start, "..") == 0)
			return true;
		start = end + 1;
	}
	return false;
}

void send_end(int reply, int err)
{
	Message m{};
	m.mtype = kEnd;
	std::memcpy(m.text, &err, sizeof(err));
	while (msgsnd(reply, &m, sizeof(err), 0) < 0 && errno == EINTR) {
	}
}

// The child: one request, start to end.
[[noreturn]] void serve(int root, const Message &req, std::size_t len, std::size_t chunk)
{
	std::string text(req.text, len);
	std::size_t space = text.find(' ');
	if (space == std::string::npos)
		_exit(1);
	int reply = std::atoi(text.c_str());
	std::string path = text.substr(space + 1);
	if (leaves_root(path)) {
		send_end(reply, EACCES);
		_exit(0);
	}
	int fd = openat(root, path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		send_end(reply, fd < 0 ? errno : EISDIR);
		_exit(0);
	}
	Message m{};
	m.mtype = kData;
	for (;;) {
		ssize_t n = read(fd, m.text, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			send_end(reply, n < 0 ? errno : 0);
			_exit(0);
		}
		// A client that went away took its queue with it: EIDRM ends us.
		while (msgsnd(reply, &m, static_cast<std::size_t>(n), 0) < 0)
			if (errno != EINTR)
				_exit(1);
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::fprintf(stderr, "usage: fileserver-sysv-server KEY ROOT\n");
		return 1;
	}
	key_t key = static_cast<key_t>(std::strtol(argv[1], nullptr, 0));
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;

	struct sigaction sa {
	};
	sa.sa_handler = on_stop; // no SA_RESTART: msgrcv returns EINTR
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	signal(SIGCHLD, SIG_IGN); // children reap themselves

	int root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		std::perror(argv[2]);
		return 1;
	}
	int q = msgget(key, IPC_CREAT | IPC_EXCL | 0622);
	if (q < 0) {
		std::perror("msgget");
		return errno == EEXIST ? 3 : 1;
	}
	std::size_t chunk = chunk_size();
	Message req{};
	while (!g_stop) {
		ssize_t n = msgrcv(q, &req, sizeof(req.text) - 1, kRequest, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::perror("msgrcv");
			break;
		}
		pid_t child = fork();
		if (child == 0)
			serve(root, req, static_cast<std::size_t>(n), chunk);
		if (child < 0)
			std::perror("fork");
	}
	msgctl(q, IPC_RMID, nullptr);
	return g_stop ? 0 : 1;
}
