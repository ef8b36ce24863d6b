// SPDX-License-Identifier: MIT
#include "process-run.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include "fail.h"

extern char **environ;

namespace fileserver::bench {

pid_t start_process(const std::vector<std::string> &argv, const std::string &out_path,
                    const std::string &err_path)
{
	std::vector<char *> args;
	for (const std::string &a : argv)
		args.push_back(const_cast<char *>(a.c_str()));
	args.push_back(nullptr);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path.empty() ? "/dev/null" : out_path.c_str(),
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
	pid_t pid = -1;
	int r = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		die(sys_error("spawn " + argv[0], r));
	return pid;
}

int wait_process(pid_t pid)
{
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die(sys_error("waitpid"));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int run_process(const std::vector<std::string> &argv, const std::string &out_path,
                const std::string &err_path)
{
	return wait_process(start_process(argv, out_path, err_path));
}

} // namespace fileserver::bench
