#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libfileserver-client against a real fileserverd, driven through ctypes:
sessions, ping, status, stat, GET into a descriptor and through a callback,
listings, and the errors the C API reports."""

import ctypes
import errno
import json
import os
import stat
import sys
import threading
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import capi  # noqa: E402
import harness  # noqa: E402
from capi import DATA_FN, TO_END, Dirent, Stat  # noqa: E402


def my_reply_queues():
    """This process's reply queues still named in /dev/mqueue."""
    pid = os.getpid()
    return sorted(n for n in os.listdir(harness.mqueue_dir())
                  if n.startswith((f"fileserverctl-{pid}-", f"fileserver-client-{pid}-")))


class CLibraryTest(harness.FileserverTestCase):

    @classmethod
    def setUpClass(cls):
        sanitize = os.environ.get("FILESERVER_SANITIZE", "none")
        if sanitize != "none":
            raise unittest.SkipTest(f"the library is built with -fsanitize={sanitize}: "
                                    "python cannot load it (the unit tests cover it)")
        cls.lib = capi.load()

    def setUp(self):
        super().setUp()
        self.big = self.random_file("big.bin", 3 * harness.MiB + 12345)
        self.small = self.write_file("dir/small.txt", b"hello, library\n", mode=0o644)
        self.write_file("dir/empty", b"", mode=0o600)
        os.mkdir(os.path.join(self.root, "dir", "sub"))
        os.symlink("small.txt", os.path.join(self.root, "dir", "link"))
        self.start_daemon(access="all")
        self.addCleanup(self.check_no_reply_queue)
        self.s = self.open_session()

    def check_no_reply_queue(self):
        if not self._failed():
            self.assertEqual(my_reply_queues(), [])

    def open_session(self, queue=None, timeout_ms=5000, close_at_cleanup=True):
        s = capi.c_session_p()
        r = self.lib.fileserver_session_open((queue or self.queue).encode(), timeout_ms, ctypes.byref(s))
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertTrue(s.value)
        if close_at_cleanup:
            self.addCleanup(self.lib.fileserver_session_close, s)
        return s

    def fails(self, r, code, words=()):
        self.assertEqual(r, -code, f"expected -{errno.errorcode[code]}, got {r}: {capi.message(self.lib)}")
        msg = capi.message(self.lib)
        for w in words:
            self.assertIn(w, msg)
        return msg

    def get_cb(self, path, offset=0, length=TO_END, abort_at=None, st=None):
        chunks = []

        def on_data(ctx, off, data, n):
            if abort_at is not None and len(chunks) == abort_at:
                return -errno.ECANCELED
            chunks.append((off, ctypes.string_at(data, n), st.size if st is not None else None))
            return 0

        fn = DATA_FN(on_data)
        r = self.lib.fileserver_get_cb(self.s, path.encode(), offset, length, fn, None,
                                       ctypes.byref(st) if st is not None else None)
        return r, chunks

    # -- ping, status ---------------------------------------------------------

    def test_ping_gives_the_version(self):
        buf = ctypes.create_string_buffer(64)
        self.assertEqual(self.lib.fileserver_ping(self.s, buf, len(buf)), 0)
        self.assertEqual(buf.value.decode(), "fileserverd " + os.environ.get("FILESERVER_VERSION", "?"))
        # Cut to fit, always NUL-terminated; no buffer at all is fine too.
        small = ctypes.create_string_buffer(3)
        ctypes.memset(small, 0xff, 3)
        self.assertEqual(self.lib.fileserver_ping(self.s, small, 3), 0)
        self.assertEqual(small.raw, buf.value[:2] + b"\0")
        self.assertEqual(self.lib.fileserver_ping(self.s, None, 0), 0)
        self.fails(self.lib.fileserver_ping(self.s, None, 8), errno.EINVAL, ["version"])

    def test_status_is_a_json_object_to_free(self):
        p = ctypes.c_void_p()
        self.assertEqual(self.lib.fileserver_status(self.s, ctypes.byref(p)), 0)
        try:
            doc = json.loads(ctypes.string_at(p.value).decode())
        finally:
            ctypes.CDLL(None).free(p)
        self.assertIsInstance(doc, dict)
        self.assertIn("version", doc)

    # -- stat -----------------------------------------------------------------

    def test_stat_of_a_file_a_directory_and_a_link(self):
        for path, real in (("dir/small.txt", self.small), ("dir", os.path.join(self.root, "dir")),
                           ("dir/link", self.small), ("", self.root)):
            with self.subTest(path=path):
                st = Stat()
                self.assertEqual(self.lib.fileserver_stat(self.s, path.encode(), ctypes.byref(st)), 0,
                                 capi.message(self.lib))
                ref = os.stat(real)
                self.assertEqual(st.size, ref.st_size)
                self.assertEqual(st.mode, ref.st_mode)
                self.assertEqual((st.uid, st.gid), (ref.st_uid, ref.st_gid))
                self.assertEqual(st.mtime_sec * 10**9 + st.mtime_nsec, ref.st_mtime_ns)

    # -- get ------------------------------------------------------------------

    def test_get_fd_whole_file_and_ranges(self):
        size = len(self.big)
        for offset, length in ((0, TO_END), (0, size), (1000, 70000), (size - 5, TO_END), (size, TO_END),
                               (123, 0), (size - 10, 1000)):
            with self.subTest(offset=offset, length=length):
                out = os.path.join(self.out_dir, "out.bin")
                fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                st = Stat()
                try:
                    r = self.lib.fileserver_get_fd(self.s, b"big.bin", offset, length, fd, ctypes.byref(st))
                finally:
                    os.close(fd)
                self.assertEqual(r, 0, capi.message(self.lib))
                end = size if length == TO_END else min(size, offset + length)
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), self.big[offset:end])
                self.assertEqual(st.size, size)
                self.assertTrue(stat.S_ISREG(st.mode))

    def test_get_fd_into_a_pipe_without_stat(self):
        rfd, wfd = os.pipe()
        result = {}

        def reader():
            result["data"] = harness.read_exactly(rfd, len(self.big) + 1, 60)

        t = threading.Thread(target=reader)
        t.start()
        try:
            r = self.lib.fileserver_get_fd(self.s, b"big.bin", 0, TO_END, wfd, None)
        finally:
            os.close(wfd)
            t.join()
            os.close(rfd)
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(result["data"], self.big)

    def test_get_cb_in_order_with_offsets_and_meta_first(self):
        st = Stat()
        r, chunks = self.get_cb("big.bin", offset=10, st=st)
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertGreater(len(chunks), 1)
        at = 10
        for off, data, size_seen in chunks:
            self.assertEqual(off, at)
            self.assertEqual(size_seen, len(self.big))  # META came before the data
            at += len(data)
        self.assertEqual(b"".join(c[1] for c in chunks), self.big[10:])

    def test_get_cb_aborted_by_the_callback(self):
        r, chunks = self.get_cb("big.bin", abort_at=2)
        self.fails(r, errno.ECANCELED, ["callback"])
        self.assertEqual(len(chunks), 2)
        # The session goes on working after an aborted transfer.
        r, chunks = self.get_cb("dir/small.txt")
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(b"".join(c[1] for c in chunks), b"hello, library\n")

    def test_get_ahead_is_taken_by_its_get_and_dropped_by_any_other_call(self):
        ahead = self.lib.fileserver_get_ahead
        self.assertEqual(ahead(self.s, b"big.bin", 0, TO_END), 0, capi.message(self.lib))
        r, chunks = self.get_cb("big.bin")
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(b"".join(c[1] for c in chunks), self.big)
        # A GET of another file while 3 MiB are announced: that session
        # goes (the server ends its transfer), the call gets its own file.
        self.assertEqual(ahead(self.s, b"big.bin", 0, TO_END), 0)
        r, chunks = self.get_cb("dir/small.txt")
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(b"".join(c[1] for c in chunks), b"hello, library\n")
        self.assertEqual(ahead(self.s, b"dir/small.txt", 0, TO_END), 0)
        st = Stat()
        self.assertEqual(self.lib.fileserver_stat(self.s, b"big.bin", ctypes.byref(st)), 0)
        self.assertEqual(st.size, len(self.big))
        # A refusal comes back at the get that takes it.
        self.assertEqual(ahead(self.s, b"missing", 0, TO_END), 0)
        self.fails(self.get_cb("missing")[0], errno.ENOENT)
        self.fails(ahead(None, b"big.bin", 0, TO_END), errno.EINVAL, ["session"])
        self.fails(ahead(self.s, None, 0, TO_END), errno.EINVAL, ["path"])
        r, chunks = self.get_cb("big.bin", offset=5)
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(b"".join(c[1] for c in chunks), self.big[5:])

    def test_get_fd_write_failure_is_eio(self):
        fd = os.open(self.small, os.O_RDONLY)
        try:
            r = self.lib.fileserver_get_fd(self.s, b"big.bin", 0, TO_END, fd, None)
        finally:
            os.close(fd)
        self.fails(r, errno.EIO, ["descriptor", "Bad file descriptor"])

    def test_one_session_shared_by_threads(self):
        results = [None] * 4

        def worker(i):
            sink = bytearray()

            def on_data(ctx, off, data, n):
                sink.extend(ctypes.string_at(data, n))
                return 0

            r = self.lib.fileserver_get_cb(self.s, b"big.bin", 0, TO_END, DATA_FN(on_data), None, None)
            results[i] = (r, bytes(sink))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r, data in results:
            self.assertEqual(r, 0)
            self.assertEqual(data, self.big)

    # -- list -----------------------------------------------------------------

    def list_dir(self, path):
        d = capi.c_dir_p()
        r = self.lib.fileserver_list_open(self.s, path.encode(), ctypes.byref(d))
        if r < 0:
            self.assertFalse(d.value)
            return r, None
        entries = {}
        try:
            e = ctypes.POINTER(Dirent)()
            while (n := self.lib.fileserver_list_next(d, ctypes.byref(e))) == 1:
                ent = e.contents
                name = ctypes.string_at(ent.name, ent.name_len)
                self.assertEqual(ent.name, name)  # NUL-terminated copy
                entries[name.decode()] = (ent.type, ent.mode, ent.size, ent.mtime_sec)
            self.assertEqual(n, 0)
            self.assertFalse(e)
            # At the end it stays at the end.
            self.assertEqual(self.lib.fileserver_list_next(d, ctypes.byref(e)), 0)
        finally:
            self.lib.fileserver_list_close(d)
        return 0, entries

    def test_list_iterates_every_entry(self):
        r, entries = self.list_dir("dir")
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(sorted(entries), sorted(os.listdir(os.path.join(self.root, "dir"))))
        dt = {"small.txt": 8, "empty": 8, "sub": 4, "link": 10}  # DT_REG, DT_DIR, DT_LNK
        for name, (type_, mode, size, mtime) in entries.items():
            ref = os.lstat(os.path.join(self.root, "dir", name))
            self.assertEqual(type_, dt[name])
            self.assertEqual((mode, size, mtime), (ref.st_mode, ref.st_size, int(ref.st_mtime)))

    def test_list_of_the_root_and_of_an_empty_directory(self):
        r, entries = self.list_dir("")
        self.assertEqual(r, 0, capi.message(self.lib))
        self.assertEqual(sorted(entries), ["big.bin", "dir"])
        r, entries = self.list_dir("dir/sub")
        self.assertEqual((r, entries), (0, {}))

    # -- errors ---------------------------------------------------------------

    def test_server_errors_come_back_as_negative_errno(self):
        st = Stat()
        self.fails(self.lib.fileserver_stat(self.s, b"missing", ctypes.byref(st)), errno.ENOENT)
        self.fails(self.lib.fileserver_get_fd(self.s, b"missing", 0, TO_END, 1, None), errno.ENOENT)
        self.fails(self.get_cb("dir")[0], errno.EISDIR)
        self.fails(self.list_dir("dir/small.txt")[0], errno.ENOTDIR)
        self.fails(self.list_dir("nowhere")[0], errno.ENOENT)
        self.fails(self.lib.fileserver_stat(self.s, b"/etc/passwd", ctypes.byref(st)), errno.EPERM)
        self.fails(self.get_cb("big.bin", offset=len(self.big) + 1)[0], errno.ERANGE)
        # Bytes from the server or the path are escaped in the message.
        msg = self.fails(self.lib.fileserver_stat(self.s, b"bad\x1b[31mname", ctypes.byref(st)),
                         errno.ENOENT)
        self.assertNotIn("\x1b", msg)
        # The session is still good after failures.
        self.assertEqual(self.lib.fileserver_stat(self.s, b"big.bin", ctypes.byref(st)), 0)

    def test_missing_queue_is_econnrefused(self):
        s = capi.c_session_p(1)
        missing = harness.unique_queue_name("nobody")
        self.fails(self.lib.fileserver_session_open(missing.encode(), 500, ctypes.byref(s)),
                   errno.ECONNREFUSED, [missing])
        self.assertFalse(s.value)

    def test_bad_arguments_are_einval(self):
        st = Stat()
        self.fails(self.lib.fileserver_stat(self.s, None, ctypes.byref(st)), errno.EINVAL, ["path"])
        self.fails(self.lib.fileserver_stat(self.s, b"x", None), errno.EINVAL, ["st"])
        self.fails(self.lib.fileserver_get_fd(self.s, b"big.bin", 0, TO_END, -1, None), errno.EINVAL, ["fd"])
        self.fails(self.lib.fileserver_get_cb(self.s, b"big.bin", 0, TO_END, DATA_FN(), None, None),
                   errno.EINVAL, ["fn"])
        self.fails(self.lib.fileserver_list_open(self.s, b"", None), errno.EINVAL, ["out"])

    def test_sessions_are_independent(self):
        other = self.open_session(close_at_cleanup=False)
        st = Stat()
        try:
            self.assertEqual(self.lib.fileserver_stat(other, b"big.bin", ctypes.byref(st)), 0)
        finally:
            self.lib.fileserver_session_close(other)
        self.assertEqual(self.lib.fileserver_stat(self.s, b"big.bin", ctypes.byref(st)), 0)
        self.lib.fileserver_session_close(None)

    def test_stopped_server_is_an_error_not_a_hang(self):
        self.daemon.stop()
        harness.mq_unlink(self.queue)
        st = Stat()
        r = self.lib.fileserver_stat(self.s, b"big.bin", ctypes.byref(st))
        self.assertIn(-r, (errno.ECONNREFUSED, errno.ETIMEDOUT), capi.message(self.lib))


if __name__ == "__main__":
    harness.main()
