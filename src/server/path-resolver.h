// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/unique-fd.h"

namespace fileserver {

// Checks the text of a client path: no NUL, not absolute, no ".."
// component, bounded length. The error's why is a message for the client.
Result<void> check_client_path(std::string_view path);

// What a client path names beneath the root, found by resolve_real().
struct RealObject {
	UniqueFD fd;         // O_PATH, of the object itself (never a symlink); see ObjectFd
	struct stat st = {}; // of the object
	std::shared_ptr<const UniqueFD> parent; // O_PATH, its directory; null if that is the root
	std::string name;                       // its name there ("" for the root itself)
	std::string real_path;                  // beneath the root, normalised; "" is the root
};

// Asked before a name is looked up in a directory below the root (the root
// itself is not asked): @dir is that directory's stat, @real_dir its real path.
using SearchCheck = std::function<Result<void>(const struct stat &dir, std::string_view real_dir)>;

// Resolves @path (which passed check_client_path) beneath @root_fd one
// component at a time, each opened O_PATH with openat2(RESOLVE_NO_SYMLINKS),
// following symbolic links itself: a relative target is resolved against the
// real directories reached so far; an absolute target, or ".." above the
// root, is refused (EPERM); more than 40 links give EPERM too. Every
// directory passed, including those holding a link, goes through
// @may_search (if set) on the descriptor held, so the decision and the
// lookup concern the same directory. Nothing is opened but with O_PATH, and
// only a bounded number of directories are held open at once.
//
// ObjectFd::None: the final object is only stat'ed (fstatat without
// following it), not opened, and RealObject::fd stays invalid: for a caller
// that reopens it by name in its parent and compares the inode anyway; it
// saves an open and a close per request.
enum class ObjectFd {
	Open,
	None
};
Result<RealObject> resolve_real(int root_fd, std::string_view path, const SearchCheck &may_search,
                                ObjectFd object_fd = ObjectFd::Open);

// Directories passed on the way to an object, kept open (O_PATH) by the
// thread that passed them, to save their lookup the next time: a thread
// that serves requests back to back turns the open, fstat and close of each
// directory into one statx. An entry is used only if the name still leads
// to the same inode on the same mount (device, inode and mount id, by a
// statx of the name in the directory held before it), so what the walk
// finds and judges is what a fresh lookup finds; the stat that search
// permission is judged on is that statx. At most kCachedDirs per thread, none
// older than kCachedDirAge (a cached directory keeps its file system busy:
// umount fails with EBUSY meanwhile). Off unless a thread turns it on; its
// entries go when it turns it off, calls forget_cached_dirs(), or ends.
constexpr std::size_t kCachedDirs = 16;
constexpr std::chrono::milliseconds kCachedDirAge{1000};
void cache_dirs_on_this_thread(bool on);
void forget_cached_dirs();
// This thread's entries (tests).
std::size_t cached_dirs();

} // namespace fileserver
