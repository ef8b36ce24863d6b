#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The request loop's mq_notify registration: a process that takes it away
must not stop the server, the server says so in its log, and it takes the
registration back once it is free."""

import os
import subprocess
import sys

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


if __name__ == "__main__":
    harness.main()
