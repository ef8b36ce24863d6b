// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <string>

namespace fileserver::bench {

struct Options;
struct WorkDir;
class NotifySocket;

// A running fileserverd on a private queue.
struct Daemon {
	pid_t pid = -1;
	std::string queue;
	double ready_sec = 0; // from spawn to READY=1
};

// Writes a configuration with a new queue name, spawns the daemon with
// NOTIFY_SOCKET set to @notify's and waits for READY=1; dies if none comes.
Daemon start_daemon(const Options &o, const WorkDir &w, NotifySocket &notify);

// Stops the daemon and removes its queue; its exit status (128 + signal if
// killed).
int stop_daemon(Daemon &d);

} // namespace fileserver::bench
