// SPDX-License-Identifier: MIT
#pragma once

// Descriptor hygiene for a process that starts from an unknown state (a
// daemon, a re-executed image): what it inherited and did not open.

#include <span>

namespace fileserver {

// Opens /dev/null on whichever of 0, 1 and 2 is closed, so that no
// descriptor opened later takes their place. Returns 0 or -errno.
int ensure_std_fds();

// Closes every descriptor above 2 but @keep (close_range(2), else a walk
// of /proc/self/fd).
void close_fds_except(std::span<const int> keep = {});

// Points 0, 1 and 2 at /dev/null. Returns 0 or -errno.
int redirect_std_fds_to_devnull();

// Sets or clears FD_CLOEXEC; returns 0 or -errno.
int set_cloexec(int fd, bool on);

} // namespace fileserver
