// SPDX-License-Identifier: MIT
#include "signal-reset.h"

namespace fileserver {

void reset_signal_handlers()
{
	struct sigaction sa = {};
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		// glibc keeps a few real-time signals for itself (EINVAL).
		sigaction(sig, &sa, nullptr);
	}
}

sigset_t block_all_signals()
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	return old;
}

void set_signal_mask(const sigset_t &mask)
{
	sigprocmask(SIG_SETMASK, &mask, nullptr);
}

void unblock_all_signals()
{
	sigset_t none;
	sigemptyset(&none);
	set_signal_mask(none);
}

} // namespace fileserver
