// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "server/access-policy.h"
#include "util/error.h"
#include "util/unique-fd.h"

namespace fileserver {

// What a request may be served from: opened, and judged by the access
// policy on the object itself (docs/security.md, "What the policy decides on").
struct OpenedObject {
	UniqueFD fd;           // Read: O_RDONLY regular file; List: O_DIRECTORY; Inspect: none
	struct stat st = {};   // of fd (Inspect: of the object)
	std::string real_path; // the object's normalised path beneath the root ("" is the root)
};

// Opens what the client's @path names beneath @root_fd for @need, and
// checks @policy for client @uid on the object actually opened: its real
// path (symbolic links resolved, see resolve_real()) against the patterns,
// the search bit of every directory passed, the object's own bits (Read: r,
// List: r and x, Inspect: none). The type is checked on an O_PATH
// descriptor before the real open, so no FIFO or device is ever opened.
// Errors: EPERM, EACCES, EISDIR, ENOTDIR, ENOENT, ENAMETOOLONG, EINVAL, or
// EAGAIN if the object was replaced meanwhile; why is a message for the
// client.
Result<OpenedObject> open_checked(const AccessPolicy &policy, int root_fd, uid_t uid, std::string_view path,
                                  AccessNeed need);

// LIST: whether the entry @name of the directory whose real path is
// @real_dir passes the allow and deny patterns.
bool entry_permitted(const AccessPolicy &policy, std::string_view real_dir, std::string_view name);

} // namespace fileserver
