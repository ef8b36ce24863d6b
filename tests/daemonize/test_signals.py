#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signals of the daemon: SIGHUP reloads, SIGTERM stops, SIGUSR2 re-executes
the binary in place (same PID, PID file and lock, queue; no request lost)."""

import json
import os
import signal

from dmn_harness import (EXIT_OK, WAIT, DaemonTestCase, alive, aslr_enabled, exec_generation, flock_holders,
                         main, proc_cmdline, proc_fds, proc_status, queue_info, read_text, wait_until, wait_exit)


class Signals(DaemonTestCase):

    def identity(self, pid):
        """What a re-exec must keep: the PID file and queue descriptions."""
        out = {}
        for fd, (target, st) in proc_fds(pid).items():
            if target == self.queue:
                out.setdefault("queue", []).append((st.st_dev, st.st_ino))
            elif target == self.pidfile:
                out.setdefault("pidfile", []).append((st.st_dev, st.st_ino))
        return out

    def get_text(self, relpath):
        r = self.ctl("get", relpath)
        return r.out if r.returncode == 0 else None

    def test_sighup_reloads(self):
        self.write_file("f.txt", b"one\n")
        pid = self.start()
        self.assert_serves("f.txt", b"one\n")
        root2 = os.path.join(self.tmp, "root2")
        os.mkdir(root2, 0o755)
        self.write_file("f.txt", b"two\n", root=root2)
        self.write_config(root=root2)
        os.kill(pid, signal.SIGHUP)
        wait_until(lambda: self.get_text("f.txt") == b"two\n", WAIT, "the new root")

        # A configuration that no longer loads: the running one stays.
        with open(self.config_path, "w") as f:
            f.write("{ broken")
        os.kill(pid, signal.SIGHUP)
        if self.syslog:
            self.syslog.wait_for("Reload failed, keeping the running configuration")
        self.assert_serves("f.txt", b"two\n")
        self.assertTrue(alive(pid))
        self.assertEqual(self.stop(pid), EXIT_OK)

    def test_sigusr2_reexecutes_in_place_and_loses_no_request(self):
        # Transfers may wait as long as the test needs.
        self.write_config(send_timeout_ms=120000, shutdown_timeout_ms=120000)
        small = b"small file\n"
        self.write_file("small.txt", small)
        self.write_file("big.bin", os.urandom(64 * 1024))
        pid = self.start()
        before = self.identity(pid)
        # The queue twice: a blocking descriptor of it for the request receivers.
        self.assertEqual({k: len(v) for k, v in before.items()}, {"queue": 2, "pidfile": 1})
        generation = exec_generation(pid)
        self.assertNotIn("--internal-reexec", proc_cmdline(pid))

        # A transfer in flight that the old image must finish first: it
        # holds the switch open until the test lets it go.
        stalled = self.stall_transfer("big.bin")
        stalled.wait_stuck()
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == pid, WAIT, "the notification registration")

        os.kill(pid, signal.SIGUSR2)
        # The old image stopped taking requests (it gave up mq_notify) and
        # waits for the transfer in flight.
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == 0, WAIT, "the old image to stop taking requests")
        clients = [self.spawn_ctl("get", "small.txt") for _ in range(3)] + [self.spawn_ctl("ping")]
        wait_until(lambda: queue_info(self.queue)["QSIZE"] > 0, WAIT, "requests waiting in the queue")
        self.assertEqual([c.poll() for c in clients], [None] * len(clients), "served before the switch")

        # Let the transfer finish: the old image re-executes, and the new
        # one serves what waited in the queue.
        self.assertGreater(stalled.drain(), 2)
        outputs = [c.communicate(timeout=WAIT + 30) for c in clients]
        self.assertEqual([c.returncode for c in clients], [0] * len(clients), outputs)
        self.assertEqual([out for out, _ in outputs[:3]], [small] * 3)

        wait_until(lambda: "--internal-reexec" in proc_cmdline(pid), WAIT, "the new image")
        self.assertTrue(alive(pid))
        if aslr_enabled():
            self.assertNotEqual(exec_generation(pid), generation, "no execve() happened")
        self.assertEqual(self.identity(pid), before, "the queue or PID file changed")
        self.assertEqual(read_text(self.pidfile), f"{pid}\n")
        self.assertEqual(flock_holders(self.pidfile), {pid})
        self.assertEqual(int(proc_status(pid)["SigBlk"], 16), 0)
        self.assert_serves("small.txt", small)
        if self.syslog:
            self.syslog.wait_for(f"Re-executed in place (pid {pid})")

        # And again, from the re-executed image.
        generation = exec_generation(pid)
        os.kill(pid, signal.SIGUSR2)
        if aslr_enabled():
            wait_until(lambda: exec_generation(pid) != generation, WAIT, "the second re-exec")
        wait_until(lambda: self.get_text("small.txt") == small, WAIT, "serving after the second re-exec")
        self.assertEqual(self.identity(pid), before)
        self.assertEqual(flock_holders(self.pidfile), {pid})

        self.assertEqual(self.stop(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_sigusr2_keeps_the_running_configuration_if_the_file_broke(self):
        self.write_file("f.txt", b"data\n")
        pid = self.start()
        with open(self.config_path, "w") as f:
            f.write("{ broken")
        os.kill(pid, signal.SIGUSR2)
        wait_until(lambda: "--internal-reexec" in proc_cmdline(pid), WAIT, "the new image")
        if self.syslog:
            self.syslog.wait_for("keeping the running configuration")
        wait_until(lambda: self.get_text("f.txt") == b"data\n", WAIT, "serving")
        self.assertTrue(alive(pid))
        self.assertEqual(self.stop(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_sigusr2_applies_a_new_configuration(self):
        self.write_file("f.txt", b"one\n")
        pid = self.start()
        root2 = os.path.join(self.tmp, "root2")
        os.mkdir(root2, 0o755)
        self.write_file("f.txt", b"two\n", root=root2)
        # A different queue cannot apply: the adopted one stays.
        config = self.config(root=root2, queue=self.queue + "-new")
        with open(self.config_path, "w") as f:
            json.dump(config, f)
        os.kill(pid, signal.SIGUSR2)
        wait_until(lambda: "--internal-reexec" in proc_cmdline(pid), WAIT, "the new image")
        wait_until(lambda: self.get_text("f.txt") == b"two\n", WAIT, "the new root")
        self.assertIsNone(queue_info(self.queue + "-new"))
        self.assertEqual(self.stop(pid), EXIT_OK)

    def test_sigterm_wins_over_sigusr2(self):
        """SIGTERM with (or right after) SIGUSR2: the daemon stops."""
        pid = self.start()
        os.kill(pid, signal.SIGUSR2)
        os.kill(pid, signal.SIGTERM)
        self.assertEqual(wait_exit(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_sigterm_during_the_switch(self):
        self.write_config(send_timeout_ms=120000, shutdown_timeout_ms=120000)
        self.write_file("big.bin", os.urandom(64 * 1024))
        pid = self.start()
        stalled = self.stall_transfer("big.bin")
        stalled.wait_stuck()
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == pid, WAIT, "the notification registration")
        os.kill(pid, signal.SIGUSR2)
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == 0, WAIT, "the old image to stop taking requests")
        os.kill(pid, signal.SIGTERM)
        stalled.drain()
        self.assertEqual(wait_exit(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_sighup_during_the_switch_is_not_lost(self):
        """A SIGHUP that comes while the old image winds down is handled by
        the new one (it stays pending across execve())."""
        self.write_config(send_timeout_ms=120000, shutdown_timeout_ms=120000)
        self.write_file("big.bin", os.urandom(64 * 1024))
        self.write_file("f.txt", b"one\n")
        pid = self.start()
        stalled = self.stall_transfer("big.bin")
        stalled.wait_stuck()
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == pid, WAIT, "the notification registration")
        os.kill(pid, signal.SIGUSR2)
        wait_until(lambda: queue_info(self.queue)["NOTIFY_PID"] == 0, WAIT, "the old image to stop taking requests")
        os.kill(pid, signal.SIGHUP)
        stalled.drain()
        wait_until(lambda: "--internal-reexec" in proc_cmdline(pid), WAIT, "the new image")
        if self.syslog:
            self.syslog.wait_for("Reloaded configuration")
        self.assert_serves("f.txt", b"one\n")
        self.assertEqual(self.stop(pid), EXIT_OK)


if __name__ == "__main__":
    main()
