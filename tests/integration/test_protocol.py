#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile and unusual clients speaking the wire protocol directly
(docs/protocol.md): malformed requests, odd reply queues, forged replies,
a stolen mq_notify registration. The server must stay correct and alive."""

import errno
import os
import signal
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import (DATA, END, ERROR, META, PONG, OP_GET, OP_PING, OP_STAT,  # noqa: E402
                     encode_request, mq_send_to)


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

    def request(self, q, op, path=b"", **kw):
        mq_send_to(self.queue, encode_request(op, q.name, path, **kw))

    def test_raw_ping(self):
        q = self.raw_reply_queue()
        self.request(q, OP_PING, req_id=0x1122334455667788, nonce=bytes(range(16)))
        replies = q.stream()
        self.assertEqual([r.type for r in replies], [PONG, END])
        for seq, r in enumerate(replies):
            self.assertEqual((r.magic, r.version, r.reserved), (harness.REPLY_MAGIC, 1, 0))
            self.assertEqual(r.request_id, 0x1122334455667788)
            self.assertEqual(r.nonce, bytes(range(16)))
            self.assertEqual(r.seq, seq)
            self.assertEqual(r.payload_size, len(r.payload))
        self.assertEqual(replies[1].end_total(), 0)

    def test_smallest_reply_queue(self):
        # 512-byte messages: chunks of 464 bytes.
        q = self.raw_reply_queue(max_messages=3, message_size=512)
        self.request(q, OP_GET, "data.bin", offset=5, length=10000)
        replies = q.stream()
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
        q = self.raw_reply_queue(max_messages=2, message_size=256)
        self.request(q, OP_GET, "data.bin")
        # One worker: once the next request is answered, this one was handled.
        self.assert_server_fine()
        replies = q.stream()
        self.assertEqual([r.type for r in replies], [ERROR], replies)
        code, text = replies[0].error()
        self.assertEqual(code, errno.EMSGSIZE)
        self.assertIn("too small", text)
        self.assertIsNone(q.receive(0), "nothing but the error may follow")

    def test_reply_queue_readable_by_others_is_refused(self):
        for mode in (0o644, 0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                q = self.raw_reply_queue(mode=mode)
                self.request(q, OP_GET, "data.bin")
                replies = q.stream()
                self.assertEqual([r.type for r in replies], [ERROR], replies)
                code, text = replies[0].error()
                self.assertEqual(code, errno.EACCES, text)
                self.assertIsNone(q.receive(0))

    def test_embedded_nul_is_refused(self):
        q = self.raw_reply_queue()
        for path in (b"b\0", b"b\0/../../etc/passwd", b"\0"):
            with self.subTest(path=path):
                self.request(q, OP_GET, path)
                replies = q.stream()
                self.assertEqual([r.type for r in replies], [ERROR], replies)
                self.assertEqual(replies[0].error()[0], errno.EINVAL)

    def test_path_length_limits(self):
        q = self.raw_reply_queue()
        # Over the wire bound: answered, not dropped.
        self.request(q, OP_STAT, b"a" * 4097)
        r = q.stream()
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertEqual(r[0].error()[0], errno.ENAMETOOLONG)
        self.request(q, OP_STAT, b"a" * 4096)
        r = q.stream()
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertEqual(r[0].error()[0], errno.ENAMETOOLONG)
        self.request(q, OP_STAT, b"a" * 4095)
        r = q.stream()
        self.assertEqual([x.type for x in r], [ERROR])
        self.assertIn(r[0].error()[0], (errno.ENOENT, errno.ENAMETOOLONG))

    def test_malformed_requests_are_dropped(self):
        q = self.raw_reply_queue()
        good = encode_request(OP_PING, q.name)
        bad = [
            b"",
            b"x",
            b"\0" * 63,
            b"\0" * 64,
            os.urandom(4416),
            encode_request(OP_PING, q.name, magic=0x12345678),
            encode_request(OP_PING, q.name, version=2),
            encode_request(9, q.name),
            encode_request(0, q.name),
            encode_request(OP_PING, q.name, flags=1),
            good[:-1],                                   # shorter than 64 + Q + P
            good + b"x",                                 # longer
            encode_request(OP_PING, "no-slash"),
            encode_request(OP_PING, "/a/b"),
            encode_request(OP_PING, "/"),
            encode_request(OP_PING, b"/with\0nul"),
            good[:56] + b"\1" + good[57:],               # reserved byte set
        ]
        for msg in bad:
            mq_send_to(self.queue, msg)
        # None of them may be answered, and the server keeps working.
        self.assert_server_fine()
        self.assertIsNone(q.receive(0), "a malformed request was answered")
        self.request(q, OP_PING)
        self.assertEqual([r.type for r in q.stream()], [PONG, END])

    def test_missing_reply_queue(self):
        mq_send_to(self.queue, encode_request(OP_GET, harness.unique_queue_name("gone"), "data.bin"))
        self.assert_server_fine()

    def test_forged_replies_are_ignored_by_the_client(self):
        # Messages with another id/nonce or garbage, planted in the client's
        # reply queue before the server answers, must not reach the output.
        d = self.daemon
        d.send_signal(signal.SIGSTOP)
        p = self.spawn_ctl("--timeout", "30", "get", "data.bin")
        queues = harness.wait_until(lambda: harness.client_queues(p.pid) or p.poll() is not None,
                                    30, "the client's reply queue")
        self.assertIsNone(p.poll())
        forged_meta = harness._META.pack(5, 0, 5, 0o100644, 0, 0, 0, 0, 0, 100)
        for msg in [
            harness._REPLY.pack(harness.REPLY_MAGIC, 1, META, 1, b"N" * 16, 0, len(forged_meta), 0)
            + forged_meta,
            harness._REPLY.pack(harness.REPLY_MAGIC, 1, DATA, 1, b"N" * 16, 1, 5, 0) + b"EVIL!",
            harness._REPLY.pack(harness.REPLY_MAGIC, 1, END, 1, b"N" * 16, 2, 8, 0) + b"\5" + b"\0" * 7,
            b"garbage",
            b"",
        ]:
            mq_send_to(queues[0], msg)
        d.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertTrue(out == self.data, "forged messages changed the output")
        # ...and the client reports that its stream was tampered with.
        self.assertIn(b"dropped 5 message(s) that were not part of this reply", err)

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
