// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/signal-reset.h"

using namespace fileserver;

namespace {

// The exit status of a child that ran @check (the whole process's signal
// state changes).
int status_of_child(int (*check)())
{
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		_exit(check());
	int st = 0;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

} // namespace

TEST_CASE("reset_signal_handlers puts every disposition back to the default")
{
	CHECK(status_of_child([] {
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
	CHECK(status_of_child([] {
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
