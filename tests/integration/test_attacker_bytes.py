#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 10: hostile bytes never crash or mislead, tried by an attacker
under a uid of its own, against a server and a victim that each have
theirs. The attacker may write only into a world-writable incoming/ and
talk to the server; the victim lists and fetches what is there; the admin
(this process) reloads the configuration."""

import errno
import json
import os
import signal
import stat
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import EXIT_FAILED, EXIT_REFUSED, MiB  # noqa: E402

BAD = b"incoming/bad-\xff"
ESC = b"incoming/esc-\x1b[31mred"


def as_bytes(value):
    """A json_bytes() value back as bytes: a string, or an array of byte values."""
    return value.encode() if isinstance(value, str) else bytes(value)


class AttackerBytesTest(harness.FileserverTestCase):

    PRIVATE_UID = "required"  # the server

    def setUp(self):
        super().setUp()
        self.victim, self.attacker = self.other_uids(2)
        self.assertEqual(len({self.uid, self.victim, self.attacker}), 3)
        incoming = os.path.join(self.root, "incoming")
        os.mkdir(incoming)
        os.chmod(incoming, 0o1777)
        self.write_file("public.txt", b"public\n")
        # The victim's own output directory.
        self.victim_out = os.path.join(self.tmp, "victim-out")
        os.mkdir(self.victim_out, 0o700)
        os.chown(self.victim_out, self.victim, self.victim)
        self.client_uid = self.victim

    # -- who does what ---------------------------------------------------------

    def as_attacker(self, *argv, data=None):
        """Runs @argv as the attacker, in the root, files made 0644."""
        p = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=self.root, umask=0o022, timeout=harness.PROCESS_TIMEOUT,
                           **self.identity(self.attacker))
        self.assertEqual(p.returncode, 0, f"{argv} as the attacker: {p.stderr!r}")
        return p

    def attacker_ctl(self, *args):
        self.client_uid = self.attacker
        try:
            return self.ctl(*args)
        finally:
            self.client_uid = self.victim

    def json_status(self, ctl):
        r = self.assert_ok(ctl("--json", "status"))
        j = json.loads(r.stdout)  # valid JSON, whatever the bytes
        self.assertIsInstance(j, dict)
        return j

    def alive(self, d):
        self.assertIsNone(d.proc.poll(), f"fileserverd died; log:\n{d.log()}")

    def reload_with(self, d, text, expect):
        """The admin writes @text (bytes) as the configuration and sends
        SIGHUP; returns the status once last_reload starts with @expect."""
        with open(d.config_path, "wb") as f:
            f.write(text)
        d.send_signal(signal.SIGHUP)
        # The reload happens some time after the signal: poll, bounded.
        found = {}

        def reloaded():
            found["j"] = self.json_status(self.ctl)
            return as_bytes(found["j"]["last_reload"]).startswith(expect)
        harness.wait_until(reloaded, 30, f"last_reload to start with {expect!r}")
        return found["j"]

    def served_by_the_old_config(self, ctl):
        """@ctl's requests see the test's root, and nothing of /tmp."""
        self.assertEqual(self.assert_ok(ctl("get", "public.txt")).stdout, b"public\n")
        names = sorted(as_bytes(e["name"]) for e in json.loads(self.assert_ok(ctl("--json", "ls")).stdout))
        self.assertEqual(names, [b"incoming", b"public.txt"])

    # -- 1. STATUS after a failed reload, asked by anyone ------------------------

    def test_status_from_the_attacker_after_a_reload_failed_on_a_byte(self):
        d = self.start_daemon()
        text = json.dumps(dict(d.config, root="@ROOT@")).encode()
        j = self.reload_with(d, text.replace(b"@ROOT@", os.fsencode(self.tmp) + b"/gone-\xff"), b"failed")
        self.assertEqual(as_bytes(j["root"]), os.fsencode(self.root), "the old root stays")
        for _ in range(20):
            j = self.json_status(self.attacker_ctl)
            self.assertTrue(as_bytes(j["last_reload"]).startswith(b"failed"), j)
            r = self.assert_ok(self.attacker_ctl("status"))
            self.assertNotIn(b"\xff", r.stdout + r.stderr, "a raw byte from the file reached the terminal")
            self.alive(d)
        self.served_by_the_old_config(self.ctl)
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())

    # -- 2. names that are not UTF-8, or hold control characters ------------------

    def test_victim_lists_names_planted_by_the_attacker(self):
        self.as_attacker("touch", BAD, ESC)
        self.start_daemon()
        r = self.assert_ok(self.ctl("--json", "ls", "incoming"))
        self.assertNotIn(b"\x1b", r.stdout, "a raw ESC in JSON")
        self.assertIn(b"\\u001b", r.stdout)
        names = [e["name"] for e in json.loads(r.stdout)]
        self.assertIn(list(os.path.basename(BAD)), names, "not UTF-8: an array of byte values")
        self.assertIn(os.path.basename(ESC).decode(), names, "UTF-8 with a control character: a string")
        for path in (BAD, ESC):
            with self.subTest(path=path):
                r = self.assert_ok(self.ctl("--json", "stat", os.fsdecode(path)))
                self.assertNotIn(b"\x1b", r.stdout)
                j = json.loads(r.stdout)
                if path == BAD:
                    self.assertEqual(j["path"], list(BAD))
                else:
                    self.assertEqual(j["path"], ESC.decode())

    def test_victim_ls_on_a_terminal_escapes_what_the_attacker_named(self):
        self.as_attacker("touch", BAD, ESC)
        self.start_daemon()
        code, out = self.ctl_on_terminal("ls", "incoming")
        self.assertEqual(code, 0, out)
        self.assertNotIn(b"\x1b", out)
        self.assertIn(b"esc-\\033[31mred", out)
        self.assertIn(b"bad-\\377", out)

    # -- 3. a file rewritten to the same size during a GET ------------------------

    def test_file_rewritten_to_the_same_size_during_a_get(self):
        size = 8 * MiB
        self.as_attacker("dd", "of=incoming/big", "bs=1M", "iflag=fullblock", "status=none", data=os.urandom(size))
        big = os.path.join(self.root, "incoming", "big")
        before = os.stat(big)
        self.assertEqual((before.st_uid, before.st_size, before.st_mode & 0o777), (self.attacker, size, 0o644))
        d = self.start_daemon(workers=1, send_timeout_ms=60000)
        target = os.path.join(self.victim_out, "OUT")
        # harness.frozen_get: the victim's client stopped once the server has
        # begun replying, the transfer waiting for room in its full reply queue.
        p, _ = self.frozen_get("incoming/big", "-o", target, timeout=60)
        try:
            self.as_attacker("dd", "of=incoming/big", "bs=1M", "iflag=fullblock", "conv=notrunc", "status=none",
                             data=os.urandom(size))
            after = os.stat(big)
            self.assertEqual(after.st_size, size)
            if (after.st_mtime_ns, after.st_ctime_ns) == (before.st_mtime_ns, before.st_ctime_ns):
                # The same clock tick (coarse timestamps): make the change show.
                os.utime(big, ns=(after.st_atime_ns, before.st_mtime_ns + 1))
        finally:
            p.send_signal(signal.SIGCONT)
        _, err = p.communicate(timeout=harness.PROCESS_TIMEOUT)
        err = err.decode(errors="replace")
        self.assertEqual(p.returncode, EXIT_FAILED, err)
        self.assertIn("changed", err)
        self.assertEqual(os.listdir(self.victim_out), [], "no OUT and no temporary beside it")
        self.alive(d)
        self.assertEqual(self.assert_ok(self.get("public.txt")).stdout, b"public\n")
        self.assertEqual(self.assert_ok(self.attacker_ctl("get", "public.txt")).stdout, b"public\n")

    # -- 4. a FIFO and a device node planted by the attacker ----------------------

    def assert_no_reader(self, fifo):
        """Nobody has @fifo open for reading, nor waits in open() for it."""
        with self.assertRaises(OSError) as cm:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        self.assertEqual(cm.exception.errno, errno.ENXIO)

    def test_fifo_and_device_are_refused_without_opening_them(self):
        self.as_attacker("mkfifo", "-m", "0666", "incoming/fifo")
        self.as_attacker("ln", "-s", "fifo", "incoming/fifo-link")
        paths = ["incoming/fifo", "incoming/fifo-link"]
        null = os.path.join(self.root, "incoming", "null")
        try:
            os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
            os.chown(null, self.attacker, self.attacker)
            self.as_attacker("ln", "-s", "null", "incoming/null-link")
            paths += ["incoming/null", "incoming/null-link"]
        except PermissionError:
            pass  # no CAP_MKNOD here: the FIFO cases still run
        fifo = os.path.join(self.root, "incoming", "fifo")
        d = self.start_daemon()
        for path in paths:
            with self.subTest(path=path):
                r = self.assert_exit(self.ctl("--timeout", "30", "get", path), EXIT_REFUSED)
                self.assertEqual(r.stdout, b"")
                self.assert_no_reader(fifo)
                target = os.path.join(self.victim_out, "out")
                self.assert_exit(self.ctl("--timeout", "30", "get", path, "-o", target), EXIT_REFUSED)
                self.assertEqual(os.listdir(self.victim_out), [])
                self.assert_no_reader(fifo)
        if len(paths) == 2:
            self.skipTest("cannot create a device node (no CAP_MKNOD): only the FIFO was tried")
        self.alive(d)

    # -- 5. configuration strings with NUL --------------------------------------

    # Each would do harm if cut at the NUL: serve /tmp, take another queue,
    # deny public.txt.
    BAD_SETTINGS = {"root": "/tmp\u0000/x", "queue": "/q\u0000x", "deny": ["*.key", "public.txt\u0000/x"]}

    def test_check_config_refuses_nul_naming_the_key(self):
        for key, value in self.BAD_SETTINGS.items():
            with self.subTest(key=key):
                path = self.write_config(self.make_config(**{key: value}), name=f"nul-{key}.json")
                r = self.run_daemon("--config", path, "--check-config")
                self.assertEqual(r.returncode, harness.DEXIT_BAD_CONFIG, r)
                self.assertIn(f'"{key}"'.encode(), r.stderr + r.stdout)
                self.assertIn(b"NUL", r.stderr + r.stdout)

    def test_reload_refuses_nul_and_keeps_serving_the_old_root(self):
        d = self.start_daemon()
        self.served_by_the_old_config(self.attacker_ctl)
        for key, value in self.BAD_SETTINGS.items():
            with self.subTest(key=key):
                text = json.dumps(dict(d.config, **{key: value})).encode()
                j = self.reload_with(d, text, f'failed ("{key}": contains a NUL byte'.encode())
                self.assertEqual(as_bytes(j["root"]), os.fsencode(self.root), "the old root stays")
                self.assertEqual(j["queue"], d.queue)
                self.served_by_the_old_config(self.attacker_ctl)
                self.served_by_the_old_config(self.ctl)
                self.alive(d)
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())


if __name__ == "__main__":
    harness.main()
