// SPDX-License-Identifier: MIT
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>

#include "util/unique-fd.h"

namespace fileserver {

enum class OpenPurpose {
	Read,      // file content: regular files only
	Directory, // listing: directories only
	Inspect,   // metadata: any type, opened O_PATH (no side effects)
};

struct ResolvedPath {
	UniqueFD fd;
	struct stat st = {};
};

// Checks the text of a client path: no NUL, not absolute, no ".."
// component, bounded length. Returns 0 or -errno with @why set.
int check_client_path(std::string_view path, std::string &why);

// Opens @path beneath @root_fd, never leaving it (openat2 RESOLVE_BENEATH,
// no magic links). An empty path or "." names the root itself. Returns 0 or
// -errno with @why set to a message for the client.
int resolve_beneath(int root_fd, std::string_view path, OpenPurpose purpose, ResolvedPath &out,
                    std::string &why);

} // namespace fileserver
