// SPDX-License-Identifier: MIT
#pragma once

// The --daemonize mode's fork: daemon(7)'s fork, setsid, fork, with a status
// pipe through which the daemon tells the launching process how its start-up
// went; and the daemon's own first steps. run-daemonized.cpp puts them in
// order with environment.h, util/fd-hygiene.h and util/signal-reset.h.

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>

#include "launcher/exit-codes.h"
#include "util/unique-fd.h"

namespace fileserver {

// -- Forking ----------------------------------------------------------------

inline constexpr int kForkAttempts = 5;
inline constexpr std::chrono::milliseconds kForkRetryPause{500};

// fork(), retried after a pause while it fails with EAGAIN or ENOMEM
// (process limits, memory pressure: both pass), at most @attempts times.
// Throws std::system_error. @fork_fn is there for tests.
pid_t fork_retrying(pid_t (*fork_fn)() = ::fork, int attempts = kForkAttempts,
                    std::chrono::milliseconds pause = kForkRetryPause);

// The daemon's end of the status pipe to the launching process. Records:
// "pid N\n" once forked, then "ready\n", or "error CODE\n" followed by the
// message up to the end of the stream. Writes never raise SIGPIPE (the
// daemon ignores it) and failures are ignored: the launcher may be gone.
class StartupReport
{
public:
	StartupReport() = default;
	explicit StartupReport(UniqueFD fd) : fd_(std::move(fd)) {}

	[[nodiscard]] bool active() const { return fd_.valid(); }
	void started();
	void ready();
	void failed(int exit_code, const std::string &message);

private:
	void send(const std::string &record);
	UniqueFD fd_;
};

// What the launching process reports: the daemon's exit code (0 once it
// serves) and its error message.
struct LaunchOutcome {
	int exit_code = kExitFailure;
	std::string message;
};

// The launching side: reads the status pipe until the daemon is ready (and
// has closed its end), failed, vanished, or @timeout passed (then it kills
// it). Reaps the
// intermediate process @child. Public for tests.
LaunchOutcome wait_for_daemon(UniqueFD status, pid_t child, std::chrono::seconds timeout);

// daemon(7)'s fork, setsid, fork, with a status pipe created first and every
// signal blocked around each fork. In the launching process, returns what
// wait_for_daemon() says. In the daemon (not a session leader, so it can
// never acquire a terminal again), returns nullopt with @report connected,
// every signal still blocked (unblock once handlers are in place) and
// SIGPIPE ignored. Throws std::system_error if the first fork fails.
std::optional<LaunchOutcome> daemonize(StartupReport &report, std::chrono::seconds timeout);

// -- In the daemon ----------------------------------------------------------

// Points 0, 1 and 2 at /dev/null. Throws StartupError.
void detach_std_fds();

// chdir("/"); with @chroot_dir, chroot there first. Throws StartupError.
void enter_root_directory(const std::string &chroot_dir);

} // namespace fileserver
