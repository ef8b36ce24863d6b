// SPDX-License-Identifier: MIT
#include "pidfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <thread>
#include <vector>

#include "launcher/exit-codes.h"
#include "util/errno-util.h"
#include "util/io.h"

namespace fileserver {

namespace {

// Each pass of acquire() loses only to another process that replaced or
// removed the file meanwhile; more than a few in a row means something
// keeps doing it.
constexpr int kAttempts = 16;

[[noreturn]] void fail(int err, const std::string &what)
{
	bool denied = err == EACCES || err == EPERM || err == EROFS;
	throw StartupError(denied ? kExitPermission : kExitFailure, what + ": " + errno_string(err));
}

bool same_file(int fd, const std::string &path)
{
	struct stat a, b;
	if (fstat(fd, &a) < 0 || lstat(path.c_str(), &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void check_regular(int fd, const std::string &path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		fail(errno, "cannot fstat PID file " + path);
	if (!S_ISREG(st.st_mode))
		throw StartupError(kExitFailure, "PID file " + path + " is not a regular file");
}

std::string pid_text()
{
	return std::to_string(getpid()) + "\n";
}

// Unlinks a temporary name unless told that it is gone.
class TempName
{
public:
	explicit TempName(std::string name) : name_(std::move(name)) {}
	~TempName()
	{
		if (!name_.empty())
			unlink(name_.c_str());
	}
	TempName(const TempName &) = delete;
	TempName &operator=(const TempName &) = delete;
	[[nodiscard]] const char *c_str() const { return name_.c_str(); }
	void forget() { name_.clear(); }

private:
	std::string name_;
};

// A new file next to @path, locked, holding this process's PID.
UniqueFD make_locked_temp(const std::string &path, std::string &name)
{
	auto slash = path.rfind('/');
	std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
	std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
	std::vector<char> tmpl;
	std::string t = dir + (dir.back() == '/' ? "" : "/") + "." + base + ".XXXXXX";
	tmpl.assign(t.begin(), t.end());
	tmpl.push_back('\0');
	UniqueFD fd(mkostemp(tmpl.data(), O_CLOEXEC));
	if (!fd)
		fail(errno, "cannot create PID file " + path);
	name = tmpl.data();
	TempName guard(name);
	if (fchmod(fd.get(), 0644) < 0)
		fail(errno, "cannot chmod PID file " + path);
	if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0)
		fail(errno, "cannot lock PID file " + path);
	if (int r = write_all(fd.get(), pid_text()); r < 0)
		fail(-r, "cannot write PID file " + path);
	guard.forget();
	return fd;
}

// Puts @name at @path unless @path exists (-EEXIST). A rename keeps the
// name our descriptor shows in /proc/PID/fd right; link() and unlink() are
// for file systems without RENAME_NOREPLACE.
int move_into_place(const std::string &name, const std::string &path)
{
	if (renameat2(AT_FDCWD, name.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(name.c_str(), path.c_str()) < 0)
		return -errno;
	unlink(name.c_str());
	return 0;
}

// The holder may be another implementation that writes after locking:
// give it a moment.
pid_t wait_for_pid(int fd)
{
	for (int i = 0; i < 10; i++) {
		if (pid_t pid = PidFile::read_pid(fd))
			return pid;
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return 0;
}

} // namespace

PidFile &PidFile::operator=(PidFile &&other) noexcept
{
	if (this != &other) {
		remove();
		path_ = std::move(other.path_);
		fd_ = std::move(other.fd_);
		stale_pid_ = other.stale_pid_;
	}
	return *this;
}

PidFile::~PidFile()
{
	remove();
}

pid_t PidFile::read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	const char *end = buf + n;
	const char *nl = std::find(static_cast<const char *>(buf), end, '\n');
	pid_t pid = 0;
	auto [ptr, ec] = std::from_chars(buf, nl, pid);
	if (ec != std::errc() || ptr != nl || pid <= 0)
		return 0;
	return pid;
}

PidFile PidFile::acquire(const std::string &path)
{
	for (int attempt = 0; attempt < kAttempts; attempt++) {
		UniqueFD fd(open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
		if (!fd) {
			int err = errno;
			if (err == ELOOP) {
				std::string what = "PID file " + path + " is a symbolic link";
				throw StartupError(kExitFailure, what + ": not following it");
			}
			if (err != ENOENT)
				fail(err, "cannot open PID file " + path);
			std::string name;
			UniqueFD fresh = make_locked_temp(path, name);
			TempName guard(name);
			int r = move_into_place(name, path);
			if (r == 0) {
				guard.forget();
				return PidFile(path, std::move(fresh));
			}
			if (r != -EEXIST)
				fail(-r, "cannot create PID file " + path);
			continue; // another process created it first: look at it
		}
		check_regular(fd.get(), path);
		if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
			int err = errno;
			if (err != EWOULDBLOCK)
				fail(err, "cannot lock PID file " + path);
			// Locked, but maybe by a process taking over a stale file
			// it is replacing: look at the replacement.
			if (!same_file(fd.get(), path))
				continue;
			pid_t pid = wait_for_pid(fd.get());
			std::string holder = pid ? std::to_string(pid) : std::string("unknown");
			throw StartupError(kExitAlreadyRunning, "already running (pid " + holder +
			                                                "): PID file " + path + " is locked");
		}
		// Removed or replaced between our open() and flock(): start over.
		if (!same_file(fd.get(), path))
			continue;
		// Stale. Replace it rather than rewrite it, so that it never reads
		// empty or half-written; whoever opened the stale file meanwhile
		// finds it replaced once it gets its lock.
		pid_t stale = read_pid(fd.get());
		std::string name;
		UniqueFD fresh = make_locked_temp(path, name);
		TempName guard(name);
		if (rename(name.c_str(), path.c_str()) < 0)
			fail(errno, "cannot replace stale PID file " + path);
		guard.forget();
		PidFile p(path, std::move(fresh));
		p.stale_pid_ = stale;
		return p;
	}
	throw StartupError(kExitFailure, "cannot take PID file " + path + ": it keeps being replaced");
}

PidFile PidFile::adopt(const std::string &path, int fd_number)
{
	if (fcntl(fd_number, F_GETFD) < 0)
		fail(errno, "inherited PID file descriptor " + std::to_string(fd_number));
	UniqueFD fd(fd_number);
	if (fcntl(fd.get(), F_SETFD, FD_CLOEXEC) < 0)
		fail(errno, "inherited PID file descriptor " + std::to_string(fd_number));
	check_regular(fd.get(), path);
	// Succeeds at once when this open file description holds the lock.
	if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			throw StartupError(kExitAlreadyRunning, "the inherited PID file " + path +
			                                                " is locked by another process");
		fail(errno, "cannot lock the inherited PID file " + path);
	}
	if (read_pid(fd.get()) != getpid()) {
		std::string text = pid_text();
		// An inherited descriptor's offset is wherever its writer left it.
		if (ftruncate(fd.get(), 0) < 0 || lseek(fd.get(), 0, SEEK_SET) < 0)
			fail(errno, "cannot rewrite PID file " + path);
		if (int r = write_all(fd.get(), text); r < 0)
			fail(-r, "cannot rewrite PID file " + path);
	}
	return PidFile(path, std::move(fd));
}

void PidFile::remove() noexcept
{
	if (!fd_)
		return;
	// Only while holding the lock: a new instance may lock the file as soon
	// as we close it.
	bool removed = same_file(fd_.get(), path_) && unlink(path_.c_str()) == 0;
	if (!removed) {
		[[maybe_unused]] int r = ftruncate(fd_.get(), 0);
	}
	fd_.reset();
}

} // namespace fileserver
