#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--pidfile: created race-free and locked by the daemon for its whole life;
a stale file is taken over; the file goes at a clean exit."""

import os
import signal
import subprocess
import threading

from dmn_harness import (EXIT_FAILURE, EXIT_OK, FILESERVERD, LAUNCH_TIMEOUT, DaemonTestCase, alive,
                         flock_holders, is_locked, main, queue_info, read_text)


class PidFileTests(DaemonTestCase):

    def assert_held_by(self, pid):
        self.assertEqual(read_text(self.pidfile), f"{pid}\n")
        self.assertTrue(is_locked(self.pidfile))
        self.assertEqual(flock_holders(self.pidfile), {pid})
        # Nothing else in its directory: no temporary file left over.
        self.assertEqual(os.listdir(self.rundir), [os.path.basename(self.pidfile)])

    def test_stale_pidfile_naming_a_live_process(self):
        # The PID of a live process (this test), but nobody holds the lock:
        # the lock, not the PID, says whether an instance runs.
        with open(self.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
        pid = self.start()
        self.assertNotEqual(pid, os.getpid())
        self.assert_held_by(pid)
        if self.syslog:
            self.syslog.wait_for(f"Took over the stale PID file {self.pidfile} (left by pid {os.getpid()})")
        self.assert_pings()

    def test_stale_pidfile_of_a_killed_daemon(self):
        first = self.start()
        os.kill(first, signal.SIGKILL)
        self.assertEqual(self.stop(first, signal.SIGKILL), -signal.SIGKILL)
        self.assertEqual(read_text(self.pidfile), f"{first}\n")  # left behind
        self.assertFalse(is_locked(self.pidfile))
        second = self.start()
        self.assert_held_by(second)
        self.assert_pings()

    def test_empty_or_garbled_stale_pidfile(self):
        for content in ("", "garbage\n", "123456789012345678901234567890\n"):
            with self.subTest(content=content):
                with open(self.pidfile, "w") as f:
                    f.write(content)
                pid = self.start()
                self.assert_held_by(pid)
                self.assertEqual(self.stop(pid), EXIT_OK)
                self.assertFalse(os.path.exists(self.pidfile))

    def test_sigterm_and_sigint_remove_the_pidfile(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name):
                pid = self.start()
                self.assert_held_by(pid)
                self.assertEqual(self.stop(pid, sig), EXIT_OK)
                self.assertFalse(os.path.exists(self.pidfile))
                self.assertEqual(os.listdir(self.rundir), [])
                # The queue stays (by design); the next daemon reuses it.
                self.assertIsNotNone(queue_info(self.queue))

    def test_simultaneous_launches(self):
        """Launchers racing for one PID file: exactly one daemon runs."""
        n = 5
        results = [None] * n

        def run(i):
            results[i] = subprocess.run(
                [FILESERVERD, "--daemonize", "--config", self.config_path, "--pidfile", self.pidfile],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=LAUNCH_TIMEOUT)
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [r for r in results if r.returncode == EXIT_OK]
        refused = [r for r in results if r.returncode == EXIT_FAILURE]
        self.assertEqual(len(ok), 1, results)
        self.assertEqual(len(refused), n - 1, results)
        pid = self.pid_from_file()
        for r in refused:
            self.assertRegex(r.stderr.decode(), r"already running \(pid " + str(pid) + r"\)")
        self.assertTrue(alive(pid))
        self.assert_held_by(pid)
        self.assert_pings()


if __name__ == "__main__":
    main()
