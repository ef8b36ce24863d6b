// SPDX-License-Identifier: MIT
#include "atomic-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "client/signal-cleanup.h"
#include "util/io.h"

namespace fileserver {

AtomicFile::~AtomicFile()
{
	discard();
}

int AtomicFile::open(const std::string &target)
{
	target_ = target;
	auto slash = target.rfind('/');
	std::string dir = slash == std::string::npos ? "" : target.substr(0, slash + 1);
	std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
	if (base.empty())
		return -EISDIR;
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

int AtomicFile::commit()
{
	// mkostemp creates 0600; give the file the mode a plain create would.
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd_.get(), 0666 & ~mask) < 0 || fsync(fd_.get()) < 0) {
		int err = errno;
		discard();
		return -err;
	}
	fd_.reset();
	if (rename(temp_.c_str(), target_.c_str()) < 0) {
		int err = errno;
		discard();
		return -err;
	}
	cleanup_forget(cleanup_slot_);
	cleanup_slot_ = -1;
	temp_.clear();
	return 0;
}

void AtomicFile::discard()
{
	fd_.reset();
	if (!temp_.empty()) {
		unlink(temp_.c_str());
		temp_.clear();
	}
	cleanup_forget(cleanup_slot_);
	cleanup_slot_ = -1;
}

} // namespace fileserver
