// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <signal.h>

#include <initializer_list>

#include "util/signal-reset.h"
#include "util/test-child.h"

using namespace fileserver;

using fileserver::test::in_child;

TEST_CASE("reset_signal_handlers puts every disposition back to the default")
{
	CHECK(in_child([] {
		      signal(SIGUSR1, SIG_IGN);
		      signal(SIGHUP, [](int) {});
		      signal(SIGRTMAX, SIG_IGN);
		      reset_signal_handlers();
		      for (int sig : {SIGUSR1, SIGHUP, SIGRTMAX}) {
			      struct sigaction sa;
			      if (sigaction(sig, nullptr, &sa) < 0 || sa.sa_handler != SIG_DFL)
				      return sig;
		      }
		      return 0;
	      }) == 0);
}

TEST_CASE("block_all_signals keeps signals pending until the mask is restored")
{
	CHECK(in_child([] {
		      sigset_t old = block_all_signals();
		      if (sigismember(&old, SIGUSR1))
			      return 1;
		      raise(SIGUSR1); // pending, not delivered
		      sigset_t pending;
		      sigpending(&pending);
		      if (!sigismember(&pending, SIGUSR1))
			      return 2;
		      signal(SIGUSR1, SIG_IGN); // discards it
		      set_signal_mask(old);
		      block_all_signals();
		      unblock_all_signals();
		      sigset_t now;
		      sigprocmask(SIG_SETMASK, nullptr, &now);
		      return sigismember(&now, SIGTERM) ? 3 : 0;
	      }) == 0);
}
