#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Protocol 2 sessions (docs/protocol.md, docs/security.md "Client
identity") against attackers: the server, a victim and an attacker each
run under a uid of their own. Naming someone's reply queue earns nothing
but a few challenges there; requests without a session's secret are
dropped and counted; protocol-1 requests get one error; clients that die
at any point, or abandon their sessions by the thousand, cost nothing once
they are gone; idle sessions end; a uid's sessions are limited.

The file runs in an IPC namespace of its own (harness.private_ipc_namespace)
when it can: the thousand sessions need many queues at once."""

import errno
import os
import resource
import signal
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from fstest import wire  # noqa: E402
from harness import (END, ERROR, META, OP_GET, OP_PING, PONG, QueueWatch, Session, client_queues,  # noqa: E402
                     mq_send_to, queue_exists, queue_qsize, wait_until)

CHALLENGE_MESSAGE = wire.REPLY_HEADER_SIZE + wire.CHALLENGE_SIZE
WAIT = 30  # bound of every wait for a state; never a pass/fail timing


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class SessionTestCase(harness.FileserverTestCase):

    PRIVATE_UID = "required"  # the server

    def setUp(self):
        super().setUp()
        self.victim, self.attacker = self.other_uids(2)
        self.assertEqual(len({self.uid, self.victim, self.attacker}), 3)
        self.data = self.random_file("file.bin", 30000)
        self.client_uid = self.victim

    def others(self, status):
        """Sessions open but for the one that asked for @status."""
        return status["sessions"] - 1

    def sessions_gone(self, what):
        return self.wait_status(lambda s: self.others(s) == 0 and s["sessions_challenged"] == 0, what)

    def ping_as(self, uid):
        """`fileserverctl ping` as @uid: the next client of that uid."""
        saved, self.client_uid = self.client_uid, uid
        try:
            return self.assert_ok(self.ctl("--timeout", "20", "ping"))
        finally:
            self.client_uid = saved

    def ping_short_of_budget(self, uid):
        """`fileserverctl ping` as @uid with an RLIMIT_MSGQUEUE that holds its
        smallest full-size reply queue (2 messages of msgsize_max) but not
        that and a stale queue of session_client.py (2 x 512 bytes, ~1.2 KiB
        with the kernel's accounting) too: the client reclaims the stale
        queues of its uid only when its budget runs out. Without the reclaim
        it would still start, with a smaller queue, and leave the stale one."""
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            msgsize = int(f.read())
        limit = 2 * msgsize + 700  # the kernel's overhead for 2 messages is ~200 bytes

        def short_budget():
            resource.setrlimit(resource.RLIMIT_MSGQUEUE, (limit, limit))

        saved, self.client_uid = self.client_uid, uid
        try:
            return self.assert_ok(self.ctl("--timeout", "20", "ping", preexec_fn=short_budget))
        finally:
            self.client_uid = saved


class VictimQueueTest(SessionTestCase):
    """An attacker names the reply queue of the victim's client, which has
    sent its OPEN but not yet read the CHALLENGE (the only time its queue
    has a name)."""

    def victim_waiting_for_its_challenge(self):
        """The victim's `get file.bin`, stopped after its OPEN went into the
        server queue (the server is stopped meanwhile: the caller resumes
        it). Returns (client, its reply queue name, QueueWatch of it)."""
        self.wait_server_queue_empty()
        harness.stop_process(self.daemon.proc.pid)
        p = self.spawn_ctl("--timeout", "30", "get", "file.bin")
        wait_until(lambda: (queue_qsize(self.queue) or 0) > 0 or p.poll() is not None, WAIT,
                   "the victim's OPEN in the server queue")
        self.assertIsNone(p.poll(), "the victim's client gave up")
        harness.stop_process(p.pid)
        queues = client_queues(p.pid)
        self.assertEqual(len(queues), 1)
        watch = QueueWatch(queues[0])
        self.addCleanup(watch.close)
        return p, queues[0], watch

    def attack(self, victim_queue, n, pid=None):
        """The attacker's OPENs naming @victim_queue, all in the server queue
        when this returns; the attacker process waits (its pid is alive)."""
        before = queue_qsize(self.queue)
        a = self.session_client(self.attacker, "attack", victim_queue, n, *([pid] if pid else []))
        self.assertEqual(self.session_client_line(a), ["sent", str(n)])
        self.assertEqual(queue_qsize(self.queue), before + n * (wire.REQUEST_HEADER_SIZE + len(victim_queue)))
        return a

    def messages_in(self, name):
        fd = harness.mq_open(name, os.O_RDONLY | os.O_NONBLOCK)
        try:
            return harness.mq_getattr(fd).mq_curmsgs
        finally:
            os.close(fd)

    def test_naming_the_victims_queue_earns_four_challenges_there(self):
        d = self.start_daemon(workers=2)
        # (A client's CLOSE that comes after the server saw it exit counts too.)
        rejected = self.server_status()["rejected"]
        p, name, watch = self.victim_waiting_for_its_challenge()
        # 8: with the victim's, as many as the server queue holds (10).
        attacker = self.attack(name, 8)
        d.send_signal(signal.SIGCONT)
        # The victim's OPEN (first in the queue) and 3 of the attacker's are
        # challenged: 4 per queue; the 5 other OPENs are dropped and counted.
        s = self.wait_status(lambda s: s["sessions_challenged"] + s["rejected"] - rejected >= 9,
                             "the server to handle the 9 OPENs")
        self.assertEqual((s["sessions_challenged"], s["rejected"] - rejected, self.others(s)), (4, 5, 4), s)
        self.assertEqual(s["protocol"], 2)
        # Nothing but the 4 challenges in the victim's queue: no file data,
        # no reply to anything the attacker may ask. (The victim's own may
        # already be in its client's hands: the kernel gives a message
        # straight to a receiver blocked in mq_receive, even a stopped one.)
        n = self.messages_in(name)
        self.assertIn(n, (3, 4))
        self.assertEqual(watch.qsize(), n * CHALLENGE_MESSAGE)
        # The victim's client takes its own challenge, drops the others, and
        # is served as usual; the attacker's sessions cost it nothing.
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(out == self.data)
        self.ping_as(self.victim)
        # The attacker learned no secret: its sessions never served anything
        # and end with it.
        attacker.kill()
        attacker.wait(WAIT)
        self.sessions_gone("the attacker's sessions to end with it")
        # No request was logged as the victim's but the victim's own.
        self.assert_only_the_victims_requests_logged(d, 2)
        self.assertEqual(client_queues(p.pid), [])

    def test_attacker_naming_a_process_that_is_gone(self):
        # OPENs that name the victim's queue and a pid that does not exist
        # are refused (ESRCH) before any session is made: the victim's queue
        # still gets no more than 4 messages while its client has not answered.
        d = self.start_daemon(workers=2)
        p, name, watch = self.victim_waiting_for_its_challenge()
        attacker = self.attack(name, 8, pid=harness.dead_pid())
        d.send_signal(signal.SIGCONT)
        wait_until(lambda: queue_qsize(self.queue) == 0, WAIT, "the server to take the OPENs")
        self.server_status()  # the dispatcher has handled them all
        in_queue = self.messages_in(name)
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(out == self.data)
        attacker.kill()
        self.assertLessEqual(in_queue, 4, "messages in the victim's queue while its client had not answered")
        self.assert_only_the_victims_requests_logged(d, 1)

    def assert_only_the_victims_requests_logged(self, d, n):
        """The log holds @n records under the victim's uid, all of the
        victim's own successful requests: none of the attacker's."""
        records = [line for line in d.log().splitlines() if f"uid={self.victim} " in line]
        self.assertEqual(len(records), n, records)
        self.assertTrue(all(('get "file.bin"' in r or "ping" in r) and "outcome=ok" in r for r in records),
                        records)


class ForgedRequestTest(SessionTestCase):
    """Requests that carry no valid session and secret: never answered,
    counted in `rejected`. The sender's uid does not matter (messages carry
    no credentials): these are sent by the test itself."""

    def test_forged_secret_wrong_session_and_replayed_secret_are_dropped(self):
        # The server takes requests in the order they came, and a session
        # runs one at a time: the PING answered last shows that nothing
        # before it was answered.
        self.start_daemon(workers=1)
        s = self.session()
        closed = self.session()
        closed_id, closed_secret = closed.id, closed.secret
        closed.send(wire.OP_CLOSE)
        before = self.server_status()["rejected"]
        forged = [
            dict(secret=os.urandom(16)),                         # a guessed secret
            dict(secret=bytes(16)),
            dict(secret=s.secret[:15] + bytes([s.secret[15] ^ 1])),  # one bit off
            dict(session=s.id ^ (1 << 40)),                      # another session id
            dict(session=closed_id, secret=s.secret),
        ]
        for i, kw in enumerate(forged):
            s.send(OP_GET, "file.bin", req_id=100 + i, **kw)
        # A replayed secret: the closed session's own request, after its CLOSE.
        closed.send(OP_GET, "file.bin", req_id=200, session=closed_id, secret=closed_secret)
        self.assertEqual([r.type for r in s.request(OP_PING)], [PONG, END])
        self.assertIsNone(s.receive(0), "a forged request was answered")
        self.assertIsNone(closed.receive(0), "a request of a closed session was answered")
        after = self.server_status()["rejected"]
        self.assertEqual(after - before, len(forged) + 1)
        # The real session is not hurt by the forgeries.
        replies = s.request(OP_GET, "file.bin")
        self.assertEqual(replies[0].type, META)
        self.assertTrue(b"".join(r.payload for r in replies[1:-1]) == self.data)


class Version1Test(SessionTestCase):

    def test_version_1_request_gets_one_error_it_can_read(self):
        self.start_daemon(workers=1)
        q = self.raw_reply_queue(mode=0o622)
        mq_send_to(self.queue, wire.encode_request_v1(OP_GET, q.name, "file.bin", req_id=77,
                                                      nonce=b"0123456789abcdef"))
        msg = q.receive(WAIT)
        self.assertIsNotNone(msg, "no reply to a version-1 request")
        header, payload = wire.decode_reply(msg)
        self.assertEqual((header.version, header.type, header.request_id, header.nonce, header.seq),
                         (1, ERROR, 77, b"0123456789abcdef", 0))
        code, size = struct.unpack_from("=II", payload)
        self.assertEqual(size, len(payload) - 8)
        text = payload[8:].decode()
        self.assertEqual(code, errno.EPROTONOSUPPORT, text)
        self.assertIn("version 1", text)
        self.assertIn("version 2", text)
        # One ERROR and nothing else (the server takes requests in the
        # order they came: the session's PING is answered after anything
        # the first request could have caused).
        self.assertEqual([r.type for r in self.session().request(OP_PING)], [PONG, END])
        self.assertIsNone(q.receive(0))


class DeadClientTest(SessionTestCase):
    """A client SIGKILLed at any point of its session: its session ends
    (the server watches its pidfd), a transfer to it ends at once, and its
    reply queue's name goes with the next client of its uid that runs short
    of budget (fileserverctl then removes the stale queues of its uid)."""

    def start(self, **kw):
        self.start_daemon(workers=2, send_timeout_ms=60000, **kw)
        # Whether STATUS counts its own request as busy: the baseline.
        self.idle_busy = self.server_status()["busy"]

    def killed(self, p):
        p.send_signal(signal.SIGKILL)
        p.wait(WAIT)

    def test_killed_before_sending_its_open(self):
        self.start()
        p = self.session_client(self.victim, "hold")
        word, name = self.session_client_line(p)
        self.assertTrue(queue_exists(name))
        self.killed(p)
        self.assertTrue(queue_exists(name), "nobody removed the name yet")
        self.ping_as(self.victim)
        self.assertTrue(queue_exists(name), "a client with budget to spare left it alone")
        self.ping_short_of_budget(self.victim)
        self.assertFalse(queue_exists(name), "the next client short of budget left the stale queue")
        self.assertEqual(client_queues(p.pid), [])
        self.sessions_gone("no session")

    def test_killed_before_reading_its_challenge(self):
        self.start()
        p = self.session_client(self.victim, "open")
        word, name = self.session_client_line(p)
        watch = QueueWatch(name)
        self.addCleanup(watch.close)
        wait_until(lambda: watch.qsize() == CHALLENGE_MESSAGE, WAIT, "the CHALLENGE")
        s = self.server_status()
        self.assertEqual((s["sessions_challenged"], self.others(s)), (1, 1), s)
        self.killed(p)
        self.sessions_gone("the challenged session to end with its client")
        self.ping_short_of_budget(self.victim)
        self.assertEqual(client_queues(p.pid), [], "the next client short of budget left the stale queue")

    def test_killed_mid_transfer_ends_its_transfer(self):
        # send_timeout_ms is 60 s and the waits below are bounded by 30 s:
        # only the news of the client's death can end the transfer.
        self.random_file("big.bin", 8 * harness.MiB)
        self.start()
        p = self.session_client(self.victim, "get", "big.bin")
        self.assertEqual(self.session_client_line(p)[0], "receiving")
        # Its 2-message queue is full and it reads no more: the transfer
        # waits for room there.
        self.wait_status(lambda s: s["busy"] == self.idle_busy + 1, "the transfer to block")
        p.send_signal(signal.SIGSTOP)
        self.killed(p)
        s = self.wait_status(lambda s: s["busy"] == self.idle_busy, "the transfer to end", timeout=WAIT)
        self.sessions_gone("the session to end with its client")
        self.ping_as(self.victim)
        self.assertEqual(client_queues(p.pid), [])
        # The server serves again.
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "big.bin"))
        self.assertEqual(len(r.stdout), 8 * harness.MiB)

    def test_killed_while_idle_in_a_session(self):
        self.start()
        p = self.session_client(self.victim, "active")
        self.assertEqual(self.session_client_line(p)[0], "active")
        s = self.server_status()
        self.assertEqual((self.others(s), s["sessions_challenged"]), (1, 0), s)
        self.killed(p)
        self.sessions_gone("the session to end with its client")
        self.ping_as(self.victim)
        self.assertEqual(client_queues(p.pid), [])


class AbandonedSessionsTest(SessionTestCase):

    def test_a_thousand_abandoned_sessions_are_reclaimed(self):
        # Clients that OPEN, read their CHALLENGE and exit without CLOSE, 50
        # at a time per process (tiny queues: the uid's mqueue budget).
        per_client, clients = 50, 20
        d = self.start_daemon(workers=2, max_sessions=4096, max_sessions_per_uid=4096)
        pid = d.proc.pid
        counts = [0, 0]

        def run(n):
            procs = [self.session_client(self.victim, "abandon", per_client) for _ in range(n)]
            for p in procs:
                words = self.session_client_line(p)
                self.assertEqual(words[0], "abandoned", words)
                counts[0] += int(words[1])
                counts[1] += int(words[2])
                p.wait(WAIT)
                self.assertEqual(p.returncode, 0)

        run(2)  # warm-up: the allocator's and the table's first growth
        self.sessions_gone("the warm-up sessions to be reclaimed")
        rss, fds = vm_rss_kib(pid), fd_count(pid)
        for _ in range(clients // 2):
            run(2)
        self.assertEqual(sum(counts), (clients + 2) * per_client)
        self.assertEqual(counts[1], 0, "max_sessions is large enough: no EBUSY")
        s = self.sessions_gone("every abandoned session to be reclaimed")
        self.assertEqual(s["sessions"], 1, s)
        self.assertLessEqual(vm_rss_kib(pid), rss + 16 * 1024, "the server's RSS grew with abandoned sessions")
        self.assertLessEqual(fd_count(pid), fds + 4, "descriptors of abandoned sessions are still open")
        self.assertEqual([n for n in os.listdir(harness.mqueue_dir()) if n.startswith("fileserver-client-")], [],
                         "queues of abandoned sessions left behind")


class IdleTimeoutTest(SessionTestCase):

    def test_idle_session_times_out_and_its_requests_are_dropped(self):
        self.start_daemon(workers=1, session_idle_timeout_ms=1000)
        s = self.session()
        self.assertEqual(s.idle_timeout_ms, 1000, "the CHALLENGE tells the idle timeout")
        self.assertEqual([r.type for r in s.request(OP_PING)], [PONG, END])
        # Each STATUS is asked on a fresh session: the old one stays idle.
        self.sessions_gone("the idle session to time out")
        before = self.server_status()["rejected"]
        s.send(OP_PING, req_id=5)
        self.assertEqual([r.type for r in self.session().request(OP_PING)], [PONG, END])
        self.assertIsNone(s.receive(0), "a request of a timed-out session was answered")
        self.assertEqual(self.server_status()["rejected"], before + 1)


class PerUidLimitTest(SessionTestCase):

    def test_too_many_sessions_of_one_uid(self):
        self.start_daemon(workers=2, max_sessions=16, max_sessions_per_uid=2)
        holders = []
        for _ in range(2):
            p = self.session_client(self.victim, "active")
            self.assertEqual(self.session_client_line(p)[0], "active")
            holders.append(p)
        # A third session of the victim's uid: refused, by the client...
        r = self.ctl("--timeout", "20", "ping")
        self.assert_exit(r, harness.EXIT_BUSY, ["busy", f"too many sessions of uid {self.victim}"])
        # ...and on the wire: one ERROR EBUSY to the OPEN.
        s = Session(self.queue)
        self.addCleanup(s.close)
        os.fchown(s.fd, self.victim, self.victim)
        r = s.open()
        self.assertEqual(r.type, ERROR, r)
        code, text = r.error()
        self.assertEqual(code, errno.EBUSY, text)
        self.assertIn(f"server busy: too many sessions of uid {self.victim}", text)
        # Other uids are not limited by it.
        self.ping_as(self.attacker)
        # Once a session of the uid ends, the uid may open one again.
        holders[0].kill()
        holders[0].wait(WAIT)
        self.wait_status(lambda s: self.others(s) == 1, "the killed client's session to end")
        self.ping_as(self.victim)


if __name__ == "__main__":
    harness.main(private_ipc=True)
