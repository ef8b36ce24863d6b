// SPDX-License-Identifier: MIT
#include "ipc-namespace-child.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <new>

#include "fail.h"
#include "text-file.h"
#include "util/io.h"
#include "util/unique-fd.h"

namespace fileserver::bench {

nlohmann::json run_in_ipc_namespace(const std::string &what, const MqueueLimits &limits,
                                    const std::function<nlohmann::json()> &body)
{
	// A file, not a pipe: the child's own children (forked, not executed)
	// inherit the descriptor, and one that outlived it would hold a pipe
	// open.
	UniqueFD results(memfd_create("fileserver-bench-results", MFD_CLOEXEC));
	if (!results)
		die(sys_error("memfd_create"));
	// Where the child says which daemon it runs, for a die() here.
	void *shared = mmap(nullptr, sizeof(std::atomic<pid_t>), PROT_READ | PROT_WRITE,
	                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die(sys_error("mmap"));
	g_leftovers.child_daemon = new (shared) std::atomic<pid_t>(-1);
	std::fflush(stdout);
	std::fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		die(sys_error("fork"));
	if (pid == 0) {
		// What a die() here removes is this child's: its own daemon, not
		// the parent's, nor the work directory the parent still uses.
		g_leftovers.daemon.store(-1);
		g_leftovers.queue[0] = 0;
		g_leftovers.work_dir[0] = 0;
		enter_ipc_namespace(limits);
		// After the uid changes of enter_ipc_namespace(), which clear it.
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		std::string text = body().dump();
		std::fflush(stdout);
		_exit(write_all(results.get(), text) == 0 ? 0 : 1);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	lseek(results.get(), 0, SEEK_SET);
	std::string text = read_fd(results.get());
	// Killed, it may have left its daemon running: die() kills that one.
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(what + ": its process (in a private IPC namespace) failed");
	g_leftovers.child_daemon = nullptr;
	munmap(shared, sizeof(std::atomic<pid_t>));
	nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
	if (j.is_discarded())
		die(what + ": its process (in a private IPC namespace) sent no results");
	return j;
}

} // namespace fileserver::bench
