// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

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

// Writes a configuration with a new queue name (and the keys of @settings),
// spawns the daemon with NOTIFY_SOCKET set to @notify's and waits for
// READY=1; dies if none comes.
Daemon start_daemon(const Options &o, const WorkDir &w, NotifySocket &notify,
                    const nlohmann::json &settings = nlohmann::json::object());

// Whether the daemon takes the configuration key @key with @value
// (`fileserverd --check-config`): a key that an older daemon does not know
// is passed only if it does.
bool daemon_accepts(const Options &o, const WorkDir &w, const std::string &key, const nlohmann::json &value);

// Stops the daemon and removes its queue; its exit status (128 + signal if
// killed).
int stop_daemon(Daemon &d);

} // namespace fileserver::bench
