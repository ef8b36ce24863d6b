#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The access policy: the reply queue's owner is the client; "access"
decides what it may fetch, "allow" and "deny" patterns narrow it, a reload
changes it, and every refusal is logged with the uid and the path."""

import json
import os
import signal

import harness
from harness import EXIT_REFUSED


class AccessPolicyTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.write_file("open/public.txt", b"for everyone\n", mode=0o644)
        self.write_file("open/group.txt", b"for the group\n", mode=0o640)
        self.write_file("closed/public.txt", b"behind a closed door\n", mode=0o644)
        os.chmod(os.path.join(self.root, "open"), 0o755)
        os.chmod(os.path.join(self.root, "closed"), 0o750)
        self.write_file("secret.key", b"key\n", mode=0o644)

    def refused(self, path, *args):
        r = self.ctl(*args, path) if args else self.ctl("get", path)
        self.assert_exit(r, EXIT_REFUSED)
        return r

    def test_world_readable_is_the_default(self):
        d = self.start_daemon()
        self.assertEqual(self.assert_ok(self.get("open/public.txt")).stdout, b"for everyone\n")
        r = self.refused("open/group.txt")
        self.assertIn(b"not readable by others", r.stderr)
        r = self.refused("closed/public.txt")
        self.assertIn(b"closed", r.stderr)
        self.refused("closed", "ls")
        # Metadata needs only the way there.
        self.assert_ok(self.ctl("stat", "open/group.txt"))
        for line in ('get "open/group.txt" uid=0 outcome=refused',
                     'get "closed/public.txt" uid=0 outcome=refused'):
            harness.wait_until(lambda: line in d.log(), 30, "the log line " + line)

    def test_owner_uses_the_client_uid(self):
        uid = harness.pick_private_uid()
        if uid is None:
            self.skipTest("cannot run processes under another uid")
        mine = self.write_file("open/mine.txt", b"mine\n", mode=0o600)
        os.chown(mine, uid, uid)
        self.start_daemon(access="owner")
        self.client_uid = uid
        self.assertEqual(self.assert_ok(self.get("open/mine.txt")).stdout, b"mine\n")
        self.assertEqual(self.assert_ok(self.get("open/public.txt")).stdout, b"for everyone\n")
        r = self.refused("open/group.txt")
        self.assertIn(str(uid).encode(), r.stderr)
        self.refused("closed/public.txt")
        # root as a client may read what root may read.
        self.client_uid = 0
        self.assert_ok(self.get("open/group.txt"))
        self.assert_ok(self.get("closed/public.txt"))
        harness.wait_until(lambda: f'get "open/group.txt" uid={uid} outcome=refused' in self.daemon.log(), 30,
                           "the log line " + f'get "open/group.txt" uid={uid} outcome=refused')

    def test_all_serves_whatever_the_service_reads(self):
        uid = harness.pick_private_uid()
        if uid is None:
            self.skipTest("cannot run processes under another uid")
        self.start_daemon(access="all")
        self.client_uid = uid
        self.assertEqual(self.assert_ok(self.get("closed/public.txt")).stdout, b"behind a closed door\n")
        self.assertEqual(self.assert_ok(self.get("open/group.txt")).stdout, b"for the group\n")

    def test_deny_and_allow_patterns(self):
        self.start_daemon(access="all", deny=["*.key"], allow=["open", "open/*", "secret.key"])
        self.assert_ok(self.get("open/public.txt"))
        r = self.refused("secret.key")  # deny wins over allow
        self.assertIn(b"access policy", r.stderr)
        self.refused("closed/public.txt")
        self.refused("closed/public.txt", "stat")
        # A listing hides what the patterns refuse.
        names = [e["name"] for e in json.loads(self.assert_ok(self.ctl("--json", "ls")).stdout)]
        self.assertIn("open", names)
        self.assertNotIn("secret.key", names)
        self.assertNotIn("closed", names)

    def test_reload_changes_the_policy(self):
        d = self.start_daemon(access="all")
        self.assert_ok(self.get("open/group.txt"))
        with open(d.config_path, "w") as f:
            json.dump(dict(d.config, access="world-readable"), f)
        d.send_signal(signal.SIGHUP)
        harness.wait_until(lambda: "Reloaded configuration" in d.log(), 30, "the reload")
        self.refused("open/group.txt")
        self.assert_ok(self.get("open/public.txt"))

    def test_bad_policy_is_a_configuration_error(self):
        for bad in ({"access": "everyone"}, {"allow": "open/*"}, {"deny": [""]}, {"deny": [1]}):
            with self.subTest(bad=bad):
                config = self.make_config(**bad)
                path = os.path.join(self.tmp, "bad.json")
                with open(path, "w") as f:
                    json.dump(config, f)
                r = self.run_daemon("--config", path, "--check-config")
                self.assertEqual(r.returncode, harness.DEXIT_BAD_CONFIG, r)
                self.assertIn(next(iter(bad)).encode(), r.stderr)


if __name__ == "__main__":
    harness.main()
