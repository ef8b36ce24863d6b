#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""get: file contents byte for byte, to stdout and with -o, and byte ranges."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, EXIT_NOT_FOUND, EXIT_REFUSED  # noqa: E402


def boundary_sizes():
    """0, 1, and chunk-1, chunk, chunk+1, 2*chunk-1.. for every chunk size a
    client may see (8192-48 and msgsize_max-48 and its halves)."""
    sizes = {0, 1, 2}
    for c in harness.reply_chunk_sizes():
        for n in (c - 1, c, c + 1, 2 * c - 1, 2 * c, 2 * c + 1, 10 * c, 10 * c + 1):
            sizes.add(n)
    return sorted(sizes)


class TransferTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.sizes = boundary_sizes()
        self.data = {}
        for n in self.sizes:
            self.data[n] = os.urandom(n)
            self.write_file(f"sizes/f{n}", self.data[n])
        self.big = self.random_file("big.bin", 5 * MiB + 12345)
        self.start_daemon()

    def test_chunk_boundaries_to_stdout(self):
        for n in self.sizes:
            with self.subTest(size=n):
                r = self.assert_ok(self.get(f"sizes/f{n}"))
                self.assertEqual(len(r.stdout), n)
                self.assertTrue(r.stdout == self.data[n], f"content of a {n}-byte file differs")
                self.assertEqual(r.stderr, b"")

    def test_chunk_boundaries_to_file(self):
        for n in self.sizes:
            with self.subTest(size=n):
                r, target = self.get_to_file(f"sizes/f{n}", name=f"f{n}")
                self.assert_ok(r)
                self.assertEqual(r.stdout, b"", "-o must not write the data to stdout")
                with open(target, "rb") as f:
                    got = f.read()
                self.assertEqual(len(got), n)
                self.assertTrue(got == self.data[n], f"content of a {n}-byte file differs")
                self.assertEqual(harness.temp_files_in(self.out_dir, f"f{n}"), [])

    def test_several_mib_to_stdout(self):
        r = self.assert_ok(self.get("big.bin"))
        self.assertEqual(len(r.stdout), len(self.big))
        self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))

    def test_several_mib_to_file(self):
        r, target = self.get_to_file("big.bin", name="big.copy")
        self.assert_ok(r)
        self.assertEqual(os.path.getsize(target), len(self.big))
        self.assertEqual(harness.file_sha256(target), harness.sha256(self.big))
        self.assertEqual(harness.temp_files_in(self.out_dir, "big.copy"), [])

    def test_output_replaces_existing_file(self):
        target = os.path.join(self.out_dir, "existing")
        with open(target, "wb") as f:
            f.write(b"old content that is longer than the new one" * 100)
        self.assert_ok(self.ctl("get", "sizes/f1", "-o", target))
        with open(target, "rb") as f:
            self.assertEqual(f.read(), self.data[1])
        self.assertEqual(harness.temp_files_in(self.out_dir, "existing"), [])

    def test_output_relative_to_cwd(self):
        r = self.assert_ok(self.ctl("get", "big.bin", "-o", "rel.bin", cwd=self.out_dir))
        self.assertEqual(r.stdout, b"")
        self.assertEqual(harness.file_sha256(os.path.join(self.out_dir, "rel.bin")),
                         harness.sha256(self.big))
        self.assertEqual(harness.temp_files_in(self.out_dir, "rel.bin"), [])

    def test_output_not_found_leaves_nothing(self):
        r, target = self.get_to_file("no-such-file", name="missing.out")
        self.assert_exit(r, EXIT_NOT_FOUND, ["no-such-file"])
        self.assertFalse(os.path.exists(target))
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_output_refused_keeps_old_file(self):
        target = os.path.join(self.out_dir, "keep")
        with open(target, "wb") as f:
            f.write(b"precious")
        r = self.ctl("get", "../etc/passwd", "-o", target)
        self.assert_exit(r, EXIT_REFUSED)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"precious", "a failed get must not touch FILE")
        self.assertEqual(sorted(os.listdir(self.out_dir)), ["keep"])

    def test_output_dash_is_stdout(self):
        r = self.assert_ok(self.ctl("get", "sizes/f2", "-o", "-", cwd=self.out_dir))
        self.assertEqual(r.stdout, self.data[2])
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_output_in_missing_directory(self):
        target = os.path.join(self.out_dir, "no-such-dir", "file")
        r = self.ctl("get", "sizes/f1", "-o", target)
        self.assert_exit(r, harness.EXIT_FAILED, ["no-such-dir"])
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_output_file_mode_follows_umask(self):
        for umask, mode in [(0o022, 0o644), (0o077, 0o600)]:
            with self.subTest(umask=oct(umask)):
                target = os.path.join(self.out_dir, f"mode-{umask:o}")
                self.assert_ok(self.ctl("get", "sizes/f1", "-o", target, umask=umask))
                self.assertEqual(os.stat(target).st_mode & 0o7777, mode)

    def test_queue_option_overrides_environment(self):
        env = dict(os.environ, FILESERVER_QUEUE=harness.unique_queue_name("elsewhere"))
        r = self.assert_ok(self.ctl("--queue", self.queue, "get", "sizes/f2", raw_args=True, env=env))
        self.assertEqual(r.stdout, self.data[2])

    # -- ranges ---------------------------------------------------------------

    def check_range(self, path, data, offset, length=None):
        extra = ["--offset", str(offset)]
        if length is not None:
            extra += ["--length", str(length)]
        end = len(data) if length is None else min(len(data), offset + length)
        want = data[offset:end]
        r = self.assert_ok(self.get(path, *extra))
        self.assertEqual(len(r.stdout), len(want), f"range {offset}+{length} of {path}")
        self.assertTrue(r.stdout == want, f"range {offset}+{length} of {path}: content differs")
        # The same range through -o.
        name = f"range-{offset}-{length}"
        r, target = self.get_to_file(path, *extra, name=name)
        self.assert_ok(r)
        with open(target, "rb") as f:
            self.assertTrue(f.read() == want, f"range {offset}+{length} of {path} with -o")
        self.assertEqual(harness.temp_files_in(self.out_dir, name), [])

    def test_ranges(self):
        size = len(self.big)
        c = 8192 - harness.REPLY_HEADER_SIZE
        cases = [
            (0, None), (0, 0), (0, 1), (1, None), (1, 1), (c - 1, 2), (c, c), (c + 1, 3 * c),
            (12345, 1000000), (size - 1, None), (size - 1, 1), (size - 10, 5),
            (size, None),               # offset == size: empty
            (size, 100),                # offset == size with a length: empty
            (size - 100, 1000),         # length beyond the end: truncated
            (1000, 2 ** 63),            # huge length: to the end
            (size - 7, 2 ** 64 - 1),    # the largest length
            (size - 7, 2 ** 64 - 2),    # offset + length overflows
            (0, size),                  # exactly the whole file
            (0, size + 1),
        ]
        for offset, length in cases:
            with self.subTest(offset=offset, length=length):
                self.check_range("big.bin", self.big, offset, length)

    def test_ranges_of_small_files(self):
        for n, offset, length in [(0, 0, None), (0, 0, 10), (1, 0, None), (1, 1, None),
                                  (1, 0, 0), (2, 1, 5)]:
            with self.subTest(size=n, offset=offset, length=length):
                self.check_range(f"sizes/f{n}", self.data[n], offset, length)

    def test_offset_beyond_end_is_refused(self):
        size = len(self.big)
        for path, offset in [("big.bin", size + 1), ("big.bin", 2 ** 64 - 1),
                             ("sizes/f0", 1), ("sizes/f1", 2)]:
            with self.subTest(path=path, offset=offset):
                r = self.get(path, "--offset", str(offset))
                self.assert_exit(r, EXIT_REFUSED)
                self.assertEqual(r.stdout, b"")
                name = f"beyond-{os.path.basename(path)}-{offset}"
                r, target = self.get_to_file(path, "--offset", str(offset), name=name)
                self.assert_exit(r, EXIT_REFUSED)
                self.assertFalse(os.path.exists(target))
                self.assertEqual(harness.temp_files_in(self.out_dir, name), [])

    def test_options_before_and_after_path(self):
        want = self.big[100:300]
        r = self.assert_ok(self.ctl("get", "--offset", "100", "--length", "200", "big.bin"))
        self.assertEqual(r.stdout, want)
        r = self.assert_ok(self.ctl("get", "big.bin", "--length=200", "--offset=100"))
        self.assertEqual(r.stdout, want)

    def test_queue_from_environment(self):
        # No --queue: FILESERVER_QUEUE names the server.
        r = self.assert_ok(self.ctl("get", "sizes/f2", raw_args=True))
        self.assertEqual(r.stdout, self.data[2])


if __name__ == "__main__":
    harness.main()
