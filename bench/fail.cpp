// SPDX-License-Identifier: MIT
#include "fail.h"

#include <mqueue.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "util/errno-util.h"

namespace fileserver::bench {

Leftovers g_leftovers;

void die(const std::string &why)
{
	std::fprintf(stderr, "fileserver-bench: %s\n", why.c_str());
	pid_t pid = g_leftovers.daemon.exchange(-1);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, nullptr, 0);
	}
	pid = g_leftovers.child_daemon ? g_leftovers.child_daemon->exchange(-1) : -1;
	if (pid > 0)
		kill(pid, SIGKILL); // not ours to reap
	if (g_leftovers.queue[0])
		mq_unlink(g_leftovers.queue);
	if (g_leftovers.work_dir[0] && !g_leftovers.keep_work_dir) {
		std::error_code ec;
		std::filesystem::remove_all(g_leftovers.work_dir, ec);
	}
	std::_Exit(1);
}

std::string sys_error(const std::string &what, int err)
{
	return what + ": " + errno_string(err);
}

} // namespace fileserver::bench
