#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Names as bytes (issue 10, client side): --json never fails on a name
that is not UTF-8 (journalctl's convention: an array of byte values), and
names shown on a terminal have their control characters escaped."""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

BAD = b"bad\xff\xfename"
ESC = b"esc\x1b[31mred\nline"


class NamesTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        root = os.fsencode(self.root)
        for name in (BAD, ESC, b"plain"):
            with open(root + b"/" + name, "wb") as f:
                f.write(b"x")
        self.start_daemon()

    def test_json_ls_with_names_that_are_not_utf8(self):
        r = self.assert_ok(self.ctl("--json", "ls"))
        entries = json.loads(r.stdout)
        names = [e["name"] for e in entries]
        self.assertIn(list(BAD), names)
        self.assertIn(ESC.decode(), names)
        self.assertIn("plain", names)

    def test_json_stat_of_a_path_that_is_not_utf8(self):
        r = self.assert_ok(self.ctl("--json", "stat", os.fsdecode(BAD)))
        self.assertEqual(json.loads(r.stdout)["path"], list(BAD))

    def test_ls_to_a_terminal_escapes_control_characters(self):
        code, out = self.ctl_on_terminal("ls")
        self.assertEqual(code, 0, out)
        self.assertNotIn(b"\x1b", out)
        self.assertIn(b"esc\\033[31mred\\nline", out)
        self.assertIn(b"bad\\377\\376name", out)

    def test_error_messages_escape_names(self):
        r = self.ctl("stat", "missing\x1b[2J")
        self.assert_exit(r, harness.EXIT_NOT_FOUND)
        self.assertNotIn(b"\x1b", r.stderr)
        self.assertIn(b"missing\\033[2J", r.stderr)


if __name__ == "__main__":
    harness.main()
