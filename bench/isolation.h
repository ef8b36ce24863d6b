// SPDX-License-Identifier: MIT
#pragma once

// Running apart from the rest of the host: its mqueue limits (an IPC
// namespace) and its per-uid mqueue budget (an unused uid).

#include <sys/types.h>

#include <string>

namespace fileserver::bench {

// The limits of a private IPC namespace; 0 keeps the host's value (a new
// namespace would start with the kernel's defaults instead).
struct MqueueLimits {
	long msgsize_max = 0;
	long msg_max = 0;
	long queues_max = 0;
};

// A private IPC namespace with other mqueue limits: only this process tree
// sees them. Needs root (an effective or a saved uid 0, see become()); dies
// if it cannot. The effective uid is the same again afterwards.
void enter_ipc_namespace(const MqueueLimits &limits);

// Whether enter_ipc_namespace() can work: root now, or root as the saved uid.
bool can_enter_ipc_namespace();

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

// In a client process forked after become(): switches to @uid (real and
// effective) for good, so that each client has a uid, and so a per-uid
// budget and per-uid limits in the server, of its own. The saved uid is the
// one become() took, so that the benchmark may still signal it (stop it,
// kill it, and PR_SET_PDEATHSIG, which needs the same right). 0 or -errno
// (no root to come back to).
int become_client(uid_t uid);

// What a client process does first: become_client(@uid), then dies with
// @parent (PR_SET_PDEATHSIG, which a uid change clears, so it comes after),
// so that a run that fails leaves no client behind. 0 or -errno (-ECHILD:
// @parent is gone already).
int start_client_process(pid_t parent, uid_t uid);

// Whether client processes get uids of their own (after become()).
bool clients_have_own_uids();

// The uid of client process @t: a uid of its own after become(), else
// this process's.
uid_t client_uid(int t);

} // namespace fileserver::bench
