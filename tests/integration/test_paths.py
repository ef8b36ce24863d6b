#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Path confinement: everything that must be refused is, with exit 4 (or 3 for
a missing file) and a message; symlinks that stay inside the root work."""

import os
import stat
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import EXIT_NOT_FOUND, EXIT_REFUSED  # noqa: E402


class PathTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.data = self.random_file("data.bin", 100000)
        self.write_file("a/file", b"in a\n")
        self.write_file("b", b"top-level b\n")
        self.write_file("sub/deeper/leaf.txt", b"leaf\n")
        r = self.root
        # Escaping links.
        os.symlink("/etc/passwd", os.path.join(r, "passwd-link"))
        depth = len(os.path.abspath(r).strip("/").split("/"))
        os.symlink("../" * (depth + 2) + "etc/passwd", os.path.join(r, "rel-escape"))
        os.symlink("../../../../../../../../etc/passwd", os.path.join(r, "sub/rel-escape"))
        os.symlink("/etc", os.path.join(r, "etc-dir-link"))
        os.symlink("..", os.path.join(r, "parent-link"))
        # A file just outside the root, next to it.
        with open(os.path.join(self.tmp, "outside.txt"), "wb") as f:
            f.write(b"secret outside the root\n")
        os.symlink("../outside.txt", os.path.join(r, "outside-link"))
        # Links that stay inside.
        os.symlink("data.bin", os.path.join(r, "inside-link"))
        os.symlink("../../data.bin", os.path.join(r, "sub/deeper/up-link"))
        os.symlink("sub/deeper", os.path.join(r, "deeper-link"))
        os.symlink(os.path.join("..", "a"), os.path.join(r, "sub/a-link"))
        # Special files.
        os.mkfifo(os.path.join(r, "fifo"))
        os.mknod(os.path.join(r, "null-dev"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.mkdir(os.path.join(r, "dir"))
        self.start_daemon(workers=2)

    def assert_refused(self, path, code=EXIT_REFUSED, words=()):
        r = self.get(path, timeout=30)
        self.assert_exit(r, code, words)
        self.assertEqual(r.stdout, b"", f"refused get of {path!r} wrote data")
        self.assertTrue(r.err.startswith("fileserverctl:"), r)
        self.assertLess(len(r.err.splitlines()), 4, f"message should be short: {r}")
        return r

    def test_dotdot(self):
        for path in ["..", "../", "../etc/passwd", "a/../b", "a/..", "./../b", "a/../../etc/passwd",
                     "sub/deeper/../../b"]:
            with self.subTest(path=path):
                self.assert_refused(path, words=[".."])

    def test_absolute(self):
        for path in ["/etc/passwd", "/", os.path.join(self.root, "b")]:
            with self.subTest(path=path):
                self.assert_refused(path, words=["absolute"])

    def test_symlink_to_absolute_outside(self):
        self.assert_refused("passwd-link")

    def test_relative_symlink_climbing_out(self):
        self.assert_refused("rel-escape")
        self.assert_refused("sub/rel-escape")
        self.assert_refused("outside-link")

    def test_directory_symlink_escaping_plus_component(self):
        self.assert_refused("etc-dir-link/passwd")
        self.assert_refused("parent-link/outside.txt")
        self.assert_refused("parent-link/root/b")

    def test_fifo_does_not_hang_the_server(self):
        r = self.assert_refused("fifo")
        self.assertIn("fifo", r.err)
        # Again, more times than there are workers: no thread may be stuck.
        for _ in range(3):
            self.assert_refused("fifo")
        r = self.assert_ok(self.get("data.bin", timeout=30))
        self.assertTrue(r.stdout == self.data)
        self.assert_ok(self.ctl("ping"))

    def test_character_device(self):
        self.assert_refused("null-dev")
        self.assert_ok(self.ctl("ping"))

    def test_directory(self):
        for path in ["dir", "sub", "sub/deeper", "deeper-link", ".", ""]:
            with self.subTest(path=path):
                self.assert_refused(path)

    def test_overlong_path(self):
        self.assert_refused("a" * 5000, words=["long"])
        self.assert_refused("d/" * 2500, words=["long"])

    def test_longest_path(self):
        # 4095 bytes is the longest path served; 4096 is refused.
        rel = []
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            length = 0
            while length + 255 + 1 + 100 < 4095:
                name = "d" * 255
                os.mkdir(name, dir_fd=fd)
                nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
                rel.append(name)
                length += 256
            last = "f" * (4095 - length)
            with open(os.open(last, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
                f.write(b"deep\n")
            rel.append(last)
        finally:
            os.close(fd)
        path = "/".join(rel)
        self.assertEqual(len(path), 4095)
        r = self.assert_ok(self.get(path))
        self.assertEqual(r.stdout, b"deep\n")
        self.assert_refused(path + "x", words=["long"])
        self.assert_refused(path + "/x", words=["long"])

    def test_long_component(self):
        self.assert_refused("x" * 300, words=["long"])
        self.assert_refused("a/" + "y" * 256, words=["long"])

    def test_not_found(self):
        for path in ["missing", "a/missing", "missing/file", "b/child"]:
            with self.subTest(path=path):
                self.assert_refused(path, code=EXIT_NOT_FOUND)

    def test_dangling_symlink_inside_root(self):
        os.symlink("nothing-here", os.path.join(self.root, "dangling"))
        self.assert_refused("dangling", code=EXIT_NOT_FOUND)

    def test_refused_with_output_file_leaves_nothing(self):
        for path in ["passwd-link", "fifo", "dir", "../b"]:
            with self.subTest(path=path):
                r, target = self.get_to_file(path, name="o")
                self.assert_exit(r, EXIT_REFUSED)
                self.assertEqual(os.listdir(self.out_dir), [])

    def test_symlinks_inside_root_are_served(self):
        for path in ["inside-link", "sub/deeper/up-link"]:
            with self.subTest(path=path):
                r = self.assert_ok(self.get(path))
                self.assertTrue(r.stdout == self.data)
        r = self.assert_ok(self.get("deeper-link/leaf.txt"))
        self.assertEqual(r.stdout, b"leaf\n")
        r = self.assert_ok(self.get("sub/a-link/file"))
        self.assertEqual(r.stdout, b"in a\n")

    def test_harmless_spellings(self):
        for path in ["./b", "a//file", "a/./file"]:
            with self.subTest(path=path):
                r = self.assert_ok(self.get(path))
                self.assertIn(r.stdout, (b"top-level b\n", b"in a\n"))

    def test_server_keeps_serving_after_refusals(self):
        for path in ["..", "/etc/passwd", "passwd-link", "fifo", "null-dev", "dir", "x" * 300]:
            self.get(path, timeout=30)
        r = self.assert_ok(self.get("data.bin"))
        self.assertTrue(r.stdout == self.data)


if __name__ == "__main__":
    harness.main()
