// SPDX-License-Identifier: MIT
#pragma once

// Signal dispositions and the mask, put back to a known state: what a
// daemon must do with what it inherited, and how it keeps signals pending
// across a fork or an execve().

#include <signal.h>

namespace fileserver {

// Puts every signal's disposition back to SIG_DFL, up to _NSIG.
void reset_signal_handlers();

// Blocks every signal; returns the previous mask.
sigset_t block_all_signals();
void set_signal_mask(const sigset_t &mask);
void unblock_all_signals();

} // namespace fileserver
