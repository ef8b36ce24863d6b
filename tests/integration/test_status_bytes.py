#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 10: bytes that are not UTF-8 never take the server down. A reload
of a file holding such a byte fails and the status JSON carries its text as
an array of byte values (json_bytes); a root named with such bytes is
refused as a configuration error naming the key."""

import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DEXIT_OK  # noqa: E402


def as_bytes(value):
    """A json_bytes() value back as bytes: a string, or an array of byte values."""
    return value.encode() if isinstance(value, str) else bytes(value)


class StatusBytesTest(harness.FileserverTestCase):

    def status(self, d):
        """`--json status` and plain `status`, both successful; returns the JSON."""
        r = self.assert_ok(self.ctl("--json", "status"))
        j = json.loads(r.stdout)  # valid JSON, whatever the bytes
        self.assertIsInstance(j, dict)
        self.assert_ok(self.ctl("status"))
        self.assertIsNone(d.proc.poll(), f"fileserverd died on a status request; log:\n{d.log()}")
        return j

    def test_root_whose_name_is_not_utf8_is_refused_naming_the_key(self):
        # A configuration is JSON, which holds only UTF-8: a root that is not
        # UTF-8 cannot be written in the file, and is refused on the command
        # line too, clearly, instead of being served half-representable.
        root = os.path.join(os.fsencode(self.tmp), b"root-\xff")
        os.mkdir(root)
        path = self.write_config(self.make_config())
        for extra in ((b"--check-config",), ()):
            r = self.run_daemon("--config", path, b"--root", root, *extra)
            self.assertEqual(r.returncode, harness.DEXIT_BAD_CONFIG, r)
            self.assertIn(b'"root"', r.stderr + r.stdout)
            self.assertIn(b"UTF-8", r.stderr + r.stdout)

    def test_reload_of_a_config_holding_a_byte_that_is_not_utf8(self):
        self.write_file("f", b"still here")
        d = self.start_daemon()
        text = json.dumps(dict(d.config, root="@ROOT@")).encode()
        with open(d.config_path, "wb") as f:
            f.write(text.replace(b"@ROOT@", os.fsencode(self.tmp) + b"/gone-\xff"))
        d.send_signal(signal.SIGHUP)
        # The reload happens some time after the signal: poll, bounded.
        deadline = time.monotonic() + 10
        while True:
            j = self.status(d)
            if j["last_reload"] != "none" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(as_bytes(j["last_reload"]).startswith(b"failed"), j)
        self.assertEqual(as_bytes(j["root"]), os.fsencode(self.root), "the old root stays")
        self.status(d)
        r = self.assert_ok(self.get("f"))
        self.assertEqual(r.stdout, b"still here")
        self.assertEqual(d.stop(), DEXIT_OK, d.log())


if __name__ == "__main__":
    harness.main()
