// SPDX-License-Identifier: MIT
#pragma once

// Running apart from the rest of the host: its mqueue limits (an IPC
// namespace) and its per-uid mqueue budget (an unused uid).

#include <sys/types.h>

#include <string>

namespace fileserver::bench {

// A private IPC namespace with other mqueue limits: only this process tree
// sees them. Needs root; dies if it cannot.
void enter_ipc_namespace(long msgsize, long msg_max);

// An unused uid that can run @daemon, for a mqueue budget (RLIMIT_MSGQUEUE,
// counted per real uid) of our own; 0 if there is none.
uid_t pick_private_uid(const std::string &daemon);

// Gives @top and everything below it to @uid.
void chown_tree(const std::string &top, uid_t uid);

// Switches this process to @uid (and its gid, no supplementary groups).
void become(uid_t uid);

} // namespace fileserver::bench
