#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Clients that stall, die or find no server: the server keeps serving, a
stalled client delays no one, the transfer slots of stalled and dead clients
are freed, and no client reply queue or temporary file is left."""

import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, EXIT_BUSY, EXIT_UNREACHABLE  # noqa: E402


class StalledClientTest(harness.FileserverTestCase):
    """A client that stops reading: its stdout is a pipe nobody reads."""

    BIG = 8 * MiB

    def setUp(self):
        super().setUp()
        self.big = self.random_file("big.bin", self.BIG)
        self.small = self.random_file("small.bin", 20000)

    def test_killed_client_frees_the_only_transfer_slot(self):
        # max_transfers=1: the next request runs only once the killed
        # client's transfer has ended.
        self.start_daemon(max_transfers=1, send_timeout_ms=1000)
        p = self.start_stalled_client()
        pid = p.pid
        p.kill()
        p.wait(timeout=30)
        self.assertEqual(harness.client_queues(pid), [], "SIGKILLed client left its reply queue")
        # The transfer ends when the server sees the client gone, or at the
        # latest after send_timeout_ms; the next request then gets the slot
        # (the client waits up to 20 s: send timeout plus a margin).
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "small.bin", timeout=60))
        self.assertTrue(r.stdout == self.small)
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "big.bin", timeout=60))
        self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))
        self.assertIsNone(self.daemon.proc.poll(), "fileserverd died")

    def test_other_clients_served_while_one_stalls(self):
        self.start_daemon(max_transfers=2, send_timeout_ms=1000)
        p = self.start_stalled_client()
        # The other transfer slot serves other clients meanwhile, and
        # afterwards (the stalled transfer times out) both slots serve again.
        for _ in range(3):
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "big.bin", timeout=60))
            self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))
            self.assert_ok(self.ctl("--timeout", "20", "ping"))
        pid = p.pid
        p.kill()
        p.wait(timeout=30)
        self.assertEqual(harness.client_queues(pid), [], "SIGKILLed client left its reply queue")
        for _ in range(2):
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "small.bin", timeout=60))
            self.assertTrue(r.stdout == self.small)

    def test_abandoned_stalled_client_learns_transfer_failed(self):
        self.start_daemon(workers=1, send_timeout_ms=1000)
        # Its own timeout is short: once drained, it waits for the rest in vain.
        p = self.start_stalled_client(timeout=2)
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "small.bin", timeout=60))
        self.assertTrue(r.stdout == self.small)
        # The server gives up on the stalled client (send_timeout_ms) while
        # it still reads nothing.
        harness.wait_until(lambda: "send timed out" in self.daemon.log(), 30,
                           "the stalled transfer to time out")
        # The stalled client reads what is left in its queue, then must
        # report a failure, not success with a truncated file.
        code, out, err = self.drain(p)
        self.assertNotEqual(code, 0, "a truncated transfer must not exit 0")
        self.assertLess(len(out), len(self.big))
        self.assertTrue(out == self.big[:len(out)], "the part received must be correct")
        self.assertTrue(err.strip(), "no message on stderr")
        self.assertEqual(harness.client_queues(p.pid), [])

    def test_stalled_client_does_not_delay_others(self):
        # workers=1, and the stalled transfer is parked (not timed out: the
        # send timeout is 60 s) all the while others are served: a transfer
        # that waits for its client holds no thread.
        self.start_daemon(workers=1, send_timeout_ms=60000)
        p = self.start_stalled_client(timeout=60)
        for _ in range(2):
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "small.bin", timeout=60))
            self.assertTrue(r.stdout == self.small)
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "big.bin", timeout=60))
            self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))
            self.assert_ok(self.ctl("--timeout", "20", "ping"))
        self.assertNotIn("send timed out", self.daemon.log())
        # The stalled transfer was in progress all along: resumed, it completes intact.
        code, out, err = self.drain(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(harness.sha256(out), harness.sha256(self.big))

    def test_slow_client_within_send_timeout_completes(self):
        # Stalled, but resumed before the send timeout: nothing is lost.
        self.start_daemon(workers=1, send_timeout_ms=30000)
        p = self.start_stalled_client()
        code, out, err = self.drain(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(harness.sha256(out), harness.sha256(self.big))

    def test_busy_server_says_so(self):
        # One transfer at a time, no backlog: while it runs, requests are
        # refused as busy.
        self.start_daemon(max_transfers=1, backlog=0, send_timeout_ms=30000)
        p = self.start_stalled_client()
        r = self.ctl("--timeout", "20", "ping", timeout=60)
        self.assert_exit(r, EXIT_BUSY, ["busy"])
        target = os.path.join(self.out_dir, "busy.out")
        r = self.ctl("--timeout", "20", "get", "small.bin", "-o", target, timeout=60)
        self.assert_exit(r, EXIT_BUSY)
        self.assertEqual(os.listdir(self.out_dir), [])
        # Release the slot: the stalled transfer completes intact.
        code, out, err = self.drain(p)
        self.assertEqual(code, 0, err)
        self.assertEqual(harness.sha256(out), harness.sha256(self.big))
        self.assert_ok(self.ctl("ping"))


class CrossUserTest(harness.FileserverTestCase):
    """The usual deployment: the daemon runs as its own user, clients as
    others. docs/protocol.md: the server opens the client's reply queue
    write-only, so the client creates it writable by others (0622)."""

    PRIVATE_UID = "required"

    def setUp(self):
        super().setUp()
        self.client_uid = harness.pick_private_uid()
        if self.client_uid is None:
            self.skipTest("cannot run processes under another uid")
        os.chown(self.out_dir, self.client_uid, self.client_uid)
        self.data = self.random_file("data.bin", 300000)
        self.start_daemon(workers=2)

    def test_client_of_another_user(self):
        r = self.ctl("--timeout", "3", "ping")
        self.assert_ok(r)
        r = self.assert_ok(self.ctl("--timeout", "3", "get", "data.bin"))
        self.assertTrue(r.stdout == self.data)
        r, target = self.get_to_file("data.bin", name="copy")
        self.assert_ok(r)
        self.assertEqual(harness.file_sha256(target), harness.sha256(self.data))
        self.assertEqual(os.stat(target).st_uid, self.client_uid)

    def test_root_client_of_unprivileged_server(self):
        self.client_uid = 0
        r = self.assert_ok(self.ctl("--timeout", "3", "get", "data.bin"))
        self.assertTrue(r.stdout == self.data)


class NoServerTest(harness.FileserverTestCase):
    """Clients without a (working) server: exit 5 and nothing left behind."""

    def test_no_server_queue(self):
        q = harness.unique_queue_name("absent")
        for args in (["ping"], ["--json", "ping"], ["stat", "x"], ["ls"], ["get", "x"]):
            with self.subTest(args=args):
                r = self.ctl(*args, queue=q)
                self.assert_exit(r, EXIT_UNREACHABLE, [q])
                self.assertEqual(r.stdout, b"")
        self.assertFalse(harness.queue_exists(q), "the client must not create the server queue")

    def test_no_server_with_output_file(self):
        q = harness.unique_queue_name("absent")
        target = os.path.join(self.out_dir, "never")
        r = self.ctl("get", "x", "-o", target, queue=q)
        self.assert_exit(r, EXIT_UNREACHABLE)
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_queue_without_server_times_out(self):
        q = self.make_queue()
        r = self.ctl("--timeout", "1", "ping", queue=q)
        self.assert_exit(r, EXIT_UNREACHABLE)
        target = os.path.join(self.out_dir, "never")
        r = self.ctl("--timeout", "1", "get", "x", "-o", target, queue=q)
        self.assert_exit(r, EXIT_UNREACHABLE)
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_signals_while_waiting_remove_queue_and_temp_file(self):
        q = self.make_queue()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                name = f"out-{sig.name}"
                target = os.path.join(self.out_dir, name)
                p = self.spawn_ctl("--timeout", "60", "get", "x", "-o", target, queue=q)
                # -o writes through an unnamed (O_TMPFILE) file: nothing to see.
                harness.wait_until(lambda: harness.client_queues(p.pid),
                                   30, "the client's reply queue")
                p.send_signal(sig)
                p.communicate(timeout=30)
                self.assertNotEqual(p.returncode, 0)
                self.assertEqual(harness.client_queues(p.pid), [],
                                 f"reply queue left behind after {sig.name}")
                self.assertEqual(os.listdir(self.out_dir), [],
                                 f"temporary file left behind after {sig.name}")


if __name__ == "__main__":
    harness.main()
