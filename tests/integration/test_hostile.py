#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile clients and faults (docs/security.md): floods, requests that
name someone else's reply queue, a restart with requests waiting in the
queue, and a storm of reloads during transfers."""

import os
import signal
import threading
import time

import harness
from harness import DATA, END, ERROR, META, OP_GET, OP_PING, PONG, encode_request, mq_send_to


class HostileTest(harness.FileserverTestCase):

    def test_flood_of_garbage_and_requests(self):
        self.write_file("f", b"fine\n")
        d = self.start_daemon(workers=2, backlog=2)
        q = self.raw_reply_queue(mode=0o622, max_messages=10, message_size=8192)
        # 300 undecodable messages, then 50 valid pings into a 10-deep reply
        # queue that nobody reads: the server must drop, answer or give up
        # on each, never hang.
        for i in range(300):
            mq_send_to(self.queue, os.urandom(1 + i % 4400))
        for i in range(50):
            mq_send_to(self.queue, encode_request(OP_PING, q.name, req_id=i))
        # The flood is root's: root's share of the workers and backlog is
        # taken (its pings wait for the send timeout), another uid's is not.
        self.client_uid = harness.pick_private_uid()
        if self.client_uid is None:
            self.skipTest("cannot run processes under another uid")
        r = self.assert_ok(self.ctl("--timeout", "30", "get", "f"))
        self.assertEqual(r.stdout, b"fine\n")
        harness.wait_until(lambda: "dropped so far" in d.log(), 30, "the drop count in the log")
        self.assertIsNone(d.proc.poll())

    def test_request_naming_another_users_queue(self):
        # The reply queue's owner is the client: a request that names a
        # queue the sender does not own is served to that queue's owner,
        # under the owner's rights, and the sender gets nothing.
        uid = harness.pick_private_uid()
        if uid is None:
            self.skipTest("cannot run processes under another uid")
        self.write_file("public", b"for everyone\n", mode=0o644)
        self.write_file("private", b"root only\n", mode=0o600)
        d = self.start_daemon(access="owner")
        victim = self.raw_reply_queue(mode=0o622)  # owned by root
        os.fchown(victim.fd, uid, uid)            # ...now by the private uid
        mq_send_to(self.queue, encode_request(OP_GET, victim.name, "private", req_id=7))
        replies = victim.stream()
        self.assertEqual([r.type for r in replies], [ERROR])
        harness.wait_until(lambda: f'get "private" uid={uid} outcome=refused' in d.log(), 30,
                           "the log line " + f'get "private" uid={uid} outcome=refused')

    def test_requests_waiting_across_a_restart_are_served(self):
        self.write_file("f", b"after the restart\n")
        d = self.start_daemon()
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())
        # The queue stays; requests sent while no server runs wait in it.
        queues = [self.raw_reply_queue(mode=0o622) for _ in range(3)]
        sent = 0
        for i, q in enumerate(queues):
            msg = encode_request(OP_GET, q.name, "f", req_id=100 + i)
            mq_send_to(self.queue, msg)
            sent += len(msg)
        self.assertEqual(harness.queue_qsize(self.queue), sent)  # QSIZE counts bytes
        d2 = harness.Daemon(self, self.root, d.workdir, d.config)
        self._daemons.append(d2)
        self.addCleanup(d2.cleanup)
        d2.start()
        for i, q in enumerate(queues):
            replies = q.stream()
            self.assertEqual([r.type for r in replies], [META, DATA, END])
            self.assertEqual(replies[1].payload, b"after the restart\n")
            self.assertEqual(replies[0].request_id, 100 + i)

    def test_reload_storm_during_transfers(self):
        files = {f"big{i}.bin": self.random_file(f"big{i}.bin", 3 * harness.MiB) for i in range(4)}
        d = self.start_daemon(workers=4)
        stop = threading.Event()
        hups = [0]

        def storm():
            while not stop.is_set():
                d.send_signal(signal.SIGHUP)
                hups[0] += 1
                time.sleep(0.003)

        t = threading.Thread(target=storm)
        t.start()
        rounds = 0
        try:
            # Rounds of concurrent transfers until the storm has sent plenty
            # of HUPs during them (bounded: a round takes far longer than a HUP).
            while rounds < 3 or (hups[0] < 50 and rounds < 30):
                # Output to files: a client whose stdout pipe nobody drains
                # yet would stop reading its reply queue.
                outs = {name: os.path.join(self.out_dir, f"{name}.{rounds}") for name in files}
                procs = {name: self.spawn_ctl("--timeout", "30", "get", name, "-o", outs[name])
                         for name in files}
                for name, p in procs.items():
                    code, _, err = self.drain(p)
                    self.assertEqual(code, 0, err)
                    with open(outs[name], "rb") as f:
                        self.assertTrue(f.read() == files[name],
                                        f"{name} corrupted during the reload storm")
                    os.unlink(outs[name])
                rounds += 1
        finally:
            stop.set()
            t.join(timeout=30)
        self.assertGreaterEqual(hups[0], 50)
        self.assertIsNone(d.proc.poll())
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())


if __name__ == "__main__":
    harness.main()
