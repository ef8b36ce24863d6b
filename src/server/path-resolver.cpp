// SPDX-License-Identifier: MIT
#include "path-resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "protocol/wire.h"
#include "util/errno-util.h"
#include "util/openat2.h"
#include "util/path-components.h"

namespace fileserver {

namespace {

// POSIX allows at least 8; Linux follows 40 before ELOOP. The same here.
constexpr int kMaxSymlinks = 40;
// Descriptors kept for the deepest directories of the walk; a path of 2000
// directories must not take 2000 descriptors. A ".." from a link target
// below them reopens the directory by its real path and checks its inode.
constexpr std::size_t kKeptDirs = 8;

// A directory on the real path, or the final object.
struct Dir {
	UniqueFD fd; // O_PATH; dropped for all but the deepest kKeptDirs directories
	struct stat st = {};
	std::string name;
	std::size_t end = 0; // the length of the real path up to and including it
};

// The components of @text, pushed in front of @pending in their order. Empty
// and "." components are kept: after a non-directory they mean ENOTDIR.
void push_front_components(std::deque<std::string> &pending, std::string_view text)
{
	auto parts = path_components(text);
	pending.insert(pending.begin(), parts.begin(), parts.end());
}

Error escapes()
{
	return Error{EPERM, "path escapes the served root"};
}

Error lookup_error(int err)
{
	switch (-err) {
	case ENOENT: return Error{ENOENT, "no such file or directory"};
	case EACCES: return Error{EACCES, "permission denied"};
	case ENAMETOOLONG: return Error{ENAMETOOLONG, "path too long"};
	default: return Error::from_errno(err, "cannot open: " + errno_string(err));
	}
}

// Opens @name in @dir O_PATH without following anything (a symlink is
// opened itself) and fstats it.
Result<Dir> lookup(int dir, const std::string &name)
{
	int fd = openat2_fd(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
	                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return lookup_error(fd);
	Dir d;
	d.fd.reset(fd);
	d.name = name;
	if (fstat(fd, &d.st) < 0)
		return Error::from_errno(errno, "cannot stat");
	return d;
}

// Stats @name in @dir without following it and without opening it: the
// final component, when the caller needs no descriptor of it. A plain name
// in a directory descriptor cannot leave that directory.
Result<Dir> lookup_stat(int dir, const std::string &name)
{
	Dir d;
	d.name = name;
	if (fstatat(dir, name.c_str(), &d.st, AT_SYMLINK_NOFOLLOW) < 0)
		return lookup_error(-errno);
	return d;
}

// The target of the link @name in the directory @fd; with @name empty, of
// the link that @fd itself is (opened O_PATH).
Result<std::string> read_link(int fd, const std::string &name)
{
	std::string target(PATH_MAX, '\0');
	ssize_t n = readlinkat(fd, name.c_str(), target.data(), target.size());
	if (n < 0 && errno == EINVAL && !name.empty())
		return Error{EAGAIN, "a symbolic link on the path was replaced meanwhile; try again"};
	if (n < 0)
		return Error::from_errno(errno, "cannot read symbolic link");
	if (static_cast<std::size_t>(n) >= target.size())
		return Error{ENAMETOOLONG, "symbolic link target too long"};
	target.resize(static_cast<std::size_t>(n));
	return target;
}

// The directories passed so far beneath the root: the real path. The root
// itself is stack_[0], used through root_fd_.
class Walk
{
public:
	explicit Walk(int root_fd) : root_fd_(root_fd), stack_(1) {}

	[[nodiscard]] bool at_root() const { return stack_.size() == 1; }
	[[nodiscard]] const Dir &top() const { return stack_.back(); }
	[[nodiscard]] int top_fd() const { return at_root() ? root_fd_ : stack_.back().fd.get(); }
	[[nodiscard]] const std::string &real() const { return real_; }

	void push(Dir d)
	{
		if (!at_root())
			real_ += '/';
		real_ += d.name;
		d.end = real_.size();
		stack_.push_back(std::move(d));
		if (stack_.size() > kKeptDirs + 1)
			stack_[stack_.size() - 1 - kKeptDirs].fd.reset();
	}

	// A ".." from a link target. The new top gets its descriptor back if it
	// was dropped: reopened by its real path, checked to be the same inode.
	Result<void> pop()
	{
		if (at_root())
			return escapes();
		stack_.pop_back();
		real_.resize(stack_.back().end);
		Dir &d = stack_.back();
		if (at_root() || d.fd.valid())
			return {};
		int fd = openat2_fd(root_fd_, real_, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
		                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		UniqueFD owner(fd);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != d.st.st_dev || st.st_ino != d.st.st_ino)
			return Error{EAGAIN, "a directory on the path was replaced meanwhile; try again"};
		d.fd = std::move(owner);
		return {};
	}

	// The top as the object found; the directory below it as its parent.
	RealObject finish()
	{
		RealObject obj;
		obj.real_path = std::move(real_);
		Dir &d = stack_.back();
		obj.fd = std::move(d.fd);
		obj.st = d.st;
		obj.name = std::move(d.name);
		if (stack_.size() > 2)
			obj.parent = std::move(stack_[stack_.size() - 2].fd);
		return obj;
	}

private:
	int root_fd_;
	std::vector<Dir> stack_;
	std::string real_;
};

} // namespace

Result<void> check_client_path(std::string_view path)
{
	if (path.find('\0') != std::string_view::npos)
		return Error{EINVAL, "path contains a NUL byte"};
	if (path.size() >= PATH_MAX || path.size() > protocol::kMaxPathSize)
		return Error{ENAMETOOLONG, "path too long"};
	if (!path.empty() && path[0] == '/')
		return Error{EPERM, "absolute paths are refused: paths are relative to the served root"};
	for (std::string_view component : path_components(path)) {
		if (component == "..")
			return Error{EPERM, "'..' is refused in paths"};
		if (component.size() > NAME_MAX)
			return Error{ENAMETOOLONG, "path component too long"};
	}
	return {};
}

Result<RealObject> resolve_real(int root_fd, std::string_view path, const SearchCheck &may_search,
                                ObjectFd object_fd)
{
	Walk walk(root_fd);
	std::deque<std::string> pending;
	push_front_components(pending, path);
	int links = 0;
	while (!pending.empty()) {
		std::string name = std::move(pending.front());
		pending.pop_front();
		if (name.empty() || name == ".")
			continue;
		if (name == "..") { // only from a link target: the client text has none
			if (auto r = walk.pop(); !r)
				return r.take_error();
			continue;
		}
		if (may_search && !walk.at_root()) {
			if (auto r = may_search(walk.top().st, walk.real()); !r)
				return r.take_error();
		}
		bool stat_only = object_fd == ObjectFd::None && pending.empty();
		auto found = stat_only ? lookup_stat(walk.top_fd(), name) : lookup(walk.top_fd(), name);
		if (!found)
			return found.take_error();
		Dir &d = found.value();
		if (S_ISLNK(d.st.st_mode)) {
			if (++links > kMaxSymlinks)
				return Error{EPERM, "too many levels of symbolic links"};
			auto target = stat_only ? read_link(walk.top_fd(), name) : read_link(d.fd.get(), "");
			if (!target)
				return target.take_error();
			if (target->empty())
				return Error{ENOENT, "no such file or directory"};
			if ((*target)[0] == '/')
				return escapes();
			push_front_components(pending, *target);
			continue;
		}
		if (!S_ISDIR(d.st.st_mode) && !pending.empty())
			return Error{ENOTDIR, "a path component is not a directory"};
		walk.push(std::move(d));
	}
	if (walk.at_root()) { // the root itself: its name is ""
		auto root = lookup(root_fd, ".");
		if (!root)
			return root.take_error();
		root->name.clear();
		walk.push(std::move(root.value()));
	}
	return walk.finish();
}

} // namespace fileserver
