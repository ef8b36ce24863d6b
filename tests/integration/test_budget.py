#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Small reply queues: when the uid's RLIMIT_MSGQUEUE budget is nearly used
up, the client shrinks its reply queue (fewer, then smaller messages) and
transfers stay byte-exact at the smaller chunk size; with no budget at all it
fails cleanly. Runs under a private uid, whose budget the test controls."""

import json
import os
import resource
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB, EXIT_FAILED  # noqa: E402

HEADER = harness.REPLY_HEADER_SIZE


class SmallReplyQueueTest(harness.FileserverTestCase):

    PRIVATE_UID = "required"

    def setUp(self):
        super().setUp()
        self.big = self.random_file("big.bin", 1 * MiB + 333)
        self.start_daemon(workers=2, send_timeout_ms=10000)

    def check_transfers(self, chunk):
        sizes = sorted({0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk - 1, 2 * chunk,
                        2 * chunk + 1, 7 * chunk + 5})
        for n in sizes:
            data = self.random_file(f"c{chunk}/f{n}", n)
            with self.subTest(chunk=chunk, size=n):
                r = self.assert_ok(self.get(f"c{chunk}/f{n}"))
                self.assertTrue(r.stdout == data, f"{n} bytes at chunk {chunk}: content differs")
                r, target = self.get_to_file(f"c{chunk}/f{n}", name=f"c{chunk}-{n}")
                self.assert_ok(r)
                with open(target, "rb") as f:
                    self.assertTrue(f.read() == data)
        r = self.assert_ok(self.get("big.bin"))
        self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))
        r = self.assert_ok(self.get("big.bin", "--offset", str(chunk + 3), "--length", str(3 * chunk)))
        self.assertTrue(r.stdout == self.big[chunk + 3:4 * chunk + 3])

    def check_metadata(self):
        # Directory listings split into more ENTRIES messages.
        d = os.path.join(self.root, "many")
        os.mkdir(d)
        names = sorted(f"{i:03d}-" + "n" * 200 for i in range(40))
        for n in names:
            open(os.path.join(d, n), "w").close()
        r = self.assert_ok(self.ctl("--json", "ls", "many"))
        self.assertEqual([e["name"] for e in json.loads(r.stdout)], names)
        r = self.assert_ok(self.ctl("--json", "stat", "big.bin"))
        self.assertEqual(json.loads(r.stdout)["size"], len(self.big))
        self.assert_ok(self.ctl("ping"))

    def test_default_reply_queue(self):
        # Nothing else uses this uid's budget: the client takes the full size.
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            size = min(max(int(f.read()), 1024), 262144)
        with open("/proc/sys/fs/mqueue/msg_max") as f:
            msg_max = int(f.read())
        soft, _ = resource.getrlimit(resource.RLIMIT_MSGQUEUE)
        budget = 1 << 30 if soft == resource.RLIM_INFINITY else soft
        depth = min(max(budget // 4 // size, 2), max(2, min(msg_max, 64)))
        self.assertEqual(self.client_reply_queue_attributes(), (depth, size))
        self.check_transfers(size - HEADER)

    def test_two_messages_of_8192(self):
        self.fill_budget(leave=(2, 8192))
        self.assertEqual(self.client_reply_queue_attributes(), (2, 8192))
        self.check_transfers(8192 - HEADER)

    def test_two_messages_of_4096(self):
        self.fill_budget(leave=(2, 4096))
        self.assertEqual(self.client_reply_queue_attributes(), (2, 4096))
        self.check_transfers(4096 - HEADER)

    def test_two_messages_of_1024(self):
        self.fill_budget(leave=(2, 1024))
        self.assertEqual(self.client_reply_queue_attributes(), (2, 1024))
        self.check_transfers(1024 - HEADER)
        self.check_metadata()

    def test_no_budget_left(self):
        self.fill_budget()
        r = self.ctl("ping")
        self.assert_exit(r, EXIT_FAILED, ["RLIMIT_MSGQUEUE"])
        target = os.path.join(self.out_dir, "never")
        r = self.ctl("get", "big.bin", "-o", target)
        self.assert_exit(r, EXIT_FAILED)
        self.assertEqual(os.listdir(self.out_dir), [])
        r = self.get("big.bin")
        self.assert_exit(r, EXIT_FAILED)
        self.assertEqual(r.stdout, b"")


if __name__ == "__main__":
    harness.main()
