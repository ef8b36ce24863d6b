// SPDX-License-Identifier: MIT
#include "sysv-server-process.h"

#include <signal.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "fail.h"
#include "process-run.h"
#include "text-file.h"
#include "work-dir.h"

namespace fileserver::bench {

SysvServer start_sysv_server(const WorkDir &w, const std::string &err_log)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		SysvServer s;
		s.key = static_cast<key_t>(0x46530000 ^ (getpid() << 4) ^ attempt);
		s.pid = start_process({FILESERVER_BENCH_SYSV_SERVER, std::to_string(s.key), w.root}, "",
		                      err_log);
		for (int i = 0; i < 500; i++) {
			if (msgget(s.key, 0) >= 0)
				return s;
			int st = 0;
			if (waitpid(s.pid, &st, WNOHANG) == s.pid) {
				if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
					break; // the key is taken: another one
				die("the classic SysV server did not start: " + read_text(err_log));
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		if (msgget(s.key, 0) < 0 && kill(s.pid, 0) == 0)
			die("the classic SysV server made no queue in 5 s");
	}
	die("no free SysV key for the classic server");
}

void stop_sysv_server(const SysvServer &s)
{
	kill(s.pid, SIGTERM);
	wait_process(s.pid);
	int q = msgget(s.key, 0);
	if (q >= 0)
		msgctl(q, IPC_RMID, nullptr);
}

} // namespace fileserver::bench
