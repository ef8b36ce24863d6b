// SPDX-License-Identifier: MIT
#include "path-resolver.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "protocol/wire.h"
#include "util/errno-util.h"
#include "util/openat2.h"
#include "util/path-components.h"
#include "util/time-util.h"

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
	// O_PATH, opened by this walk or this thread's cached one; dropped for
	// all but the deepest kKeptDirs directories.
	UniqueFD fd;
	std::shared_ptr<const UniqueFD> cached;
	struct stat st = {};
	std::string name;
	std::size_t end = 0; // the length of the real path up to and including it

	[[nodiscard]] int get() const { return fd.valid() ? fd.get() : cached ? cached->get() : -1; }
	[[nodiscard]] bool valid() const { return fd.valid() || cached; }
	void drop()
	{
		fd.reset();
		cached.reset();
	}
};

struct stat stat_of(const struct statx &x)
{
	struct stat st = {};
	st.st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
	st.st_ino = x.stx_ino;
	st.st_mode = x.stx_mode;
	st.st_nlink = x.stx_nlink;
	st.st_uid = x.stx_uid;
	st.st_gid = x.stx_gid;
	st.st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
	st.st_size = static_cast<off_t>(x.stx_size);
	st.st_blksize = static_cast<blksize_t>(x.stx_blksize);
	st.st_blocks = static_cast<blkcnt_t>(x.stx_blocks);
	st.st_atim = {x.stx_atime.tv_sec, x.stx_atime.tv_nsec};
	st.st_mtim = {x.stx_mtime.tv_sec, x.stx_mtime.tv_nsec};
	st.st_ctim = {x.stx_ctime.tv_sec, x.stx_ctime.tv_nsec};
	return st;
}

constexpr unsigned kStatxMask = STATX_BASIC_STATS | STATX_MNT_ID;

// See cache_dirs_on_this_thread().
class DirCache
{
public:
	bool on = false;

	// @parent's entry @name, if the name still leads to it (same device,
	// inode and mount): a Dir with the cached descriptor and a fresh stat.
	std::optional<Dir> find(int parent_fd, const struct stat &parent, const std::string &name)
	{
		expire();
		for (auto it = entries_.begin(); it != entries_.end(); ++it) {
			if (it->parent_dev != parent.st_dev || it->parent_ino != parent.st_ino ||
			    it->name != name)
				continue;
			struct statx x;
			if (statx(parent_fd, name.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
			          kStatxMask, &x) == 0 &&
			    (x.stx_mask & STATX_MNT_ID) && x.stx_mnt_id == it->mnt_id &&
			    S_ISDIR(x.stx_mode) && makedev(x.stx_dev_major, x.stx_dev_minor) == it->dev &&
			    x.stx_ino == it->ino) {
				Dir d;
				d.cached = it->fd;
				d.st = stat_of(x);
				d.name = name;
				return d;
			}
			entries_.erase(it); // renamed, replaced or gone: looked up afresh
			return std::nullopt;
		}
		return std::nullopt;
	}

	// Keeps @d (just opened in @parent, which @x describes): its
	// descriptor becomes shared with the cache.
	void add(const struct stat &parent, Dir &d, const struct statx &x)
	{
		if (!(x.stx_mask & STATX_MNT_ID) || !S_ISDIR(x.stx_mode))
			return;
		if (entries_.size() >= kCachedDirs)
			entries_.erase(entries_.begin()); // the oldest
		d.cached = std::make_shared<const UniqueFD>(std::move(d.fd));
		entries_.push_back({parent.st_dev, parent.st_ino, d.name, d.cached, d.st.st_dev, d.st.st_ino,
		                    x.stx_mnt_id, monotonic_usec()});
	}

	void clear() { entries_.clear(); }
	[[nodiscard]] std::size_t size() const { return entries_.size(); }

private:
	struct Entry {
		dev_t parent_dev;
		ino_t parent_ino;
		std::string name;
		std::shared_ptr<const UniqueFD> fd;
		dev_t dev;
		ino_t ino;
		std::uint64_t mnt_id;
		std::uint64_t added_usec;
	};

	void expire()
	{
		if (entries_.empty())
			return;
		auto age = static_cast<std::uint64_t>(
		        std::chrono::duration_cast<std::chrono::microseconds>(kCachedDirAge).count());
		std::uint64_t now = monotonic_usec();
		std::erase_if(entries_, [&](const Entry &e) { return now - e.added_usec >= age; });
	}

	std::vector<Entry> entries_; // oldest first
};

thread_local DirCache t_dirs;

// The components still to walk, the next one last.
using Pending = std::vector<std::string>;

// The components of @text (as path_components() has them), put before what
// @pending holds: pushed last to first. Empty and "." components are kept:
// after a non-directory they mean ENOTDIR.
void push_components(Pending &pending, std::string_view text)
{
	std::size_t end = text.size();
	for (;;) {
		std::size_t slash = end == 0 ? std::string_view::npos : text.rfind('/', end - 1);
		std::size_t start = slash == std::string_view::npos ? 0 : slash + 1;
		pending.emplace_back(text.substr(start, end - start));
		if (slash == std::string_view::npos)
			return;
		end = slash;
	}
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
// opened itself) and fstats it. @passing: a directory on the way to the
// object (the one thread's cache keeps those), whose stat is @dir_st.
Result<Dir> lookup(int dir, const struct stat &dir_st, const std::string &name, bool passing)
{
	bool cache = passing && t_dirs.on;
	if (cache)
		if (auto hit = t_dirs.find(dir, dir_st, name))
			return std::move(*hit);
	int fd = openat2_fd(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
	                    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return lookup_error(fd);
	Dir d;
	d.fd.reset(fd);
	d.name = name;
	if (!cache) {
		if (fstat(fd, &d.st) < 0)
			return Error::from_errno(errno, "cannot stat");
		return d;
	}
	struct statx x;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, kStatxMask, &x) < 0)
		return Error::from_errno(errno, "cannot stat");
	d.st = stat_of(x);
	t_dirs.add(dir_st, d, x);
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
	explicit Walk(int root_fd) : root_fd_(root_fd)
	{
		stack_.reserve(4); // most paths are a few directories deep
		stack_.emplace_back();
	}

	[[nodiscard]] bool at_root() const { return stack_.size() == 1; }
	[[nodiscard]] const Dir &top() const { return stack_.back(); }
	[[nodiscard]] int top_fd() const { return at_root() ? root_fd_ : stack_.back().get(); }
	[[nodiscard]] const std::string &real() const { return real_; }

	void push(Dir d)
	{
		if (!at_root())
			real_ += '/';
		real_ += d.name;
		d.end = real_.size();
		stack_.push_back(std::move(d));
		if (stack_.size() > kKeptDirs + 1)
			stack_[stack_.size() - 1 - kKeptDirs].drop();
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
		if (at_root() || d.valid())
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

	// The top as the object found (with a descriptor of its own if
	// @want_fd); the directory below it as its parent.
	RealObject finish(bool want_fd)
	{
		RealObject obj;
		obj.real_path = std::move(real_);
		Dir &d = stack_.back();
		if (d.fd.valid())
			obj.fd = std::move(d.fd);
		else if (want_fd && d.cached)
			obj.fd.reset(fcntl(d.cached->get(), F_DUPFD_CLOEXEC, 0));
		obj.st = d.st;
		obj.name = std::move(d.name);
		if (stack_.size() > 2) {
			Dir &p = stack_[stack_.size() - 2];
			if (p.fd.valid())
				obj.parent = std::make_shared<const UniqueFD>(std::move(p.fd));
			else
				obj.parent = std::move(p.cached);
		}
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
	std::optional<Error> refused;
	each_component(path, [&](std::string_view component) {
		if (component == "..")
			refused = Error{EPERM, "'..' is refused in paths"};
		else if (component.size() > NAME_MAX)
			refused = Error{ENAMETOOLONG, "path component too long"};
		return !refused;
	});
	if (refused)
		return std::move(*refused);
	return {};
}

Result<RealObject> resolve_real(int root_fd, std::string_view path, const SearchCheck &may_search,
                                ObjectFd object_fd)
{
	Walk walk(root_fd);
	Pending pending;
	pending.reserve(8);
	push_components(pending, path);
	int links = 0;
	while (!pending.empty()) {
		std::string name = std::move(pending.back());
		pending.pop_back();
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
		auto found = stat_only ? lookup_stat(walk.top_fd(), name)
		                       : lookup(walk.top_fd(), walk.top().st, name, !pending.empty());
		if (!found)
			return found.take_error();
		Dir &d = found.value();
		if (S_ISLNK(d.st.st_mode)) {
			if (++links > kMaxSymlinks)
				return Error{EPERM, "too many levels of symbolic links"};
			auto target = stat_only ? read_link(walk.top_fd(), name) : read_link(d.get(), "");
			if (!target)
				return target.take_error();
			if (target->empty())
				return Error{ENOENT, "no such file or directory"};
			if ((*target)[0] == '/')
				return escapes();
			push_components(pending, *target);
			continue;
		}
		if (!S_ISDIR(d.st.st_mode) && !pending.empty())
			return Error{ENOTDIR, "a path component is not a directory"};
		walk.push(std::move(d));
	}
	if (walk.at_root()) { // the root itself: its name is ""
		auto root = lookup(root_fd, {}, ".", false);
		if (!root)
			return root.take_error();
		root->name.clear();
		walk.push(std::move(root.value()));
	}
	return walk.finish(object_fd == ObjectFd::Open);
}

void cache_dirs_on_this_thread(bool on)
{
	t_dirs.on = on;
	if (!on)
		t_dirs.clear();
}

void forget_cached_dirs()
{
	t_dirs.clear();
}

std::size_t cached_dirs()
{
	return t_dirs.size();
}

} // namespace fileserver
