// SPDX-License-Identifier: MIT
#pragma once

// Re-executing a daemon in place on SIGUSR2: the old image hands its queue,
// its PID file and its running configuration to the new one through the
// environment and descriptors kept open across execve().

#include <span>
#include <string>
#include <vector>

namespace fileserver {

// Wraps the handlers installed for SIGTERM and SIGINT (the SignalPipe's) so
// that termination_requested() says whether one came. Server::run() reads
// every pending signal before it returns: with a SIGUSR2 among them it
// reports a re-exec request even though a SIGTERM asked to stop, and a
// SIGTERM that lands after it returned would otherwise only reach the pipe.
void watch_termination_signals();
[[nodiscard]] bool termination_requested();

// The environment by which a daemon hands its state to its re-executed image.
inline constexpr const char *kReexecQueueFdVar = "FILESERVER_REEXEC_QUEUE_FD";
inline constexpr const char *kReexecPidfileFdVar = "FILESERVER_REEXEC_PIDFILE_FD";
inline constexpr const char *kReexecConfigVar = "FILESERVER_REEXEC_CONFIG";

// A descriptor number from variable @name (unset from the environment),
// or -1 if it is not set. Throws StartupError if it is not a descriptor.
int take_fd_from_env(const char *name);

// execve(@exe, @args) with the current environment plus @extra_env
// (NAME=VALUE, replacing same-named variables), keeping @keep_fds open
// across it. If @exe is gone (ENOENT), runs /proc/self/exe instead.
// Returns only on failure, with -errno and FD_CLOEXEC back on @keep_fds.
int reexec(const std::string &exe, const std::vector<std::string> &args,
           const std::vector<std::string> &extra_env, std::span<const int> keep_fds);

} // namespace fileserver
