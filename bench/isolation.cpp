// SPDX-License-Identifier: MIT
#include "isolation.h"

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "fail.h"
#include "text-file.h"
#include "util/io.h"
#include "util/random.h"

namespace fileserver::bench {

namespace {

int drop_to(uid_t uid, uid_t saved)
{
	if (setgroups(0, nullptr) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, saved) < 0)
		return -errno;
	return 0;
}

// Set by become(): client processes take the uids above it.
uid_t g_private_uid = 0;

} // namespace

void enter_ipc_namespace(const MqueueLimits &limits)
{
	// A new namespace starts with the kernel's defaults, not the host's.
	const std::pair<const char *, long> keys[] = {{"msgsize_max", limits.msgsize_max},
	                                              {"msg_max", limits.msg_max},
	                                              {"queues_max", limits.queues_max}};
	std::vector<std::pair<std::string, long>> values;
	for (auto [key, value] : keys) {
		std::string path = std::string("/proc/sys/fs/mqueue/") + key;
		values.emplace_back(path, value > 0 ? value : read_proc_long(path.c_str(), 0));
	}
	uid_t uid = geteuid();
	// Root again (the saved uid) for the namespace and its limits only.
	if (uid != 0 && setresuid(static_cast<uid_t>(-1), 0, static_cast<uid_t>(-1)) < 0)
		die(sys_error("private IPC namespace: back to root (needs root)"));
	if (unshare(CLONE_NEWIPC) < 0)
		die(sys_error("private IPC namespace: unshare(CLONE_NEWIPC) (needs root)"));
	for (const auto &[path, value] : values)
		if (value > 0)
			write_text(path, std::to_string(value));
	if (uid != 0 && setresuid(static_cast<uid_t>(-1), uid, static_cast<uid_t>(-1)) < 0)
		die(sys_error("private IPC namespace: back to uid " + std::to_string(uid)));
}

bool can_enter_ipc_namespace()
{
	uid_t r = 0, e = 0, s = 0;
	return getresuid(&r, &e, &s) == 0 && (e == 0 || s == 0);
}

uid_t pick_private_uid(const std::string &daemon)
{
	if (geteuid() != 0)
		return 0;
	for (int attempt = 0; attempt < 8; attempt++) {
		uid_t uid = static_cast<uid_t>(1000000000 + random_u64() % 3000000000ULL);
		pid_t pid = fork();
		if (pid < 0)
			return 0;
		if (pid == 0) {
			if (drop_to(uid, uid) < 0)
				_exit(2);
			_exit(access(daemon.c_str(), X_OK) == 0 ? 0 : 1);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return uid;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
			return 0; // that uid cannot run the daemon: none will
	}
	return 0;
}

void chown_tree(const std::string &top, uid_t uid)
{
	auto give = [&](const std::string &path) {
		if (lchown(path.c_str(), uid, uid) < 0)
			die(sys_error("chown " + path));
	};
	for (auto &e : std::filesystem::recursive_directory_iterator(top))
		give(e.path());
	give(top);
}

void become(uid_t uid)
{
	int r = 0;
	if (setgroups(0, nullptr) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, 0) < 0)
		r = -errno;
	if (r < 0)
		die(sys_error("switching to uid " + std::to_string(uid), r));
	g_private_uid = uid;
}

bool clients_have_own_uids()
{
	return g_private_uid != 0;
}

uid_t client_uid(int t)
{
	// Picked at random among a billion uids above 10^9: the next few are
	// as unused as it is.
	return g_private_uid ? g_private_uid + 1 + static_cast<uid_t>(t) : geteuid();
}

int become_client(uid_t uid)
{
	if (uid == geteuid())
		return 0;
	// Root again (the saved uid), only to leave it for good.
	if (setresuid(static_cast<uid_t>(-1), 0, static_cast<uid_t>(-1)) < 0)
		return -errno;
	return drop_to(uid, g_private_uid ? g_private_uid : uid);
}

int start_client_process(pid_t parent, uid_t uid)
{
	int e = become_client(uid);
	if (e < 0)
		return e;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -errno;
	return getppid() == parent ? 0 : -ECHILD;
}

} // namespace fileserver::bench
