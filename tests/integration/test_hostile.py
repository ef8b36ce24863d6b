#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile clients and faults (docs/security.md): floods, a session on a
queue of someone else, a restart with requests waiting in the queue, and a
storm of reloads during transfers. (test_sessions.py: attackers and victims
under uids of their own.)"""

import os
import signal
import threading
import time

import harness
from harness import (DATA, END, ERROR, META, OP_GET, OP_PING, REPLY_CHALLENGE, Session, encode_request,
                     mq_send_to)


class HostileTest(harness.FileserverTestCase):

    def test_flood_of_garbage_and_requests(self):
        self.write_file("f", b"fine\n")
        d = self.start_daemon(max_transfers=2, backlog=2)
        s = self.session(max_messages=10, message_size=8192)
        # 300 undecodable messages, then 50 valid pings on a session whose
        # 10-deep reply queue nobody reads: the server must drop, answer or
        # give up on each, never hang.
        for i in range(300):
            mq_send_to(self.queue, os.urandom(1 + i % 4400))
        for i in range(50):
            mq_send_to(self.queue, encode_request(OP_PING, s.id, s.secret, req_id=i))
        # The flood is root's: root's share of the transfers and backlog is
        # taken (its pings wait for the send timeout), another uid's is not.
        self.client_uid = harness.pick_private_uid()
        if self.client_uid is None:
            self.skipTest("cannot run processes under another uid")
        r = self.assert_ok(self.ctl("--timeout", "30", "get", "f"))
        self.assertEqual(r.stdout, b"fine\n")
        harness.wait_until(lambda: "dropped so far" in d.log(), 30, "the drop count in the log")
        self.assertIsNone(d.proc.poll())

    def test_session_on_a_queue_of_another_user(self):
        # A session's client is the owner of its reply queue: a session on a
        # queue that root made and gave to another uid is served as that
        # uid, under its rights (root could read the queue anyway; see
        # test_sessions.py for an attacker who cannot).
        uid = harness.pick_private_uid()
        if uid is None:
            self.skipTest("cannot run processes under another uid")
        self.write_file("public", b"for everyone\n", mode=0o644)
        self.write_file("private", b"root only\n", mode=0o600)
        d = self.start_daemon(access="owner")
        s = Session(self.queue)
        self.addCleanup(s.close)
        os.fchown(s.fd, uid, uid)  # owned by the private uid from now on
        s.open_session()
        replies = s.request(OP_GET, "private", req_id=7)
        self.assertEqual([r.type for r in replies], [ERROR])
        self.assertEqual([r.type for r in s.request(OP_GET, "public")], [META, DATA, END])
        harness.wait_until(lambda: f'get "private" uid={uid} outcome=refused' in d.log(), 30,
                           "the log line " + f'get "private" uid={uid} outcome=refused')

    def test_requests_waiting_across_a_restart(self):
        # The queue stays when the server stops; what is sent while no server
        # runs waits in it. OPENs are answered by the next server; requests
        # of a session of the previous one are dropped (it knows no such
        # session) and counted.
        self.write_file("f", b"after the restart\n")
        d = self.start_daemon()
        old = self.session()
        self.assertEqual(d.stop(), harness.DEXIT_OK, d.log())
        # Each closed at cleanup as soon as it exists (a later one may fail).
        sessions = [self.session(open=False) for _ in range(3)]
        sent = 0
        for i, s in enumerate(sessions):
            s.send_open(req_id=100 + i)
            sent += 64 + len(s.name)
        old.send(OP_GET, "f", req_id=99)
        sent += 64 + 1
        self.assertEqual(harness.queue_qsize(self.queue), sent)  # QSIZE counts bytes
        d2 = harness.Daemon(self, self.root, d.workdir, d.config)
        self._daemons.append(d2)
        self.addCleanup(d2.cleanup)
        d2.start()
        for i, s in enumerate(sessions):
            r = s.receive_reply()
            self.assertEqual((r.type, r.request_id), (REPLY_CHALLENGE, 100 + i))
            s.id, s.secret, _ = harness.decode_challenge(r.payload)
            replies = s.request(OP_GET, "f")
            self.assertEqual([r.type for r in replies], [META, DATA, END])
            self.assertEqual(replies[1].payload, b"after the restart\n")
        self.assertGreaterEqual(self.server_status()["rejected"], 1)
        self.assertIsNone(old.receive(0), "a request of a session of the previous server was answered")

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
