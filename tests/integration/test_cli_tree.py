#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fileserverctl get of several paths (-O DIR), of trees (-r), and resumed
transfers (--continue), over one session (fileserverctl(1)): what lands
where, with which mode, what is reported on stderr, the summary line, the
exit status of the worst failure, and never a file mixing two versions."""

import os
import random
import resource
import signal
import stat
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import EXIT_NOT_FOUND, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, MiB  # noqa: E402

XATTR = "user.fileserver.source"


def read(path):
    with open(path, "rb") as f:
        return f.read()


def perm(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def stamp(path):
    """The source record of user.fileserver.source, as fileserverctl(1) documents it."""
    st = os.stat(path)
    return f"size={st.st_size} mtime={st.st_mtime_ns // 10**9}.{st.st_mtime_ns % 10**9:09d}".encode()


def limit_file_size(nbytes, ignore_signal):
    """preexec_fn: writes beyond @nbytes fail (EFBIG), or kill the process
    with SIGXFSZ: a transfer that stops part-way, without timing."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN if ignore_signal else signal.SIG_DFL)
    return apply


class SeveralPathsTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.a = self.random_file("a.txt", 1000)
        self.b = self.random_file("d/b.bin", 3 * MiB + 5)
        self.write_file("d/secret.key", b"KEY")
        self.start_daemon(access="all", deny=["*.key"])

    def test_several_paths_into_a_directory(self):
        dest = os.path.join(self.out_dir, "new")  # created if missing
        r = self.assert_ok(self.ctl("get", "a.txt", "d/b.bin", "-O", dest))
        self.assertEqual(r.stderr, b"", "no summary without failures or -v")
        self.assertEqual(sorted(os.listdir(dest)), ["a.txt", "b.bin"])
        self.assertTrue(read(os.path.join(dest, "a.txt")) == self.a)
        self.assertTrue(read(os.path.join(dest, "b.bin")) == self.b)
        r = self.assert_ok(self.ctl("-v", "get", "a.txt", "-O", dest))
        self.assertIn(b"1 files, 1000 bytes fetched; 0 failed", r.stderr)

    def test_missing_and_refused_are_reported_and_the_rest_goes_on(self):
        r = self.ctl("get", "missing", "a.txt", "d/secret.key", "d/b.bin", "-O", self.out_dir)
        self.assert_exit(r, EXIT_REFUSED)  # refused ranks above not found
        err = r.stderr.decode()
        self.assertIn("fileserverctl: missing: ", err)
        self.assertIn("fileserverctl: d/secret.key: ", err)
        self.assertIn(f"2 files, {1000 + 3 * MiB + 5} bytes fetched; 2 failed", err)
        self.assertEqual(sorted(os.listdir(self.out_dir)), ["a.txt", "b.bin"])
        self.assertTrue(read(os.path.join(self.out_dir, "b.bin")) == self.b)

        r = self.ctl("get", "a.txt", "missing", "-O", self.out_dir)
        self.assert_exit(r, EXIT_NOT_FOUND)
        self.assertIn(b"1 files, 1000 bytes fetched; 1 failed", r.stderr)

    def test_directory_needs_r(self):
        r = self.ctl("get", "d", "-O", self.out_dir)
        self.assert_exit(r, EXIT_REFUSED, ["-r"])
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_usage(self):
        for args in (["get", "a.txt", "d/b.bin"], ["get", "-r", "d"], ["get", "a.txt", "-o", "x", "-O", "y"],
                     ["get", "a.txt", "-O", self.out_dir, "--offset", "1"],
                     ["get", "a.txt", "--continue"], ["stat", "a.txt", "-r"]):
            with self.subTest(args=args):
                self.assert_exit(self.ctl(*args), EXIT_USAGE)


class TreeTest(harness.FileserverTestCase):

    def test_tree_with_modes_and_symlinks(self):
        files = {"tree/f1": (os.urandom(100), 0o640), "tree/sub/f2": (os.urandom(2 * MiB), 0o755),
                 "tree/sub/deeper/f3": (b"", 0o600), "tree/.hidden": (b"h", 0o644)}
        for path, (data, mode) in files.items():
            self.write_file(path, data, mode=mode)
        os.mkdir(os.path.join(self.root, "tree/empty"))
        for d, mode in (("tree", 0o751), ("tree/sub", 0o750), ("tree/sub/deeper", 0o700),
                        ("tree/empty", 0o555)):
            os.chmod(os.path.join(self.root, d), mode)
        os.symlink("f1", os.path.join(self.root, "tree/link-to-file"))
        os.symlink("sub", os.path.join(self.root, "tree/link-to-dir"))
        os.symlink(".", os.path.join(self.root, "tree/sub/loop"))
        self.start_daemon(access="all")

        r = self.ctl("get", "-r", "tree", "-O", self.out_dir)
        self.assert_exit(r, EXIT_OK)
        err = r.stderr.decode()
        self.assertIn("tree/link-to-dir: skipped", err)
        self.assertIn("tree/sub/loop: skipped", err)
        self.assertNotIn("failed", err)
        out = os.path.join(self.out_dir, "tree")
        for path, (data, mode) in files.items():
            local = os.path.join(self.out_dir, path)
            self.assertTrue(read(local) == data, path)
            self.assertEqual(perm(local), mode, path)
        for d, mode in (("tree", 0o751), ("tree/sub", 0o750), ("tree/sub/deeper", 0o700),
                        ("tree/empty", 0o555)):
            self.assertEqual(perm(os.path.join(self.out_dir, d)), mode, d)
        link = os.path.join(out, "link-to-file")
        self.assertFalse(os.path.islink(link))
        self.assertTrue(read(link) == files["tree/f1"][0])
        self.assertEqual(perm(link), 0o640)
        self.assertFalse(os.path.lexists(os.path.join(out, "link-to-dir")))
        self.assertEqual(sorted(os.listdir(out)), [".hidden", "empty", "f1", "link-to-file", "sub"])

        # Again, into the existing tree, with -v: everything replaced, the summary shown.
        os.chmod(os.path.join(out, "empty"), 0o755)
        r = self.assert_ok(self.ctl("-v", "get", "-r", "tree", "-O", self.out_dir))
        self.assertIn(f"5 files, {100 + 2 * MiB + 1 + 100} bytes fetched; 0 failed".encode(), r.stderr)

    def test_refused_and_missing_in_a_tree(self):
        # The server lists what it would refuse to serve: links out of the
        # root, and links to nothing.
        self.write_file("t/ok", b"ok")
        os.symlink("/etc/hostname", os.path.join(self.root, "t/outside"))
        os.symlink("nothing", os.path.join(self.root, "t/dangling"))
        self.start_daemon(access="all")
        r = self.ctl("get", "-r", "t", "-O", self.out_dir)
        self.assert_exit(r, EXIT_REFUSED)  # refused ranks above not found
        self.assertIn(b"fileserverctl: t/outside: ", r.stderr)
        self.assertIn(b"fileserverctl: t/dangling: ", r.stderr)
        self.assertIn(b"1 files, 2 bytes fetched; 2 failed", r.stderr)
        self.assertEqual(os.listdir(os.path.join(self.out_dir, "t")), ["ok"])

    def test_ten_thousand_files(self):
        rng = random.Random(15)
        expected = {}
        for d in range(100):
            for f in range(100):
                path = f"many/d{d:02d}/f{f:02d}"
                data = rng.randbytes(rng.randrange(0, 3000))
                self.write_file(path, data)
                expected[path] = data
        self.start_daemon(access="all")
        r = self.assert_ok(self.ctl("-v", "get", "-r", "many", "-O", self.out_dir, timeout=600))
        total = sum(len(v) for v in expected.values())
        self.assertIn(f"10000 files, {total} bytes fetched; 0 failed".encode(), r.stderr)
        found = 0
        for dirpath, _dirs, names in os.walk(os.path.join(self.out_dir, "many")):
            for name in names:
                path = os.path.relpath(os.path.join(dirpath, name), self.out_dir)
                self.assertIn(path, expected)
                self.assertTrue(read(os.path.join(dirpath, name)) == expected[path], path)
                found += 1
        self.assertEqual(found, 10000)


class ContinueTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.data = self.random_file("big.bin", 4 * MiB + 3)
        self.start_daemon(access="all")
        self.target = os.path.join(self.out_dir, "big.bin")
        self.part = self.target + ".part"

    def interrupted(self, ignore_signal):
        """A --continue get that stops after 1 MiB: on a write error, or killed."""
        r = self.ctl("get", "big.bin", "-o", self.target, "--continue", "--quiet",
                     preexec_fn=limit_file_size(MiB, ignore_signal))
        self.assertNotEqual(r.returncode, 0)
        self.assertFalse(os.path.exists(self.target))
        self.assertEqual(os.path.getsize(self.part), MiB)
        self.assertEqual(os.getxattr(self.part, XATTR), stamp(os.path.join(self.root, "big.bin")))
        self.assertTrue(read(self.part) == self.data[:MiB])
        return r

    def test_resume_after_an_error_and_after_a_signal(self):
        for ignore_signal in (True, False):
            with self.subTest(ignore_signal=ignore_signal):
                r = self.interrupted(ignore_signal)
                if not ignore_signal:
                    self.assertEqual(r.returncode, -signal.SIGXFSZ)
                r = self.assert_ok(self.ctl("-v", "get", "big.bin", "-o", self.target, "--continue"))
                self.assertIn(f"resuming at byte {MiB}".encode(), r.stderr)
                self.assertIn(f"1 files, {len(self.data) - MiB} bytes fetched; 0 failed".encode(), r.stderr)
                self.assertTrue(read(self.target) == self.data)
                self.assertEqual(os.listdir(self.out_dir), ["big.bin"])
                os.unlink(self.target)

    def test_changed_remote_file_is_fetched_whole(self):
        self.interrupted(True)
        new = os.urandom(len(self.data))
        self.write_file("big.bin", new)  # same size, new mtime
        st = os.stat(os.path.join(self.root, "big.bin"))
        os.utime(os.path.join(self.root, "big.bin"), ns=(st.st_atime_ns, st.st_mtime_ns + 1))
        r = self.assert_ok(self.ctl("-v", "get", "big.bin", "-o", self.target, "--continue"))
        self.assertIn(b"fetching the whole file again", r.stderr)
        self.assertIn(b"changed", r.stderr)
        self.assertTrue(read(self.target) == new)

    def test_partial_without_record_is_not_trusted(self):
        with open(self.part, "wb") as f:
            f.write(b"x" * 1000)
        r = self.assert_ok(self.ctl("-v", "get", "big.bin", "-o", self.target, "--continue"))
        self.assertIn(b"fetching the whole file again", r.stderr)
        self.assertTrue(read(self.target) == self.data)
        self.assertFalse(os.path.exists(self.part))

    def test_continue_in_a_tree(self):
        self.write_file("t/small", b"small")
        os.rename(os.path.join(self.root, "big.bin"), os.path.join(self.root, "t/big.bin"))
        dest = os.path.join(self.out_dir, "t")
        os.mkdir(dest)
        with open(os.path.join(dest, "big.bin.part"), "wb") as f:
            f.write(self.data[:12345])
        os.setxattr(os.path.join(dest, "big.bin.part"), XATTR, stamp(os.path.join(self.root, "t/big.bin")))
        r = self.assert_ok(self.ctl("-v", "get", "-r", "t", "-O", self.out_dir, "--continue"))
        self.assertIn(b"resuming at byte 12345", r.stderr)
        self.assertTrue(read(os.path.join(dest, "big.bin")) == self.data)
        self.assertTrue(read(os.path.join(dest, "small")) == b"small")
        self.assertEqual(sorted(os.listdir(dest)), ["big.bin", "small"])

    def test_without_continue_nothing_partial_is_left(self):
        r = self.ctl("get", "big.bin", "-o", self.target, "--quiet", preexec_fn=limit_file_size(MiB, True))
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(os.listdir(self.out_dir), [])


if __name__ == "__main__":
    harness.main()
