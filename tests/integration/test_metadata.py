#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stat, ls and ping, in plain text and --json."""

import json
import os
import stat
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import EXIT_NOT_FOUND, EXIT_REFUSED  # noqa: E402


class MetadataTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.write_file("hello.txt", b"hello, world\n", mode=0o640)
        self.write_file("empty", b"", mode=0o600)
        self.write_file("sub/inner.bin", os.urandom(70000), mode=0o644)
        os.chmod(os.path.join(self.root, "sub"), 0o750)
        os.symlink("hello.txt", os.path.join(self.root, "link-to-hello"))
        # Metadata of files of any mode: the access policy has tests of its own.
        self.start_daemon(access="all")

    def stat_json(self, path):
        r = self.assert_ok(self.ctl("--json", "stat", path))
        self.assertEqual(r.stderr, b"")
        return json.loads(r.stdout)

    def ls_json(self, *path):
        r = self.assert_ok(self.ctl("--json", "ls", *path))
        self.assertEqual(r.stderr, b"")
        return json.loads(r.stdout)

    # -- stat -----------------------------------------------------------------

    def test_stat_file_json(self):
        st = os.stat(os.path.join(self.root, "hello.txt"))
        j = self.stat_json("hello.txt")
        self.assertEqual(j["size"], 13)
        self.assertEqual(j["type"], "file")
        self.assertEqual(j["mode"], "0640")
        self.assertEqual(j["uid"], st.st_uid)
        self.assertEqual(j["gid"], st.st_gid)
        self.assertEqual(j["mtime_sec"], int(st.st_mtime_ns // 10 ** 9))
        self.assertEqual(j["mtime_nsec"], st.st_mtime_ns % 10 ** 9)

    def test_stat_empty_file_and_directory(self):
        j = self.stat_json("empty")
        self.assertEqual((j["size"], j["type"], j["mode"]), (0, "file", "0600"))
        j = self.stat_json("sub")
        self.assertEqual((j["type"], j["mode"]), ("directory", "0750"))
        j = self.stat_json("sub/inner.bin")
        self.assertEqual((j["size"], j["type"], j["mode"]), (70000, "file", "0644"))

    def test_stat_symlink_inside_root_follows_it(self):
        j = self.stat_json("link-to-hello")
        self.assertEqual((j["size"], j["type"]), (13, "file"))

    def test_stat_plain_text(self):
        r = self.assert_ok(self.ctl("stat", "hello.txt"))
        self.assertIn("13", r.out)
        self.assertIn("0640", r.out)
        self.assertIn("hello.txt", r.out)
        # Plain output is not JSON.
        with self.assertRaises(ValueError):
            json.loads(r.out)

    def test_stat_json_option_after_command(self):
        r = self.assert_ok(self.ctl("stat", "--json", "hello.txt"))
        self.assertEqual(json.loads(r.stdout)["size"], 13)

    def test_stat_missing(self):
        self.assert_exit(self.ctl("stat", "nope"), EXIT_NOT_FOUND, ["nope"])
        self.assert_exit(self.ctl("stat", "nope/deeper"), EXIT_NOT_FOUND)
        self.assert_exit(self.ctl("--json", "stat", "nope"), EXIT_NOT_FOUND)

    def test_stat_refused(self):
        os.symlink("/etc/passwd", os.path.join(self.root, "passwd-link"))
        for path in ["../etc/passwd", "/etc/passwd", "passwd-link", "sub/../hello.txt"]:
            with self.subTest(path=path):
                r = self.assert_exit(self.ctl("stat", path), EXIT_REFUSED)
                self.assertEqual(r.stdout, b"")

    # -- ls -------------------------------------------------------------------

    def test_ls_root_json(self):
        entries = self.ls_json()
        names = [e["name"] for e in entries]
        self.assertEqual(names, sorted(["hello.txt", "empty", "sub", "link-to-hello"]))
        by_name = {e["name"]: e for e in entries}
        self.assertEqual(by_name["hello.txt"]["type"], "file")
        self.assertEqual(by_name["hello.txt"]["size"], 13)
        self.assertEqual(by_name["hello.txt"]["mode"], "0640")
        self.assertEqual(by_name["sub"]["type"], "directory")
        self.assertEqual(by_name["sub"]["mode"], "0750")
        # The listing shows the link itself.
        self.assertEqual(by_name["link-to-hello"]["type"], "symlink")

    def test_ls_subdirectory(self):
        entries = self.ls_json("sub")
        self.assertEqual([(e["name"], e["type"], e["size"]) for e in entries],
                         [("inner.bin", "file", 70000)])
        r = self.assert_ok(self.ctl("ls", "sub"))
        self.assertIn("inner.bin", r.out)
        self.assertEqual(len(r.out.splitlines()), 1)

    def test_ls_dot_is_root(self):
        self.assertEqual([e["name"] for e in self.ls_json(".")],
                         [e["name"] for e in self.ls_json()])

    def test_ls_plain_text_names(self):
        r = self.assert_ok(self.ctl("ls"))
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 4)
        for name in ["hello.txt", "empty", "sub", "link-to-hello"]:
            self.assertTrue(any(line.endswith(" " + name) for line in lines), f"{name} in {lines}")

    def test_ls_empty_directory(self):
        os.mkdir(os.path.join(self.root, "void"))
        self.assertEqual(self.ls_json("void"), [])
        r = self.assert_ok(self.ctl("ls", "void"))
        self.assertEqual(r.stdout, b"")

    def test_ls_many_entries(self):
        # Several ENTRIES messages: ~400 names of up to 255 bytes.
        d = os.path.join(self.root, "many")
        os.mkdir(d)
        want = set()
        for i in range(400):
            name = f"{i:04d}-" + "x" * (i % 250)
            want.add(name)
            with open(os.path.join(d, name), "wb") as f:
                f.write(b"y" * (i % 7))
        long_name = "L" * 255
        with open(os.path.join(d, long_name), "wb"):
            pass
        want.add(long_name)
        entries = self.ls_json("many")
        self.assertEqual([e["name"] for e in entries], sorted(want))
        for e in entries:
            if e["name"] != long_name:
                self.assertEqual(e["size"], int(e["name"][:4]) % 7)

    def test_ls_of_a_file_fails(self):
        r = self.ctl("ls", "hello.txt")
        self.assert_exit(r, (EXIT_NOT_FOUND, EXIT_REFUSED), ["hello.txt"])
        self.assertEqual(r.stdout, b"")

    def test_ls_missing(self):
        r = self.assert_exit(self.ctl("ls", "missing-dir"), EXIT_NOT_FOUND, ["missing-dir"])
        self.assertEqual(r.stdout, b"")
        self.assert_exit(self.ctl("--json", "ls", "missing-dir"), EXIT_NOT_FOUND)

    def test_ls_refused(self):
        os.symlink("/etc", os.path.join(self.root, "etc-link"))
        for path in ["..", "../", "/", "/etc", "etc-link", "sub/../.."]:
            with self.subTest(path=path):
                r = self.assert_exit(self.ctl("ls", path), EXIT_REFUSED)
                self.assertEqual(r.stdout, b"")

    def test_ls_shows_special_files(self):
        d = os.path.join(self.root, "special")
        os.mkdir(d)
        os.mkfifo(os.path.join(d, "fifo"))
        os.mknod(os.path.join(d, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.symlink("/etc/passwd", os.path.join(d, "escaping-link"))
        types = {e["name"]: e["type"] for e in self.ls_json("special")}
        self.assertEqual(types, {"fifo": "fifo", "null": "char-device", "escaping-link": "symlink"})

    def test_overlong_paths_refused(self):
        for args in (["stat", "s" * 5000], ["ls", "l" * 5000], ["stat", "c" * 300],
                     ["ls", "sub/" + "c" * 300]):
            with self.subTest(args=args[0] + " " + args[1][:10]):
                r = self.assert_exit(self.ctl(*args), EXIT_REFUSED)
                self.assertEqual(r.stdout, b"")

    def test_ls_directory_symlink_inside_root(self):
        os.symlink("sub", os.path.join(self.root, "sub-link"))
        self.assertEqual([e["name"] for e in self.ls_json("sub-link")], ["inner.bin"])

    # -- ping -----------------------------------------------------------------

    def test_ping_json(self):
        version = self.run_daemon("--version")
        self.assertEqual(version.returncode, 0)
        r = self.assert_ok(self.ctl("--json", "ping"))
        j = json.loads(r.stdout)
        self.assertIn("server_version", j)
        self.assertIsInstance(j["server_version"], str)
        self.assertTrue(j["server_version"])
        self.assertEqual(j["server_version"], version.out.strip())
        self.assertEqual(j["protocol_version"], 2)
        self.assertEqual(j["queue"], self.queue)

    def test_ping_plain(self):
        r = self.assert_ok(self.ctl("ping"))
        self.assertIn("pong", r.out.lower())
        self.assertIn(self.queue, r.out)

    def test_ping_with_timeout_option(self):
        self.assert_ok(self.ctl("--timeout", "5", "ping"))
        self.assert_ok(self.ctl("-t", "0.5", "-j", "ping"))

    def test_status_counts_requests(self):
        before = json.loads(self.assert_ok(self.ctl("--json", "status")).stdout)
        self.assertEqual(before["queue"], self.queue)
        self.assertEqual(before["root"], self.root)
        self.assertEqual(before["pid"], self.daemon.proc.pid)
        self.assertTrue(before["notify_registered"])
        self.assertEqual(before["last_reload"], "none")
        # An idle server: the STATUS being answered is not counted.
        self.assertEqual((before["busy"], before["parked"], before["waiting"]), (0, 0, 0), before)
        self.write_file("counted", b"12345")
        self.assert_ok(self.ctl("get", "counted"))
        self.assert_exit(self.ctl("get", "missing-file"), harness.EXIT_NOT_FOUND)
        after = json.loads(self.assert_ok(self.ctl("--json", "status")).stdout)
        # The first status request itself counts as served too.
        self.assertEqual(after["served"], before["served"] + 2)
        self.assertEqual(after["failed"], before["failed"] + 1)
        self.assertEqual(after["bytes"], before["bytes"] + 5)
        plain = self.assert_ok(self.ctl("status")).out
        self.assertIn("served:", plain)
        self.assertIn(self.queue, plain)


if __name__ == "__main__":
    harness.main()
