#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon's life: graceful stop during a transfer, SIGKILL mid-transfer,
reload signal, and refusing unsafe pre-existing queues."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, DEXIT_OK, DEXIT_QUEUE_UNSAFE, EXIT_UNREACHABLE  # noqa: E402


class GracefulStopTest(harness.FileserverTestCase):

    def test_sigterm_during_transfer_to_slow_reader(self):
        big = self.random_file("big.bin", 8 * MiB + 4321)
        d = self.start_daemon(workers=2, send_timeout_ms=10000, shutdown_timeout_ms=60000)
        p = self.spawn_ctl("--timeout", "30", "get", "big.bin")
        fd = p.stdout.fileno()
        # Well under way, far from done: the pipe and the reply queue hold
        # less than 1 MiB, so the server still has most of it to send.
        head = harness.read_exactly(fd, 512 * 1024, 30)
        self.assertEqual(len(head), 512 * 1024)
        d.send_signal(signal.SIGTERM)

        # Requests arriving once the server is shutting down are not taken.
        # (Checked only when the log says the signal was handled, so that
        # the ping cannot race the signal.)
        deadline = time.monotonic() + 10
        chunks = [head]
        while time.monotonic() < deadline and "sigterm" not in d.log().lower():
            chunks.append(harness.read_some(fd, 16 * 1024, 30))
            time.sleep(0.01)
        if "sigterm" in d.log().lower():
            r = self.ctl("--timeout", "1", "ping")
            self.assert_exit(r, EXIT_UNREACHABLE)

        # Slow but steady: small reads with pauses, well within the send timeout.
        while True:
            b = harness.read_some(fd, 64 * 1024, 30)
            if not b:
                break
            chunks.append(b)
            time.sleep(0.002)
        p.wait(timeout=30)
        data = b"".join(chunks)
        self.assertEqual(p.returncode, 0, p.stderr.read())
        self.assertEqual(len(data), len(big))
        self.assertEqual(harness.sha256(data), harness.sha256(big), "content differs")
        self.assertEqual(d.wait(), DEXIT_OK, d.log())
        self.assertEqual(harness.client_queues(p.pid), [])

    def test_shutdown_timeout_cuts_off_a_stalled_transfer(self):
        # A client that stopped reading keeps its transfer waiting for room
        # in its reply queue for up to send_timeout_ms (60 s here); the
        # server must still exit about shutdown_timeout_ms (1 s) after
        # SIGTERM. 20 s is a generous bound.
        big = self.random_file("big.bin", 8 * MiB)
        d = self.start_daemon(workers=1, send_timeout_ms=60000, shutdown_timeout_ms=1000)
        p = self.start_stalled_client(timeout=3)
        d.send_signal(signal.SIGTERM)
        try:
            code = d.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            self.fail("fileserverd did not exit within 20 s of SIGTERM with shutdown_timeout_ms "
                      "1000 while a client stalled (send_timeout_ms 60000): the stalled transfer "
                      "is not cut off at the shutdown timeout")
        self.assertEqual(code, DEXIT_OK, d.log())
        # The cut-off client must not claim success.
        code, out, err = self.drain(p)
        self.assertNotEqual(code, 0, "a cut-off transfer must not exit 0")
        self.assertLess(len(out), len(big))
        self.assertTrue(out == big[:len(out)])
        self.assertTrue(err.strip())

    def test_shutdown_timeout_ends_a_slow_transfer(self):
        # A reader too slow to finish within shutdown_timeout_ms: the server
        # ends its transfer with ESHUTDOWN (client exit 5) and exits 0.
        big = self.random_file("big.bin", 16 * MiB)
        d = self.start_daemon(max_transfers=1, send_timeout_ms=30000, shutdown_timeout_ms=300)
        p = self.spawn_ctl("--timeout", "30", "get", "big.bin")
        fd = p.stdout.fileno()
        chunks = [harness.read_exactly(fd, 256 * 1024, 30)]
        # A second request, accepted (taken off the server queue) while the
        # only transfer slot is taken (max_transfers=1): it waits, and is
        # answered with ESHUTDOWN at the timeout. (OPEN is answered by the
        # dispatcher, which needs no transfer slot.)
        q = self.session()
        q.send(harness.OP_PING, req_id=5)
        harness.wait_until(lambda: harness.queue_qsize(self.queue) == 0, 30,
                           "the server to take the second request")
        d.send_signal(signal.SIGTERM)
        # At most 64 KiB per 20 ms: 16 MiB would take more than 5 s.
        while True:
            b = harness.read_some(fd, 64 * 1024, 60)
            if not b:
                break
            chunks.append(b)
            time.sleep(0.02)
        _, err = p.communicate(timeout=60)
        out = b"".join(chunks)
        self.assertEqual(p.returncode, EXIT_UNREACHABLE, err)
        self.assertIn("shut", err.decode(errors="replace").lower(), d.log())
        self.assertLess(len(out), len(big))
        self.assertTrue(out == big[:len(out)])
        self.assertEqual(d.wait(), DEXIT_OK, d.log())
        replies = q.stream()
        self.assertEqual([r.type for r in replies], [harness.ERROR], replies)
        self.assertEqual(replies[0].error()[0], errno.ESHUTDOWN)

    def test_sighup_reloads_the_root(self):
        self.write_file("f", b"old root")
        d = self.start_daemon()
        new_root = os.path.join(self.tmp, "new-root")
        os.mkdir(new_root)
        with open(os.path.join(new_root, "f"), "wb") as f:
            f.write(b"new root")
        with open(d.config_path, "w") as f:
            json.dump(dict(d.config, root=new_root), f)
        d.send_signal(signal.SIGHUP)
        # The reload happens some time after the signal: retry, bounded.
        deadline = time.monotonic() + 10
        while True:
            r = self.assert_ok(self.get("f"))
            if r.stdout == b"new root" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(r.stdout, b"new root", "SIGHUP did not switch to the new root")
        self.assertIsNone(d.proc.poll())

    def test_sighup_with_broken_config_keeps_serving(self):
        self.write_file("f", b"still here")
        d = self.start_daemon()
        with open(d.config_path, "w") as f:
            f.write("{ broken")
        d.send_signal(signal.SIGHUP)
        for _ in range(5):
            r = self.assert_ok(self.get("f"))
            self.assertEqual(r.stdout, b"still here")
        self.assertIsNone(d.proc.poll(), "a bad reload must not stop the server")
        self.assertEqual(d.stop(), DEXIT_OK, d.log())

    def test_sigterm_idle(self):
        d = self.start_daemon()
        self.assertEqual(d.stop(signal.SIGTERM), DEXIT_OK, d.log())
        # By design the queue stays (the harness removes it).
        self.assertTrue(harness.queue_exists(d.queue))

    def test_sigint_idle(self):
        d = self.start_daemon()
        self.assertEqual(d.stop(signal.SIGINT), DEXIT_OK, d.log())

    def test_sighup_does_not_stop_the_server(self):
        self.write_file("f", b"contents")
        d = self.start_daemon()
        for _ in range(3):
            d.send_signal(signal.SIGHUP)
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "f"))
            self.assertEqual(r.stdout, b"contents")
        self.assertIsNone(d.proc.poll())
        self.assertEqual(d.stop(), DEXIT_OK, d.log())

    def test_restart_reuses_its_own_queue(self):
        self.write_file("f", b"again")
        d = self.start_daemon()
        self.assertEqual(d.stop(), DEXIT_OK)
        # A new daemon on the queue the first one left behind.
        d2 = harness.Daemon(self, self.root, d.workdir, d.config)
        self.addCleanup(d2.cleanup)
        d2.log_path = d.log_path + ".2"
        d2.start()
        r = self.assert_ok(self.ctl("get", "f"))
        self.assertEqual(r.stdout, b"again")
        self.assertEqual(d2.stop(), DEXIT_OK, d2.log())


class ServerKilledTest(harness.FileserverTestCase):

    def test_server_sigkilled_mid_transfer_with_output_file(self):
        self.random_file("big.bin", 16 * MiB)
        d = self.start_daemon(workers=1, send_timeout_ms=60000)
        name = "killed.out"
        target = os.path.join(self.out_dir, name)
        # Ordering without timing (harness.frozen_get): the server is killed
        # once it fills the reply queue of the stopped client.
        p, _ = self.frozen_get("big.bin", "-o", target, timeout=10)
        # -o writes through an unnamed (O_TMPFILE) file: no name while fetching.
        self.assertEqual(os.listdir(self.out_dir), [], "a named temporary file while fetching")
        d.proc.kill()
        d.wait()
        p.send_signal(signal.SIGCONT)
        _, err = p.communicate(timeout=60)
        self.assertNotEqual(p.returncode, 0, "a cut-off transfer must fail")
        self.assertTrue(err.strip(), "no message on stderr")
        self.assertFalse(os.path.exists(target), "FILE must not exist after a failed get")
        self.assertEqual(os.listdir(self.out_dir), [], "temporary file left behind")
        self.assertEqual(harness.client_queues(p.pid), [])

    def test_server_sigkilled_mid_transfer_to_stdout(self):
        big = self.random_file("big.bin", 16 * MiB)
        d = self.start_daemon(workers=1, send_timeout_ms=60000)
        p = self.spawn_ctl("--timeout", "3", "get", "big.bin")
        fd = p.stdout.fileno()
        head = harness.read_exactly(fd, 256 * 1024, 30)
        d.proc.kill()
        d.wait()
        rest = []
        while True:
            b = harness.read_some(fd, 1 << 16, 60)
            if not b:
                break
            rest.append(b)
        p.wait(timeout=60)
        out = head + b"".join(rest)
        self.assertNotEqual(p.returncode, 0, "a cut-off transfer must fail")
        self.assertLess(len(out), len(big))
        self.assertTrue(out == big[:len(out)])
        self.assertEqual(harness.client_queues(p.pid), [])


class FileChangesTest(harness.FileserverTestCase):
    """A file truncated while it is being sent: the client must fail."""

    def frozen_transfer(self, *get_args):
        """Starts `get big.bin ...` and returns (client, watch of its reply
        queue) once the server has begun replying while the client is
        stopped: the transfer then waits for room in the full reply queue,
        mid-way."""
        return self.frozen_get("big.bin", *get_args, timeout=10)

    def test_file_truncated_during_transfer_to_stdout(self):
        big = self.random_file("big.bin", 8 * MiB)
        self.start_daemon(workers=1, send_timeout_ms=60000)
        p, _ = self.frozen_transfer()
        os.truncate(os.path.join(self.root, "big.bin"), 0)
        p.send_signal(signal.SIGCONT)
        code, out, err = self.drain(p)
        self.assertEqual(code, harness.EXIT_FAILED, "a file that shrank: EIO, exit 1")
        self.assertLess(len(out), len(big))
        self.assertTrue(out == big[:len(out)])
        self.assertTrue(err.strip(), "no message on stderr")
        # The server serves again.
        self.write_file("small", b"small")
        self.assertEqual(self.assert_ok(self.get("small", timeout=60)).stdout, b"small")

    def test_file_truncated_during_transfer_with_output_file(self):
        self.random_file("big.bin", 8 * MiB)
        self.start_daemon(workers=1, send_timeout_ms=60000)
        target = os.path.join(self.out_dir, "trunc.out")
        p, _ = self.frozen_transfer("-o", target)
        os.truncate(os.path.join(self.root, "big.bin"), 4096)
        p.send_signal(signal.SIGCONT)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, harness.EXIT_FAILED, "a file that shrank: EIO, exit 1")
        self.assertTrue(err.strip(), "no message on stderr")
        self.assertEqual(os.listdir(self.out_dir), [], "no FILE and no temporary file")


class UnsafeQueueTest(harness.FileserverTestCase):

    def start_on(self, queue):
        self.write_file("f", b"x")
        d = self.start_daemon(wait=False, queue=queue)
        return d.wait(), d.log()

    def test_precreated_queue_readable_by_others(self):
        q = self.make_queue(mode=0o644)
        code, log = self.start_on(q)
        self.assertEqual(code, DEXIT_QUEUE_UNSAFE, log)
        self.assertIn(q, log)
        self.assertIn("0644", log, "the message should show the offending mode")
        # The daemon does not touch a queue it refuses.
        self.assertEqual(os.stat(harness.queue_path(q)).st_mode & 0o7777, 0o644)

    def test_precreated_queue_readable_by_group(self):
        q = self.make_queue(mode=0o640)
        code, log = self.start_on(q)
        self.assertEqual(code, DEXIT_QUEUE_UNSAFE, log)
        self.assertIn(q, log)

    def test_precreated_queue_of_another_user(self):
        q = self.make_queue(mode=0o622, uid=12345)
        code, log = self.start_on(q)
        self.assertEqual(code, DEXIT_QUEUE_UNSAFE, log)
        self.assertIn(q, log)
        self.assertIn("12345", log, "the message should name the owner")

    def test_precreated_safe_queue_is_used(self):
        q = self.make_queue(mode=0o622)
        self.write_file("f", b"served")
        d = self.start_daemon(queue=q)
        r = self.assert_ok(self.ctl("get", "f"))
        self.assertEqual(r.stdout, b"served")
        self.assertEqual(d.stop(), DEXIT_OK, d.log())

    def test_created_queue_mode(self):
        d = self.start_daemon()
        self.assertEqual(os.stat(harness.queue_path(d.queue)).st_mode & 0o7777, 0o622)


if __name__ == "__main__":
    harness.main()
