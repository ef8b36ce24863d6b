#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile and unusual clients speaking the wire protocol (version 2,
docs/protocol.md) directly: sessions opened by hand, malformed requests, odd
reply queues, forged replies, a stolen mq_notify registration. The server
must stay correct and alive."""

import errno
import os
import signal
import struct
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from fstest import wire  # noqa: E402
from harness import (DATA, END, ERROR, META, PONG, OP_GET, OP_PING, OP_STAT, Session,  # noqa: E402
                     encode_open, encode_request, encode_request_v1, mq_send_to)


class ProtocolTest(harness.FileserverTestCase):

    def setUp(self):
        super().setUp()
        self.data = self.random_file("data.bin", 20000)
        self.write_file("b", b"bee\n")
        self.start_daemon(workers=1)

    def assert_server_fine(self):
        self.assertIsNone(self.daemon.proc.poll(), "fileserverd died")
        r = self.assert_ok(self.ctl("--timeout", "20", "get", "data.bin"))
        self.assertTrue(r.stdout == self.data)

    def open_refused(self, **queue_kw):
        """The reply to an OPEN of a session on a queue made with @queue_kw:
        one ERROR, (code, text), and nothing after it."""
        s = self.session(open=False, **queue_kw)
        r = s.open()
        self.assertEqual(r.type, ERROR, r)
        self.assertEqual((r.magic, r.version, r.seq), (harness.REPLY_MAGIC, 2, 0))
        self.assertIsNone(s.receive(0), "nothing but the error may follow")
        return r.error()

    def test_raw_session_ping(self):
        s = self.session(open=False)
        nonce, req_id = s.send_open(nonce=bytes(range(16)), req_id=0x0102030405060708)
        challenge = s.receive_reply()
        self.assertEqual(challenge.type, harness.REPLY_CHALLENGE, challenge)
        self.assertEqual((challenge.magic, challenge.version, challenge.reserved, challenge.seq),
                         (harness.REPLY_MAGIC, 2, 0, 0))
        self.assertEqual((challenge.request_id, challenge.nonce), (req_id, nonce))
        self.assertEqual(challenge.payload_size, 32)
        session, secret, idle_ms = harness.decode_challenge(challenge.payload)
        self.assertNotEqual(session, 0)
        self.assertEqual(idle_ms, 60000, "session_idle_timeout_ms's default")
        self.assertNotEqual(secret, bytes(16))
        self.assertIsNone(s.receive(0), "no END after a CHALLENGE")
        s.id, s.secret = session, secret
        s.unlink()
        for _ in range(2):  # a session serves request after request
            replies = s.request(OP_PING, req_id=0x1122334455667788)
            self.assertEqual([r.type for r in replies], [PONG, END])
            for seq, r in enumerate(replies):
                self.assertEqual((r.magic, r.version, r.reserved), (harness.REPLY_MAGIC, 2, 0))
                self.assertEqual(r.request_id, 0x1122334455667788)
                self.assertEqual(r.nonce, secret, "replies of a session carry its secret")
                self.assertEqual(r.seq, seq)
                self.assertEqual(r.payload_size, len(r.payload))
            self.assertEqual(struct.unpack_from("=H", replies[0].payload)[0], 2, "PONG's protocol version")
            self.assertEqual(replies[1].end_total(), 0)

    def test_sessions_are_distinct(self):
        a, b = self.session(), self.session()
        self.assertNotEqual(a.id, b.id)
        self.assertNotEqual(a.secret, b.secret)
        # Each session's replies go to its own queue only.
        self.assertEqual([r.type for r in a.request(OP_STAT, "b")], [META, END])
        self.assertIsNone(b.receive(0))

    def test_smallest_reply_queue(self):
        # 512-byte messages: chunks of 464 bytes.
        s = self.session(max_messages=3, message_size=512)
        replies = s.request(OP_GET, "data.bin", offset=5, length=10000)
        self.assertEqual(replies[0].type, META, replies)
        meta = replies[0].meta()
        self.assertEqual((meta["size"], meta["offset"], meta["length"], meta["chunk_size"]),
                         (20000, 5, 10000, 512 - 48))
        self.assertEqual(replies[-1].type, END, replies[-1])
        body = b"".join(r.payload for r in replies if r.type == DATA)
        self.assertTrue(all(1 <= len(r.payload) <= 464 for r in replies if r.type == DATA))
        self.assertEqual([r.seq for r in replies], list(range(len(replies))))
        self.assertTrue(body == self.data[5:10005])
        self.assertEqual(replies[-1].end_total(), 10000)

    def test_reply_queue_too_small_gets_only_an_error(self):
        code, text = self.open_refused(max_messages=2, message_size=256)
        self.assertEqual(code, errno.EMSGSIZE, text)
        self.assertIn("small", text)
        self.assert_server_fine()

    def test_reply_queue_readable_by_others_is_refused(self):
        for mode in (0o644, 0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                code, text = self.open_refused(mode=mode)
                self.assertEqual(code, errno.EACCES, text)
                self.assertIn("readable by group or others", text)

    def test_open_for_a_process_that_does_not_exist(self):
        pid = harness.dead_pid()
        code, text = self.open_refused(pid=pid)
        self.assertEqual(code, errno.ESRCH, text)
        self.assertIn(str(pid), text)

    def test_embedded_nul_is_refused(self):
        s = self.session()
        for path in (b"b\0", b"b\0/../../etc/passwd", b"\0"):
            with self.subTest(path=path):
                replies = s.request(OP_GET, path)
                self.assertEqual([r.type for r in replies], [ERROR], replies)
                self.assertEqual(replies[0].error()[0], errno.EINVAL)

    def test_path_length_limits(self):
        s = self.session()
        # Over the wire bound: answered on the session, not dropped.
        r = s.request(OP_STAT, b"a" * 4097)
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertEqual(r[0].error()[0], errno.ENAMETOOLONG)
        r = s.request(OP_STAT, b"a" * 4096)
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertEqual(r[0].error()[0], errno.ENAMETOOLONG)
        r = s.request(OP_STAT, b"a" * 4095)
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertIn(r[0].error()[0], (errno.ENOENT, errno.ENAMETOOLONG))

    def test_malformed_requests_are_dropped(self):
        s = self.session()
        q = s.name.encode()  # unlinked now, but that is not why these are dropped
        fresh = self.session(open=False)
        name = fresh.name.encode()
        pid = os.getpid()
        open_ = encode_open(name, pid, b"N" * 16, 1)
        ping = encode_request(OP_PING, s.id, s.secret)
        bad = [
            b"",
            b"x",
            b"\0" * 63,
            b"\0" * 64,
            os.urandom(4416),
            encode_open(name, pid, b"N" * 16, 1, magic=0x12345678),
            encode_open(name, pid, b"N" * 16, 1, version=3),
            encode_request(OP_PING, s.id, s.secret, version=3),
            encode_request(9, s.id, s.secret),
            encode_request(0, s.id, s.secret),
            encode_open(name, pid, b"N" * 16, 1, op=9),
            # OPEN: pid > 0, session 0, a queue name, no path.
            encode_open(name, 0, b"N" * 16, 1),
            encode_open(name, pid, b"N" * 16, 1, session=5),
            encode_open(name, pid, b"N" * 16, 1, path=b"b"),
            encode_open(b"", pid, b"N" * 16, 1),
            encode_open(b"/", pid, b"N" * 16, 1),
            encode_open(b"no-slash", pid, b"N" * 16, 1),
            encode_open(b"/a/b", pid, b"N" * 16, 1),
            encode_open(name + b"\0x", pid, b"N" * 16, 1),
            encode_open(b"/" + b"x" * 256, pid, b"N" * 16, 1),
            open_[:-1],                                  # shorter than 64 + Q + P
            open_ + b"x",                                # longer
            # Session requests: no queue name, pid 0, a session id.
            encode_request(OP_PING, s.id, s.secret, reply_queue=q),
            encode_request(OP_PING, s.id, s.secret, pid=pid),
            encode_request(OP_PING, 0, s.secret),
            ping[:-1],
            ping + b"x",
            # Version 1 requests that are not valid version 1 either.
            encode_request_v1(OP_PING, q, flags=1),
            encode_request_v1(OP_PING, q, reserved=b"\1" + bytes(7)),
            encode_request_v1(9, q),
        ]
        for msg in bad:
            mq_send_to(self.queue, msg)
        # None of them may be answered, and the server keeps working.
        self.assert_server_fine()
        self.assertIsNone(s.receive(0), "a malformed request was answered")
        self.assertIsNone(fresh.receive(0), "a malformed OPEN was answered")
        self.assertEqual([r.type for r in s.request(OP_PING)], [PONG, END])

    def test_missing_reply_queue(self):
        s = Session(self.queue)
        s.close()  # its queue is gone: the OPEN names nothing
        s.send_open()
        self.assert_server_fine()

    def test_forged_replies_are_ignored_by_the_client(self):
        # Messages with another id, nonce or secret, or garbage, planted in
        # the client's reply queue before the server answers its OPEN, must
        # neither give it a session nor reach the output. (Once the CHALLENGE
        # is in, the client unlinks the queue's name: nobody can plant more.)
        d = self.daemon
        harness.stop_process(d.proc.pid)
        p = self.spawn_ctl("--timeout", "30", "get", "data.bin")
        queues = harness.wait_until(lambda: harness.client_queues(p.pid) or p.poll() is not None,
                                    30, "the client's reply queue")
        self.assertIsNone(p.poll())
        forged_meta = wire.meta_payload(size=5, offset=0, length=5, uid=0, gid=0, mtime=0, nsec=0, chunk=100)
        forged_challenge = struct.pack("=Q16sII", 42, b"S" * 16, 60000, 0)
        for msg in [
            wire.encode_reply(harness.REPLY_CHALLENGE, forged_challenge, req_id=1, nonce=b"N" * 16),
            wire.encode_reply(META, forged_meta, seq=0, req_id=1, nonce=b"S" * 16),
            wire.encode_reply(DATA, b"EVIL!", seq=1, req_id=1, nonce=b"S" * 16),
            wire.encode_reply(END, wire.end_payload(5), seq=2, req_id=1, nonce=b"S" * 16),
            wire.encode_reply(DATA, b"EVIL!", seq=1, req_id=1, nonce=b"S" * 16, version=1),
            b"garbage",
            b"",
        ]:
            mq_send_to(queues[0], msg)
        d.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(out == self.data, "forged messages changed the output")
        self.assertEqual(harness.client_queues(p.pid), [])

    def test_stolen_notification_does_not_stop_the_server(self):
        # Anyone who may write to the server queue may register for its
        # mq_notify; the server must keep serving.
        stop = threading.Event()
        wins = [0]
        t = threading.Thread(target=harness.steal_notification, args=(self.queue, stop, wins))
        t.start()
        try:
            for _ in range(40):
                r = self.assert_ok(self.ctl("--timeout", "20", "get", "b", timeout=60))
                self.assertEqual(r.stdout, b"bee\n")
        finally:
            stop.set()
            t.join(timeout=30)
        self.assert_server_fine()


if __name__ == "__main__":
    harness.main()
