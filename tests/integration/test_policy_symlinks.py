#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 10: the access policy judges the object actually served. Three
uids: the server, the victim who owns private/ (readable by the server's
group, not by others), and an attacker who plants symbolic links in a
world-writable incoming/. Whatever the attacker names through a link is
judged on its real path and on the directories of that path: every case
the policy refuses by name stays refused through a link; a legitimate link
still works."""

import json
import os
import subprocess

import harness
from harness import EXIT_REFUSED

DENY = ["*.key", "private/*"]

# The attacker's links, all in incoming/.
LINKS = {
    "y": "../private/sub",          # a directory below one others may not search
    "t": "../private/top.txt",      # a file in that directory
    "k": "../keys/server.key",      # a denied name
    "p": "../private",              # the denied directory, to list it
    "ok": "../public/readme.txt",   # legitimate
    "pub": "../public",             # legitimate
}


class PolicySymlinkTest(harness.FileserverTestCase):

    PRIVATE_UID = "required"  # the server

    def setUp(self):
        super().setUp()
        self.victim, self.attacker = self.other_uids(2)
        r = self.root
        for d, mode in (("private", 0o750), ("private/sub", 0o755), ("keys", 0o755), ("public", 0o755),
                        ("incoming", 0o1777)):
            os.mkdir(os.path.join(r, d))
            os.chmod(os.path.join(r, d), mode)
        for f, data in (("private/top.txt", b"top secret\n"), ("private/sub/doc.txt", b"private doc\n"),
                        ("keys/server.key", b"KEY\n"), ("public/readme.txt", b"readme\n")):
            self.write_file(f, data, mode=0o644)
        # The victim's files; the server may read them through its group.
        for path in ("private", "private/top.txt", "private/sub", "private/sub/doc.txt"):
            os.chown(os.path.join(r, path), self.victim, self.uid)
        for name, target in LINKS.items():
            p = subprocess.run(["ln", "-s", target, os.path.join(r, "incoming", name)],
                               **self.identity(self.attacker), stderr=subprocess.PIPE, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
        self.client_uid = self.attacker

    def refused(self, *args):
        r = self.ctl(*args)
        self.assert_exit(r, EXIT_REFUSED)
        self.assertEqual(r.stdout, b"", f"a refused {args} wrote data")
        return r

    def check_attacks(self):
        self.refused("get", "private/sub/doc.txt")
        for path in ("incoming/y/doc.txt", "incoming/t", "incoming/k"):
            with self.subTest(path=path):
                self.refused("get", path)
                self.refused("stat", path)
        self.refused("ls", "incoming/p")
        self.refused("ls", "incoming/y")
        self.assertNotIn(b"KEY", self.ctl("get", "incoming/k").stderr)

    def check_legitimate_link(self):
        self.assertEqual(self.assert_ok(self.get("incoming/ok")).stdout, b"readme\n")
        names = [e["name"] for e in json.loads(self.assert_ok(self.ctl("--json", "ls", "incoming/pub")).stdout)]
        self.assertEqual(names, ["readme.txt"])

    def test_world_readable(self):
        d = self.start_daemon(access="world-readable", deny=DENY)
        self.check_attacks()
        self.check_legitimate_link()
        line = f'get "incoming/y/doc.txt" uid={self.attacker} outcome=refused'
        harness.wait_until(lambda: line in d.log(), 30, "the log line " + line)

    def test_owner(self):
        self.start_daemon(access="owner", deny=DENY)
        self.check_attacks()
        self.check_legitimate_link()

    def test_all_still_applies_the_patterns(self):
        # No mode bit protects anything here: the patterns on the real path do.
        self.start_daemon(access="all", deny=DENY)
        for path in ("incoming/t", "incoming/k", "incoming/y/doc.txt"):
            with self.subTest(path=path):
                self.refused("get", path)
        names = [e["name"] for e in json.loads(self.assert_ok(self.ctl("--json", "ls", "incoming/p")).stdout)]
        self.assertEqual(names, [], "a listing through a link hides what the patterns refuse")
        self.check_legitimate_link()

    def test_the_owner_reads_its_own_files_through_a_link(self):
        # The control: the server can read private/, and under "owner" its
        # owner is served through the same link the attacker is refused.
        self.start_daemon(access="owner", deny=["*.key"])
        self.refused("get", "incoming/y/doc.txt")
        self.client_uid = self.victim
        self.assertEqual(self.assert_ok(self.get("incoming/y/doc.txt")).stdout, b"private doc\n")
        self.assertEqual(self.assert_ok(self.get("incoming/t")).stdout, b"top secret\n")
        self.refused("get", "incoming/k")


if __name__ == "__main__":
    harness.main()
