// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

#include <string>

#include "util/unique-fd.h"

namespace fileserver {

// Exit code when another instance holds the PID file: a plain failure, as
// LSB has no code for "already running" on start (see fileserverd(8)).
inline constexpr int kExitAlreadyRunning = 1;

// A PID file that the process holding it keeps locked (flock(2): the lock
// belongs to the open file description, so it survives fork and execve and
// is never dropped by closing another descriptor of the file). The lock, not
// the PID inside, says whether an instance runs: an unlocked file is stale,
// whatever PID it names.
//
// The file always appears with its content and its lock: it is written and
// locked under a temporary name in the same directory, then renamed into
// place: without replacing anything for a new file (RENAME_NOREPLACE), or
// over a stale one.
class PidFile
{
public:
	PidFile() = default;
	PidFile(PidFile &&other) noexcept = default;
	PidFile &operator=(PidFile &&other) noexcept;
	PidFile(const PidFile &) = delete;
	PidFile &operator=(const PidFile &) = delete;
	// Removes the file (see remove()).
	~PidFile();

	// Creates @path (absolute) for this process, or takes over a stale one,
	// and locks it. Throws StartupError: kExitAlreadyRunning with "already
	// running (pid N)" when another process holds the lock.
	static PidFile acquire(const std::string &path);

	// Takes over the descriptor @fd of @path, inherited across execve():
	// checks that it is a regular file locked by this process (re-taking
	// the lock succeeds only then) and that it names this PID. Throws
	// StartupError.
	static PidFile adopt(const std::string &path, int fd);

	// Unlinks the file if it still is ours, else (or if unlinking is not
	// allowed, e.g. after dropping privileges) empties it so that it reads
	// as stale; then releases the lock. Does nothing without a file.
	void remove() noexcept;

	[[nodiscard]] bool valid() const { return fd_.valid(); }
	[[nodiscard]] int fd() const { return fd_.get(); }
	[[nodiscard]] const std::string &path() const { return path_; }
	// The PID named by the stale file that acquire() took over, or 0 (also
	// for a stale file that named none).
	[[nodiscard]] pid_t stale_pid() const { return stale_pid_; }

	// The PID a PID file names, 0 if it names none; for messages. Public
	// for tests.
	static pid_t read_pid(int fd);

private:
	PidFile(std::string path, UniqueFD fd) : path_(std::move(path)), fd_(std::move(fd)) {}

	std::string path_;
	UniqueFD fd_;
	pid_t stale_pid_ = 0;
};

} // namespace fileserver
