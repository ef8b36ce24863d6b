// SPDX-License-Identifier: MIT
#include "client/atomic-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "client/signal-cleanup.h"
#include "util/io.h"
#include "util/random.h"

namespace fileserver {

namespace {

struct Split {
	std::string dir;  // "" or ending in '/'
	std::string base; // "" if the path ends in '/'
};

Split split(const std::string &path)
{
	auto slash = path.rfind('/');
	if (slash == std::string::npos)
		return {"", path};
	return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// Six characters, as mkostemp's XXXXXX.
std::string random_suffix()
{
	static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	std::uint64_t bits = random_u64();
	std::string s(6, 'x');
	for (char &c : s) {
		c = kChars[bits % (sizeof(kChars) - 1)];
		bits /= sizeof(kChars) - 1;
	}
	return s;
}

} // namespace

std::uint32_t plain_create_mode()
{
	// umask(2) is read by setting it.
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

AtomicFile::~AtomicFile()
{
	discard();
}

int AtomicFile::open(const std::string &target, Temporary temporary)
{
	discard();
	target_ = target;
	auto [dir, base] = split(target);
	if (base.empty())
		return -EISDIR;
	if (temporary == Temporary::Unnamed) {
		// Created with a plain create's mode: nobody can open it by a
		// name before commit(), which then has no mode to change.
		int fd = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
		if (fd >= 0) {
			fd_.reset(fd);
			return 0;
		}
		// Only these say "no O_TMPFILE here"; anything else (ENOENT,
		// EACCES, ...) would fail the named temporary too.
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return -errno;
	}
	std::string tmpl = dir + "." + base + ".XXXXXX";
	int fd = mkostemp(tmpl.data(), O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd_.reset(fd);
	temp_ = tmpl;
	cleanup_slot_ = cleanup_register(CleanupKind::File, temp_);
	return 0;
}

int AtomicFile::write(std::span<const std::uint8_t> data)
{
	return write_all(fd_.get(), data);
}

int AtomicFile::commit(std::optional<std::uint32_t> mode)
{
	// The unnamed temporary has a plain create's mode already; the named
	// one is created 0600. Give the file the mode asked for, or that one.
	if (!mode && !temp_.empty())
		mode = plain_create_mode();
	// Not synced, as cp(1) does not: readers never see a partial file, but
	// the data reaches the disk at the kernel's writeback. A sync per file
	// cost more than the whole transfer of a small one (and -r makes many).
	int err = 0;
	if (mode && fchmod(fd_.get(), static_cast<mode_t>(*mode)) < 0)
		err = -errno;
	else if (temp_.empty())
		err = link_unnamed();
	else if (rename(temp_.c_str(), target_.c_str()) < 0)
		err = -errno;
	else
		forget_temp();
	discard();
	return err;
}

// Links the O_TMPFILE file in: straight to the target if there is none,
// else under a temporary name renamed over it (the name exists only between
// the two calls, and the signal handlers know it).
int AtomicFile::link_unnamed()
{
	char proc[64];
	std::snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd_.get());
	if (linkat(AT_FDCWD, proc, AT_FDCWD, target_.c_str(), AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	auto [dir, base] = split(target_);
	for (int attempt = 0; attempt < 100; attempt++) {
		// linkat() creates the name exclusively: a random one is enough.
		temp_ = dir + "." + base + "." + random_suffix();
		cleanup_slot_ = cleanup_register(CleanupKind::File, temp_);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, temp_.c_str(), AT_SYMLINK_FOLLOW) < 0) {
			int err = errno;
			forget_temp();
			if (err == EEXIST)
				continue;
			return -err;
		}
		if (rename(temp_.c_str(), target_.c_str()) < 0)
			return -errno; // discard() removes the name
		forget_temp();
		return 0;
	}
	return -EEXIST;
}

void AtomicFile::forget_temp()
{
	temp_.clear();
	cleanup_forget(cleanup_slot_);
	cleanup_slot_ = -1;
}

void AtomicFile::discard()
{
	fd_.reset();
	if (!temp_.empty())
		unlink(temp_.c_str());
	forget_temp();
}

} // namespace fileserver
