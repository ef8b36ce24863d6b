#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Per-uid limits: one user's requests cannot take every transfer slot and
the whole backlog; over its limit a client hears "busy", others are served."""

import json

import harness
from harness import EXIT_BUSY


class FairnessTest(harness.FileserverTestCase):

    def test_one_uid_at_its_limits_does_not_starve_another(self):
        uid = harness.pick_private_uid()
        if uid is None:
            self.skipTest("cannot run processes under another uid")
        big = self.random_file("big.bin", 4 * harness.MiB)
        self.write_file("small.bin", b"small\n")
        self.start_daemon(max_transfers=2, backlog=8, max_transfers_per_uid=1, max_waiting_per_uid=1,
                          send_timeout_ms=30000)

        def status():
            self.client_uid = 0
            return json.loads(self.assert_ok(self.ctl("--json", "status")).stdout)

        # uid's first transfer runs (and stalls: nobody reads its output)...
        self.client_uid = uid
        p1 = self.start_stalled_client("big.bin", timeout=60)
        # ...its second waits for it, although the server may run one more transfer...
        self.client_uid = uid
        p2 = self.spawn_ctl("--timeout", "60", "get", "small.bin")
        harness.wait_until(lambda: status()["waiting"] == 1, 30, "the second request to wait")
        # ...and its third is over the limit of waiting requests.
        self.client_uid = uid
        r = self.ctl("--timeout", "20", "get", "small.bin")
        self.assert_exit(r, EXIT_BUSY, ["busy", str(uid)])
        # Another uid gets the free transfer slot at once.
        self.client_uid = 0
        self.assertEqual(self.assert_ok(self.ctl("--timeout", "20", "get", "small.bin")).stdout,
                         b"small\n")
        # Releasing the first transfer lets the waiting one run; both are intact.
        code, out, err = self.drain(p1)
        self.assertEqual(code, 0, err)
        self.assertTrue(out == big)
        code, out, err = self.drain(p2)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, b"small\n")
        harness.wait_until(lambda: f"uid={uid} outcome=busy" in self.daemon.log(), 30,
                           "the log line " + f"uid={uid} outcome=busy")


if __name__ == "__main__":
    harness.main()
