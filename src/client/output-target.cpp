// SPDX-License-Identifier: MIT
#include "client/output-target.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/errno-util.h"
#include "util/io.h"

namespace fileserver {

namespace {

constexpr int kMaxLinks = 40; // as the kernel's MAXSYMLINKS

Error cannot(const char *what, const std::string &name, int err)
{
	return Error::from_errno(err, std::string("cannot ") + what + " " + name + ": " + errno_string(err));
}

} // namespace

Result<std::string> resolve_final_symlinks(const std::string &path, std::optional<struct stat> *found)
{
	std::string p = path;
	for (int i = 0; i <= kMaxLinks; i++) {
		struct stat st;
		if (lstat(p.c_str(), &st) < 0) {
			if (errno != ENOENT)
				return cannot("resolve", path, errno);
			if (found)
				found->reset();
			return p; // a dangling link names the file to create
		}
		if (!S_ISLNK(st.st_mode)) {
			if (found)
				*found = st;
			return p;
		}
		char buf[PATH_MAX];
		ssize_t n = readlink(p.c_str(), buf, sizeof(buf));
		if (n < 0)
			return cannot("resolve", path, errno);
		if (static_cast<std::size_t>(n) >= sizeof(buf))
			return cannot("resolve", path, ENAMETOOLONG);
		std::string link(buf, static_cast<std::size_t>(n));
		auto slash = p.rfind('/');
		if (link.empty() || link.front() == '/' || slash == std::string::npos)
			p = link;
		else
			p = p.substr(0, slash + 1) + link;
	}
	return cannot("resolve", path, ELOOP);
}

Result<void> OutputTarget::open(const std::string &name, AtomicFile::Temporary temporary)
{
	name_ = name;
	if (name == "-") {
		kind_ = Kind::Stdout;
		path_ = name;
		return {};
	}
	std::optional<struct stat> found;
	auto final_path = resolve_final_symlinks(name, &found);
	if (!final_path)
		return final_path.take_error();
	path_ = std::move(*final_path);
	bool exists = found.has_value();
	if (exists && S_ISDIR(found->st_mode))
		return cannot("create", name, EISDIR);
	if (exists && !S_ISREG(found->st_mode)) {
		// A device or FIFO is written, never replaced: its open() may
		// block (a FIFO without a reader) as it would for any writer.
		kind_ = Kind::InPlace;
		int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return cannot("open", name, errno);
		fd_.reset(fd);
		return {};
	}
	kind_ = Kind::Replace;
	if (int e = file_.open(path_, temporary); e < 0)
		return cannot("create", name, e);
	return {};
}

int OutputTarget::write(std::span<const std::uint8_t> data)
{
	switch (kind_) {
	case Kind::Stdout: return write_all(STDOUT_FILENO, data);
	case Kind::InPlace: return write_all(fd_.get(), data);
	case Kind::Replace: return file_.write(data);
	}
	return -EINVAL;
}

Result<void> OutputTarget::commit()
{
	if (kind_ == Kind::Replace) {
		if (int e = file_.commit(); e < 0)
			return cannot("write", name_, e);
	}
	fd_.reset();
	return {};
}

void OutputTarget::discard()
{
	file_.discard();
	fd_.reset();
}

} // namespace fileserver
