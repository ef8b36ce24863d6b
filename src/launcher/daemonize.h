// SPDX-License-Identifier: MIT
#pragma once

// The building blocks of the --daemonize mode: a SysV daemon as daemon(7)
// describes it. fileserverd.cpp puts them in order.

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/server.h"
#include "util/unique-fd.h"

namespace fileserver {

// -- Before forking ---------------------------------------------------------

// Opens /dev/null on whichever of 0, 1 and 2 is closed, so that no
// descriptor opened later takes their place. Throws std::system_error.
void ensure_std_fds();

// Closes every descriptor above 2 but @keep (close_range(2), else a walk
// of /proc/self/fd).
void close_fds_except(std::span<const int> keep = {});

// Puts every signal's disposition back to SIG_DFL, up to _NSIG.
void reset_signal_handlers();

// Blocks every signal; returns the previous mask.
sigset_t block_all_signals();
void set_signal_mask(const sigset_t &mask);
void unblock_all_signals();

// The PATH a daemon gets, whatever it was started with.
inline constexpr const char *kSafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The variables of @envp (NAME=VALUE) that a daemon keeps: the locale
// (LANG, LANGUAGE, LC_*), TZ, and the sanitizers' options of test builds;
// then PATH=kSafePath. Everything else goes, notably LD_*, IFS, HOME, and
// what would make it believe it runs under systemd (LISTEN_FDS,
// NOTIFY_SOCKET, JOURNAL_STREAM).
std::vector<std::string> filter_environment(char **envp);
// Replaces the environment with filter_environment(environ).
void sanitize_environment();
// Runs this program again (same binary, same @argv) with the filtered
// environment, unless it already is: variables that act at exec time
// (LD_PRELOAD, GLIBC_TUNABLES, ...) only go away that way, and
// /proc/PID/environ then shows what the daemon really has. Returns when
// there is nothing to do or the exec failed; sanitize_environment() then
// does the rest in place.
void reexec_with_clean_environment(char **argv);

// After an exec of /proc/self/exe (a fallback), the kernel names the
// process "exe": gives it back the name of @argv0.
void fix_process_name(const char *argv0);

// @path made absolute against the current directory, before chdir("/").
std::string absolute_path(const std::string &path);

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

// The launching side: reads the status pipe until the daemon is ready,
// failed, vanished, or @timeout passed (then it kills it). Reaps the
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
void redirect_std_fds_to_devnull();

// chdir("/"); with @chroot_dir, chroot there first. Throws StartupError.
void enter_root_directory(const std::string &chroot_dir);

// Tells the launching process that the daemon serves (the first ready()
// only: later ones follow a failed re-exec).
class DaemonLifecycle : public Lifecycle
{
public:
	explicit DaemonLifecycle(StartupReport &report) : report_(report) {}
	void ready() override;

private:
	StartupReport &report_;
};

// -- Re-executing in place (SIGUSR2) -----------------------------------------

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

// This program's path, from /proc/self/exe; empty if unknown. Taken at
// start-up: re-executing the path, not /proc/self/exe (the old inode), is
// what makes an upgrade of the binary take effect.
std::string executable_path();

// Sets or clears FD_CLOEXEC; returns 0 or -errno.
int set_cloexec(int fd, bool on);

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
