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

namespace fileserver {

namespace {

// POSIX allows at least 8; Linux follows 40 before ELOOP. The same here.
constexpr int kMaxSymlinks = 40;
// Descriptors kept for the deepest directories of the walk; a path of 2000
// directories must not take 2000 descriptors. A ".." from a link target
// below them reopens the directory by its real path and checks its inode.
constexpr std::size_t kKeptDirs = 8;

// A directory on the real path: the descriptor the next lookup uses.
struct Dir {
	UniqueFD fd;
	struct stat st = {};
	std::string name;
};

// The components of @text, pushed in front of @pending in their order. Empty
// and "." components are kept: after a non-directory they mean ENOTDIR.
void push_front_components(std::deque<std::string> &pending, std::string_view text)
{
	std::vector<std::string> parts;
	std::size_t start = 0;
	while (start <= text.size()) {
		std::size_t end = text.find('/', start);
		if (end == std::string_view::npos)
			end = text.size();
		parts.emplace_back(text.substr(start, end - start));
		start = end + 1;
	}
	pending.insert(pending.begin(), parts.begin(), parts.end());
}

std::string join(const std::vector<Dir> &stack)
{
	std::string out;
	for (std::size_t i = 1; i < stack.size(); i++) {
		if (!out.empty())
			out += '/';
		out += stack[i].name;
	}
	return out;
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

// After a "..": gives the new top of @stack its descriptor back if it was
// dropped, reopened by its real path and checked to be the same inode.
Result<void> reopen_top(int root_fd, std::vector<Dir> &stack)
{
	Dir &top = stack.back();
	if (stack.size() == 1 || top.fd.valid())
		return {};
	int fd = openat2_fd(root_fd, join(stack), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
	                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	UniqueFD owner(fd);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != top.st.st_dev || st.st_ino != top.st.st_ino)
		return Error{EAGAIN, "a directory on the path was replaced meanwhile; try again"};
	top.fd = std::move(owner);
	return {};
}

Result<std::string> read_link(int fd)
{
	std::string target(PATH_MAX, '\0');
	ssize_t n = readlinkat(fd, "", target.data(), target.size());
	if (n < 0)
		return Error::from_errno(errno, "cannot read symbolic link");
	if (static_cast<std::size_t>(n) >= target.size())
		return Error{ENAMETOOLONG, "symbolic link target too long"};
	target.resize(static_cast<std::size_t>(n));
	return target;
}

} // namespace

Result<void> check_client_path(std::string_view path)
{
	if (path.find('\0') != std::string_view::npos)
		return Error{EINVAL, "path contains a NUL byte"};
	if (path.size() >= PATH_MAX || path.size() > protocol::kMaxPathSize)
		return Error{ENAMETOOLONG, "path too long"};
	if (!path.empty() && path[0] == '/')
		return Error{EPERM, "absolute paths are refused: paths are relative to the served root"};
	std::size_t start = 0;
	while (start <= path.size()) {
		std::size_t end = path.find('/', start);
		if (end == std::string_view::npos)
			end = path.size();
		std::string_view component = path.substr(start, end - start);
		if (component == "..")
			return Error{EPERM, "'..' is refused in paths"};
		if (component.size() > NAME_MAX)
			return Error{ENAMETOOLONG, "path component too long"};
		start = end + 1;
	}
	return {};
}

Result<RealObject> resolve_real(int root_fd, std::string_view path, const SearchCheck &may_search)
{
	// The root is used through @root_fd (stack[0] holds no descriptor).
	std::vector<Dir> stack(1);
	auto fd_of = [&](const Dir &d) { return d.fd.valid() ? d.fd.get() : root_fd; };
	std::deque<std::string> pending;
	push_front_components(pending, path);
	int links = 0;
	while (!pending.empty()) {
		std::string name = std::move(pending.front());
		pending.pop_front();
		if (name.empty() || name == ".")
			continue;
		if (name == "..") { // only from a link target: the client text has none
			if (stack.size() == 1)
				return escapes();
			stack.pop_back();
			if (auto r = reopen_top(root_fd, stack); !r)
				return r.take_error();
			continue;
		}
		if (may_search && stack.size() > 1) {
			auto r = may_search(stack.back().st, join(stack));
			if (!r)
				return r.take_error();
		}
		auto found = lookup(fd_of(stack.back()), name);
		if (!found)
			return found.take_error();
		Dir &d = found.value();
		if (S_ISLNK(d.st.st_mode)) {
			if (++links > kMaxSymlinks)
				return Error{EPERM, "too many levels of symbolic links"};
			auto target = read_link(d.fd.get());
			if (!target)
				return target.take_error();
			if (target->empty())
				return Error{ENOENT, "no such file or directory"};
			if ((*target)[0] == '/')
				return escapes();
			push_front_components(pending, *target);
			continue;
		}
		if (S_ISDIR(d.st.st_mode)) {
			stack.push_back(std::move(d));
			if (stack.size() > kKeptDirs + 1)
				stack[stack.size() - 1 - kKeptDirs].fd.reset();
			continue;
		}
		if (!pending.empty())
			return Error{ENOTDIR, "a path component is not a directory"};
		stack.push_back(std::move(d));
		break;
	}
	if (stack.size() == 1) { // the root itself
		auto root = lookup(root_fd, ".");
		if (!root)
			return root.take_error();
		stack.push_back(std::move(root.value()));
		stack.back().name.clear();
	}
	RealObject obj;
	obj.real_path = join(stack);
	Dir &top = stack.back();
	obj.fd = std::move(top.fd);
	obj.st = top.st;
	obj.name = std::move(top.name);
	if (stack.size() > 2)
		obj.parent = std::move(stack[stack.size() - 2].fd);
	return obj;
}

} // namespace fileserver
