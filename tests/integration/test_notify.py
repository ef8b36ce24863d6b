#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The request loop's mq_notify registration: a process that takes it away
must not stop the server, the server says so in its log, and it takes the
registration back once it is free."""

import os
import subprocess
import sys
import time

import harness
from harness import encode_open, mq_send_to


# Registers SIGEV_NONE on the queue argv[1], re-registers whenever it lost
# it, until stdin closes.
THIEF = r"""
import ctypes, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.restype = ctypes.c_int
fd = libc.mq_open(sys.argv[1].encode(), os.O_WRONLY | os.O_CLOEXEC)
assert fd >= 0, ctypes.get_errno()
sev = (ctypes.c_byte * 64)()
struct.pack_into("=8sii", sev, 0, b"\\0" * 8, 0, 1)
assert libc.mq_notify(fd, ctypes.byref(sev)) == 0, ctypes.get_errno()
print("registered", flush=True)
while not select.select([sys.stdin], [], [], 0.001)[0]:
    libc.mq_notify(fd, ctypes.byref(sev))
"""


class NotifyTheftTest(harness.FileserverTestCase):

    def test_registration_held_by_another_process_from_the_start(self):
        self.write_file("f", b"still served\n")
        # Pre-create the queue (ours, 0622) and register on it before the
        # server starts: the server's first mq_notify() then fails with EBUSY.
        q = self.make_queue(mode=0o622)
        # A separate process: closing any descriptor of a queue drops the
        # closing process's registration, and this test process opens the
        # queue's file under /dev/mqueue to look at it.
        thief = subprocess.Popen([sys.executable, "-c", THIEF, q], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        self.addCleanup(thief.kill)
        self.assertEqual(thief.stdout.readline(), b"registered\n")
        # No request before the server has registered: a message would fire
        # the thief's registration and free it for the server.
        d = self.start_daemon(queue=q, wait=False)
        harness.wait_until(lambda: "Serving " in d.log(), 30, "the server to start")
        self.assertIn("Another process holds the mq_notify registration", d.log())
        d.wait_ready()
        # Served meanwhile by polling; the thief takes the registration back
        # after each message (SIGEV_NONE registrations are one-shot).
        for _ in range(5):
            r = self.assert_ok(self.ctl("--timeout", "20", "get", "f"))
            self.assertEqual(r.stdout, b"still served\n")
        thief.stdin.close()  # the thief exits, which drops its registration
        thief.wait(timeout=30)
        harness.wait_until(lambda: "Regained the mq_notify registration" in d.log(), 30,
                           "the server to take the registration back")
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "f"))
        self.assertEqual(r.stdout, b"still served\n")
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())

    def test_open_naming_the_server_queue_as_reply_queue_is_dropped(self):
        self.write_file("f", b"x")
        d = self.start_daemon(workers=1)
        for i in range(3):
            mq_send_to(self.queue, encode_open(self.queue.encode(), os.getpid(), os.urandom(16), i))
        # Dropped, not answered into the server's own queue (which would loop).
        harness.wait_until(lambda: "names the server queue as its reply queue" in d.log(), 30,
                           "the server to log the dropped request")
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "f"))
        self.assertEqual(r.stdout, b"x")
        # Nothing loops back: the queue empties (the client's CLOSE, sent as
        # it exits, may still be on its way to a server thread).
        harness.wait_until(lambda: harness.queue_qsize(self.queue) == 0, 30,
                           "the server queue to be empty")


class IntakeTest(harness.FileserverTestCase):
    """While requests keep coming, threads blocked in the receive take them;
    a queue the daemon may not open once more (systemd's, owned by root) is
    watched with epoll instead. Either way every request is served, and
    after a pause the queue goes back to mq_notify."""

    PRIVATE_UID = "required"

    def burst_then_pause(self, rounds=3, clients=6):
        data = os.urandom(5000)
        self.write_file("f", data)
        for _ in range(rounds):
            procs = [self.spawn_ctl("--timeout", "20", "get", "f", stdout=subprocess.PIPE)
                     for _ in range(clients)]
            for p in procs:
                out, err = p.communicate(timeout=60)
                self.assertEqual(p.returncode, 0, err)
                self.assertTrue(out == data)
            time.sleep(0.3)  # longer than the pause after which mq_notify takes over
            status = self.server_status()
            self.assertTrue(status["notify_registered"], status)
        return status

    def test_receivers_take_requests(self):
        self.start_daemon(workers=2)
        status = self.burst_then_pause()
        self.assertEqual(status["intake"], "receivers")
        self.assertEqual(status["failed"], 0, status)

    def test_queue_it_cannot_open_again_is_watched_with_epoll(self):
        # Created by this test (root), 0622, as PID 1 creates a socket
        # unit's queue: the daemon, another uid, reads it only through the
        # descriptor it is given.
        q = self.make_queue(mode=0o622)
        fd = os.open(harness.queue_path(q), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        d = self.start_daemon(queue=q, queue_fd=fd, workers=2)
        self.assertIn("Using the queue passed by systemd", d.log())
        self.assertIn("Cannot open the server queue once more to wait on it (Permission denied)",
                      d.log())
        status = self.burst_then_pause()
        self.assertEqual(status["intake"], "epoll")
        self.assertEqual(status["failed"], 0, status)
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())


if __name__ == "__main__":
    harness.main()
