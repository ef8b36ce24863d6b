#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""get -o onto what is not a plain file (fileserverctl(1), "-o"): a device
or FIFO is written in place, a symbolic link is followed and its target
replaced, "-" is standard output; and no death of the client, SIGKILL
included, leaves anything beside the target. Every node is one the test
creates in its own temporary directory."""

import errno
import os
import signal
import stat
import struct
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB  # noqa: E402
from fstest import mqueue, wire  # noqa: E402


def tmpfile_size(pid, directory):
    """Size of the unnamed (O_TMPFILE) file @pid has open in @directory, or None."""
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except FileNotFoundError:
        return None
    for fd in fds:
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
            if link.startswith(directory + "/") and link.endswith("(deleted)"):
                return os.stat(os.path.join(fd_dir, fd)).st_size
        except OSError:
            continue
    return None


class OutputTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.data = self.random_file("f.bin", 3 * MiB + 17)
        self.start_daemon()

    def test_char_device_is_written_not_replaced(self):
        node = os.path.join(self.out_dir, "null")
        try:
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            self.skipTest("mknod needs CAP_MKNOD")
        self.assert_ok(self.ctl("get", "f.bin", "-o", node))
        st = os.lstat(node)
        self.assertTrue(stat.S_ISCHR(st.st_mode), "the device node was replaced")
        self.assertEqual(st.st_rdev, os.makedev(1, 3))
        self.assertEqual(os.listdir(self.out_dir), ["null"])

    def test_fifo_is_written_in_place(self):
        fifo = os.path.join(self.out_dir, "fifo")
        os.mkfifo(fifo)
        got = []

        def reader():
            with open(fifo, "rb") as f:
                got.append(f.read())

        t = threading.Thread(target=reader)
        t.start()
        try:
            r = self.ctl("get", "f.bin", "-o", fifo)
        finally:
            if not got and t.is_alive():
                # Unblock the reader's open() if the client never opened the FIFO.
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            t.join(60)
        self.assert_ok(r)
        self.assertTrue(got and got[0] == self.data, "the FIFO's reader got other data")
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
        self.assertEqual(os.listdir(self.out_dir), ["fifo"])

    def test_symlink_is_followed_and_its_target_replaced(self):
        real = os.path.join(self.out_dir, "real")
        with open(real, "wb") as f:
            f.write(b"old")
        link = os.path.join(self.out_dir, "link")
        os.symlink("real", link)
        self.assert_ok(self.ctl("get", "f.bin", "-o", link))
        self.assertTrue(os.path.islink(link), "the symbolic link was replaced")
        self.assertEqual(os.readlink(link), "real")
        with open(real, "rb") as f:
            self.assertTrue(f.read() == self.data)
        self.assertEqual(sorted(os.listdir(self.out_dir)), ["link", "real"])

    def test_dangling_symlink_creates_its_target(self):
        link = os.path.join(self.out_dir, "link")
        os.symlink("new", link)
        self.assert_ok(self.ctl("get", "f.bin", "-o", link))
        self.assertTrue(os.path.islink(link))
        with open(os.path.join(self.out_dir, "new"), "rb") as f:
            self.assertTrue(f.read() == self.data)

    def test_dash_is_standard_output(self):
        r = self.assert_ok(self.ctl("get", "f.bin", "-o", "-", cwd=self.out_dir))
        self.assertTrue(r.stdout == self.data)
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_failed_get_leaves_existing_file(self):
        target = os.path.join(self.out_dir, "keep")
        with open(target, "wb") as f:
            f.write(b"keep me")
        r = self.ctl("get", "no-such-file", "-o", target)
        self.assert_exit(r, harness.EXIT_NOT_FOUND)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"keep me")
        self.assertEqual(os.listdir(self.out_dir), ["keep"])


class KilledClientTest(harness.FileserverTestCase):

    def test_sigkill_mid_transfer_leaves_nothing_beside_the_target(self):
        self.random_file("big.bin", 16 * MiB)
        d = self.start_daemon(workers=1, send_timeout_ms=60000)
        target = os.path.join(self.out_dir, "target")
        with open(target, "wb") as f:
            f.write(b"previous")
        # Ordering without timing: harness.frozen_get (the transfer waiting
        # for room in the client's full reply queue); then the server
        # is held while the client drains the queue, so that the client stops
        # mid-way with part of the data written.
        p, _ = self.frozen_get("big.bin", "--quiet", "-o", target, timeout=10)
        try:
            harness.stop_process(d.proc.pid)
            p.send_signal(signal.SIGCONT)
            harness.wait_until(lambda: (tmpfile_size(p.pid, self.out_dir) or 0) > 0, 30,
                               "data in the client's unnamed temporary file")
            self.assertEqual(os.listdir(self.out_dir), ["target"], "a named temporary while fetching")
            p.kill()
            p.wait(30)
        finally:
            d.send_signal(signal.SIGCONT)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        self.assertEqual(os.listdir(self.out_dir), ["target"], "something left beside the target")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"previous")


class FileChangedTest(harness.FileserverTestCase):
    """The server ends a GET whose file changed while it was sent with an
    ERROR of code ESTALE; a fake server here opens a session and sends just
    that."""

    def serve_changed_file(self, *get_args):
        server = self.raw_reply_queue(mode=0o622)
        p = self.spawn_ctl("--timeout", "30", "--quiet", "get", "f", *get_args, queue=server.name)
        # The session: OPEN, answered with a CHALLENGE into the client's queue.
        req = server.receive(30)
        self.assertIsNotNone(req, "no OPEN")
        opening = wire.decode_request(req)
        self.assertEqual((opening["version"], opening["op"]), (2, wire.OP_OPEN))
        session, secret = 0x5e55, os.urandom(16)
        # One descriptor for the whole exchange: the client unlinks the name
        # once the CHALLENGE is in, as a real server's open queue allows.
        fd = mqueue.mq_open(opening["reply_queue"], os.O_WRONLY)
        try:
            challenge = struct.pack("=Q16sII", session, secret, 60000, 0)
            mqueue.mq_send(fd, wire.encode_reply(wire.REPLY_CHALLENGE, challenge, req_id=opening["id"],
                                                 nonce=opening["nonce"]))
            req = server.receive(30)
            self.assertIsNotNone(req, "no GET")
            fields = wire.decode_request(req)
            self.assertEqual((fields["op"], fields["session"], fields["nonce"], fields["path"]),
                             (wire.OP_GET, session, secret, b"f"))
            text = b"file changed while it was sent"
            payloads = [(wire.META, wire.meta_payload(size=8, offset=0, length=8, uid=0, gid=0, mtime=0, nsec=0,
                                                      chunk=4)),
                        (wire.DATA, b"1234"),
                        (wire.ERROR, wire.error_payload(errno.ESTALE, text))]
            for seq, (kind, payload) in enumerate(payloads):
                mqueue.mq_send(fd, wire.encode_reply(kind, payload, seq=seq, req_id=fields["id"],
                                                     nonce=secret))
        finally:
            os.close(fd)
        out, err = p.communicate(timeout=60)
        return p.returncode, out, err.decode(errors="replace")

    def test_changed_file_leaves_no_output_file(self):
        target = os.path.join(self.out_dir, "target")
        code, _, err = self.serve_changed_file("-o", target)
        self.assertEqual(code, harness.EXIT_FAILED, err)
        self.assertIn("changed", err)
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_changed_file_to_stdout_fails(self):
        code, out, err = self.serve_changed_file()
        self.assertEqual(code, harness.EXIT_FAILED, err)
        self.assertIn("changed", err)
        self.assertIn("incomplete", err)


if __name__ == "__main__":
    harness.main()
