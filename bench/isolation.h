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

// Switches this process to @uid (and its gid, no supplementary groups),
// keeping root as the saved uid so that client processes forked later can
// take uids of their own (become_client()). A program it executes (the
// daemon) has no way back: execve() sets the saved uid to @uid.
void become(uid_t uid);

// In a client process forked after become(): switches to @uid for good, so
// that each client has a uid, and so a per-uid budget and per-uid limits in
// the server, of its own. 0 or -errno (no root to come back to).
int become_client(uid_t uid);

// The uid of client process @t: a uid of its own after become(), else
// this process's.
uid_t client_uid(int t);

} // namespace fileserver::bench
