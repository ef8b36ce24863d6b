// SPDX-License-Identifier: MIT
#pragma once

#include <sys/types.h>

namespace fileserver {

// A descriptor that refers to process @pid, close-on-exec; it becomes
// readable (POLLIN) once the process exits, and a reused pid never matches
// it. Returns the descriptor or -errno (-ESRCH: no such process).
int pidfd_open_fd(pid_t pid);

// True once the process behind @pidfd has exited (a poll without waiting).
bool pidfd_exited(int pidfd);

} // namespace fileserver
