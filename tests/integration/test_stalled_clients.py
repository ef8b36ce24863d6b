#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Many clients that stop reading (the streaming engine): a transfer waiting
for room in its client's reply queue is parked and holds no thread, so a
few `workers` serve any number of stalled clients while fresh clients are
served byte for byte; the server's thread count does not grow with them.
Parked transfers end at their send timeout (the clients learn that their
transfer failed, the part they got being correct) or, well before it, when
their client dies. Within one session, requests run one at a time: the
replies of two requests in flight never interleave.

The server, the stalled clients (a few per uid: each fileserverctl reply
queue takes 10 x 8 KiB of its uid's 819200-byte RLIMIT_MSGQUEUE budget) and
the fresh client each run under uids of their own, in an IPC namespace of
its own when the file can (harness.private_ipc_namespace)."""

import errno
import os
import re
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DATA, END, ERROR, META, MiB, OP_GET, wait_until  # noqa: E402

STALLED = 24   # stalled clients
PER_UID = 3    # stalled clients per uid (about 9 reply queues of 10 x 8 KiB fit in a uid's budget)
WAIT = 30      # bound of every wait for a state; never a pass/fail timing
BIG = 8 * MiB  # far more than a pipe (64 KiB) and a reply queue (80 KiB) hold


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def settled_thread_count(pid, looks=10):
    """The fewest threads of @pid seen in a few looks: a notification thread
    of glibc's mq_notify lives only while it runs the server's callback."""
    counts = []
    for _ in range(looks):
        counts.append(thread_count(pid))
        time.sleep(0.02)
    return min(counts)


class StalledClientsTestCase(harness.FileserverTestCase):

    PRIVATE_UID = "required"  # the server

    def setUp(self):
        super().setUp()
        self.big = self.random_file("big.bin", BIG)
        # Sizes around the 8 KiB messages of a reply queue, none a multiple of a chunk.
        self.smalls = {f"small{i}.bin": self.random_file(f"small{i}.bin", n)
                       for i, n in enumerate((0, 1, 8144, 20000, 100003))}
        uids = self.other_uids(1 + STALLED // PER_UID)
        self.fresh_uid, self.stall_uids = uids[0], uids[1:]
        self.fresh_requests = 0
        self.assertNotIn(self.uid, uids)
        self.assertEqual(len(set(uids)), len(uids))

    def start(self, workers=1, **kw):
        d = self.start_daemon(workers=workers, max_transfers=1024, **kw)
        # Whether STATUS counts its own request as busy: the baseline.
        s = self.server_status()
        self.idle_busy = s["busy"]
        self.failed_before = s["failed"]
        return d

    def stall(self, first, count, client_timeout):
        """Clients @first .. @first+@count-1, each a `get big.bin` whose
        output nobody reads (harness.start_stalled_client), PER_UID per uid."""
        procs = []
        for i in range(first, first + count):
            self.client_uid = self.stall_uids[i // PER_UID]
            procs.append(self.start_stalled_client("big.bin", timeout=client_timeout))
        self.client_uid = None
        return procs

    def as_fresh_client(self):
        self.client_uid = self.fresh_uid

    def assert_fresh_client_served(self):
        """A client of another uid gets every small file and the big one,
        byte for byte; the server logs each of its requests as served."""
        self.as_fresh_client()
        try:
            for name, data in self.smalls.items():
                r = self.assert_ok(self.ctl("--timeout", "30", "get", name, timeout=120))
                self.assertTrue(r.stdout == data, f"{name}: content differs")
            self.assert_ok(self.ctl("--timeout", "30", "ping", timeout=120))
            r = self.assert_ok(self.ctl("--timeout", "30", "get", "big.bin", timeout=120))
            self.assertEqual(len(r.stdout), BIG)
            self.assertEqual(harness.sha256(r.stdout), harness.sha256(self.big))
        finally:
            self.client_uid = None
        self.fresh_requests += len(self.smalls) + 2

        def logged():
            lines = [line for line in self.daemon.log().splitlines() if f" uid={self.fresh_uid} " in line]
            return lines if len(lines) >= self.fresh_requests else None
        # (A client may have its whole reply a moment before the server logs the request.)
        records = wait_until(logged, WAIT, "the log records of the fresh client's requests")
        self.assertEqual(len(records), self.fresh_requests, records)
        self.assertEqual([line for line in records if " outcome=ok " not in line], [],
                         "requests answered in full but not logged as served")

    def log_records_of(self, pid):
        """The daemon's log lines of requests of the session of client @pid."""
        return [line for line in self.daemon.log().splitlines()
                if re.search(rf"\bpid={pid}\b", line) and 'get "big.bin"' in line]


class ManyStalledClientsTest(StalledClientsTestCase):

    def test_stalled_clients_hold_no_thread_and_delay_no_one(self):
        # The send timeout is far away: the transfers stay parked until the
        # clients are killed, and only the news of their death ends them.
        d = self.start(send_timeout_ms=60000)
        pid = d.proc.pid
        self.assert_fresh_client_served()  # a warm-up: every thread the server makes at start
        before = settled_thread_count(pid)

        half = self.stall(0, STALLED // 2, client_timeout=60)
        s = self.wait_status(lambda s: s["parked"] == STALLED // 2, f"{STALLED // 2} transfers to park")
        self.assertGreaterEqual(s["busy"], STALLED // 2, s)
        with_half = settled_thread_count(pid)

        rest = self.stall(STALLED // 2, STALLED - STALLED // 2, client_timeout=60)
        stalled = half + rest
        s = self.wait_status(lambda s: s["parked"] == STALLED, f"{STALLED} transfers to park")
        self.assertGreaterEqual(s["busy"], STALLED, s)
        self.assertEqual(s["max_transfers"], 1024, s)
        self.assertEqual(s["workers"], 1, s)
        with_all = settled_thread_count(pid)
        # 1 main + workers + glibc's notification helper (+ one notification
        # thread at a time): nothing per transfer, parked or not.
        self.assertLessEqual(with_half, before + 2,
                             f"threads: {before} idle, {with_half} with {STALLED // 2} stalled clients")
        self.assertLessEqual(with_all, before + 2,
                             f"threads: {before} idle, {with_all} with {STALLED} stalled clients")
        self.assertLessEqual(with_all, with_half + 1,
                             f"threads grow with stalled clients: {with_half} with {STALLED // 2}, "
                             f"{with_all} with {STALLED}")

        # A client of another uid is served in full while they all stall.
        self.assert_fresh_client_served()
        s = self.server_status()
        self.assertEqual(s["parked"], STALLED, f"the stalled transfers are still parked: {s}")
        self.assertTrue(all(p.poll() is None for p in stalled), "a stalled client exited")

        # SIGKILLed clients: their transfers end long before the send
        # timeout (60 s; the bound here is 20 s).
        for p in stalled:
            p.kill()
        for p in stalled:
            p.wait(WAIT)
        s = self.wait_status(lambda s: s["parked"] == 0 and s["busy"] == self.idle_busy,
                             "the transfers of the killed clients to end", timeout=20)
        self.assertEqual(s["failed"] - self.failed_before, STALLED,
                         f"each killed client's transfer ends as a failure: {s}")
        for p in stalled:
            records = self.log_records_of(p.pid)
            self.assertEqual(len(records), 1, f"one log record for the GET of client {p.pid}: {records}")
            self.assertNotIn("outcome=ok", records[0])
            self.assertEqual(harness.client_queues(p.pid), [])
        self.assertNotIn("send timed out", d.log(), "a transfer waited for its send timeout")
        self.assertLessEqual(settled_thread_count(pid), before + 2)
        self.assert_fresh_client_served()
        self.assertIsNone(d.proc.poll(), "fileserverd died")


class SendTimeoutTest(StalledClientsTestCase):

    def test_stalled_transfers_end_at_their_send_timeout(self):
        d = self.start(send_timeout_ms=3000)
        # Their own timeout: how long each waits for more once it has read
        # what is left in its reply queue.
        stalled = self.stall(0, STALLED, client_timeout=5)
        # Every stalled transfer ends at its send timeout, while the clients
        # still read nothing.
        s = self.wait_status(lambda s: s["failed"] - self.failed_before >= STALLED and s["parked"] == 0
                             and s["busy"] == self.idle_busy, "every stalled transfer to time out",
                             timeout=120)
        self.assertEqual(s["failed"] - self.failed_before, STALLED, s)
        self.assertEqual(s["waiting"], 0, s)
        self.assertTrue(all(p.poll() is None for p in stalled), "a stalled client exited")
        for p in stalled:
            records = self.log_records_of(p.pid)
            self.assertEqual(len(records), 1, f"one log record for the GET of client {p.pid}: {records}")
            self.assertIn("send timed out", records[0])
            self.assertNotIn("outcome=ok", records[0])

        # Resumed, each client reads what its queue holds, then must report
        # a failure, not success with a truncated file. (In parallel: each
        # waits its own timeout for the rest.)
        results = {}

        def drain(p):
            try:
                results[p.pid] = self.drain(p, timeout=WAIT)
            except AssertionError as e:
                results[p.pid] = (None, b"", str(e).encode())
        threads = [threading.Thread(target=drain, args=(p,)) for p in stalled]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for p in stalled:
            code, out, err = results[p.pid]
            with self.subTest(client=p.pid):
                self.assertIsNotNone(code, err)
                self.assertNotEqual(code, 0, "a truncated transfer must not exit 0")
                self.assertLess(len(out), BIG)
                self.assertTrue(out == self.big[:len(out)], "the part received must be correct")
                self.assertTrue(err.strip(), "no message on stderr")
                self.assertEqual(harness.client_queues(p.pid), [])
        self.assert_fresh_client_served()
        self.assertIsNone(d.proc.poll(), "fileserverd died")


class SessionOrderTest(StalledClientsTestCase):

    def test_two_requests_in_flight_are_answered_one_after_the_other(self):
        # Two workers: nothing but the session's rule keeps the second
        # request from running beside the first.
        self.start(workers=2, send_timeout_ms=60000)
        big = self.big[:MiB + 12345]
        self.write_file("first.bin", big)
        small = self.smalls["small3.bin"]
        s = self.session(max_messages=4, message_size=8192)
        # Both requests sent, no reply read: the first fills the 4-message
        # queue and parks; the second waits for it to end.
        s.send(OP_GET, "first.bin", req_id=1)
        s.send(OP_GET, "small3.bin", req_id=2)
        self.wait_server_queue_empty()
        st = self.wait_status(lambda st: st["parked"] == 1 and st["waiting"] == 1,
                              "the first request to park and the second to wait")
        self.assertEqual(st["busy"], self.idle_busy + 1, st)
        # All of the first reply, then all of the second.
        first = self.read_reply_stream(s, 1)
        self.assertEqual(first[0].type, META)
        self.assertEqual(first[0].meta()["size"], len(big))
        self.assertEqual(first[-1].end_total(), len(big))
        self.assertTrue(b"".join(r.payload for r in first[1:-1]) == big, "first.bin: content differs")
        second = self.read_reply_stream(s, 2)
        self.assertEqual(second[0].type, META)
        self.assertTrue(b"".join(r.payload for r in second[1:-1]) == small, "small3.bin: content differs")
        self.assertIsNone(s.receive(0), "a reply after the second END")
        self.wait_status(lambda st: st["busy"] == self.idle_busy and st["parked"] == 0 and st["waiting"] == 0,
                         "the session's requests to end")

    def test_a_request_refused_meanwhile_is_answered_after_the_one_in_progress(self):
        # A path over the wire bound is refused at once (ENAMETOOLONG) without
        # touching any limit; the refusal waits for the GET in progress.
        self.start(workers=2, send_timeout_ms=60000)
        big = self.big[:MiB + 4321]
        self.write_file("first.bin", big)
        s = self.session(max_messages=4, message_size=8192)
        s.send(OP_GET, "first.bin", req_id=1)
        s.send(OP_GET, b"a" * 4097, req_id=2)
        self.wait_server_queue_empty()
        self.wait_status(lambda st: st["parked"] == 1 and st["waiting"] == 1,
                         "the GET to park and the refusal to wait behind it")
        first = self.read_reply_stream(s, 1)
        self.assertTrue(b"".join(r.payload for r in first[1:-1]) == big, "first.bin: content differs")
        r = s.receive_reply(WAIT)
        self.assertEqual((r.request_id, r.nonce, r.seq, r.type), (2, s.secret, 0, ERROR), r)
        self.assertEqual(r.error()[0], errno.ENAMETOOLONG)
        self.assertIsNone(s.receive(0), "a reply after the refusal")
        self.wait_status(lambda st: st["busy"] == self.idle_busy and st["waiting"] == 0,
                         "the session's requests to end")

    def read_reply_stream(self, s, req_id):
        """All replies of request @req_id, in order, up to END: each carries
        the id and the secret, with sequence numbers 0, 1, 2, ..."""
        replies = []
        while True:
            r = s.receive_reply(WAIT)
            self.assertEqual((r.request_id, r.nonce), (req_id, s.secret),
                             f"reply {len(replies)} of request {req_id} is another's: {r}")
            self.assertEqual(r.seq, len(replies), f"reply {len(replies)} of request {req_id}: {r}")
            replies.append(r)
            if r.type == END:
                return replies
            self.assertIn(r.type, (META, DATA), r)


if __name__ == "__main__":
    harness.main(private_ipc=True)
