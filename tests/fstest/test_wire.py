#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/fstest/wire.py agrees with src/protocol/wire.h (constants, sizes,
codes), and its encoder and decoder agree with each other."""

import os
import re
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from fstest import wire  # noqa: E402

WIRE_H = os.path.join(HERE, "..", "..", "src", "protocol", "wire.h")


def header_text():
    with open(WIRE_H) as f:
        return f.read()


def constant(text, name):
    m = re.search(r"\b" + name + r"\s*=\s*(0x[0-9a-fA-F]+|\d+)", text)
    assert m, f"{name} not found in wire.h"
    return int(m.group(1), 0)


def enum(text, name):
    m = re.search(r"enum class " + name + r"\b[^{]*\{([^}]*)\}", text)
    assert m, f"enum {name} not found in wire.h"
    return {k: int(v) for k, v in re.findall(r"(\w+)\s*=\s*(\d+)", m.group(1))}


class WireMatchesHeader(unittest.TestCase):
    def test_constants(self):
        text = header_text()
        self.assertEqual(wire.REQUEST_MAGIC, constant(text, "kRequestMagic"))
        self.assertEqual(wire.REPLY_MAGIC, constant(text, "kReplyMagic"))
        self.assertEqual(wire.VERSION, constant(text, "kVersion"))
        self.assertEqual(wire.VERSION1, constant(text, "kVersion1"))
        self.assertEqual(wire.TO_END, 2 ** 64 - 1)
        self.assertIn("kToEnd = UINT64_MAX", text)
        self.assertEqual(wire.MAX_QUEUE_NAME_SIZE, constant(text, "kMaxQueueNameSize"))
        self.assertEqual(wire.MAX_PATH_SIZE, constant(text, "kMaxPathSize"))
        self.assertEqual(wire.CHALLENGE_SIZE, constant(text, "kChallengeSize"))
        self.assertEqual(struct.calcsize("=" + wire._CHALLENGE), constant(text, "kChallengeSize"))
        self.assertEqual(struct.calcsize("=" + wire._REQUEST), constant(text, "kRequestHeaderSize"))
        self.assertEqual(struct.calcsize("=" + wire._REQUEST_V1), constant(text, "kRequestHeaderSize"))
        self.assertEqual(struct.calcsize("=" + wire._REPLY), constant(text, "kReplyHeaderSize"))
        self.assertEqual(wire.REQUEST_HEADER_SIZE, constant(text, "kRequestHeaderSize"))
        self.assertEqual(wire.REPLY_HEADER_SIZE, constant(text, "kReplyHeaderSize"))
        self.assertEqual(struct.calcsize("=" + wire._META), constant(text, "kMetaSize"))
        self.assertEqual(len(wire.end_payload()), constant(text, "kEndSize"))
        self.assertEqual(len(wire.error_payload(0, b"")), constant(text, "kErrorFixedSize"))
        self.assertEqual(len(wire.pong_payload(b"")), constant(text, "kPongFixedSize"))
        self.assertEqual(len(wire.entry_payload(b"")), constant(text, "kEntryFixedSize"))

    def test_codes(self):
        text = header_text()
        ops = enum(text, "Op")
        self.assertEqual({k.upper(): v for k, v in ops.items()},
                         {n[3:]: getattr(wire, n) for n in dir(wire) if n.startswith("OP_")})
        types = enum(text, "ReplyType")
        self.assertEqual({k.upper(): v for k, v in types.items()},
                         {n: getattr(wire, n) for n in ("META", "DATA", "END", "ERROR", "ENTRIES", "PONG",
                                                         "STATUS", "CHALLENGE")})
        self.assertEqual((wire.OP_OPEN, wire.OP_CLOSE, wire.REPLY_CHALLENGE), (6, 7, 8))


NONCE = bytes(range(16))
SECRET = bytes(range(0xF0, 0x100))


class RoundTrip(unittest.TestCase):
    def test_session_request_layout(self):
        msg = wire.encode_request(wire.OP_GET, 0x1234, SECRET, "a/b", req_id=7, offset=3, length=4)
        self.assertEqual(len(msg), 64 + 3)
        self.assertEqual(msg[64:], b"a/b")
        self.assertEqual(struct.unpack_from("=IHHQ16sQQHHIQ", msg),
                         (wire.REQUEST_MAGIC, 2, wire.OP_GET, 7, SECRET, 3, 4, 0, 3, 0, 0x1234))
        f = wire.decode_request(msg)
        self.assertEqual((f["version"], f["op"], f["id"], f["nonce"], f["session"], f["pid"], f["path"]),
                         (2, wire.OP_GET, 7, SECRET, 0x1234, 0, b"a/b"))
        self.assertEqual(wire.encode_request(wire.OP_PING, 1, SECRET)[40:48], b"\xff" * 8)

    def test_open_layout(self):
        msg = wire.encode_open("/reply", 4242, NONCE, 9)
        self.assertEqual(len(msg), 64 + 6)
        self.assertEqual(msg[64:], b"/reply")
        self.assertEqual(struct.unpack_from("=IHHQ16sQQHHIQ", msg),
                         (wire.REQUEST_MAGIC, 2, wire.OP_OPEN, 9, NONCE, 0, wire.TO_END, 6, 0, 4242, 0))
        f = wire.decode_request(msg)
        self.assertEqual((f["op"], f["reply_queue"], f["pid"], f["session"]), (wire.OP_OPEN, "/reply", 4242, 0))

    def test_v1_request_layout(self):
        msg = wire.encode_request_v1(wire.OP_GET, "/reply", "a/b", req_id=7, offset=3, length=4)
        self.assertEqual(len(msg), 64 + 6 + 3)
        self.assertEqual(msg[64:], b"/replya/b")
        magic, version, op = struct.unpack_from("=IHH", msg)
        self.assertEqual((magic, version, op), (wire.REQUEST_MAGIC, 1, wire.OP_GET))
        self.assertEqual(msg[52:64], bytes(12))
        self.assertEqual(wire.decode_request(msg)["reply_queue"], "/reply")

    def test_reply_decodes(self):
        meta = wire.meta_payload(size=10, offset=2, length=8, chunk=100)
        r = wire.Reply(wire.encode_reply(wire.META, meta, seq=0, req_id=9))
        self.assertEqual((r.magic, r.version, r.type, r.request_id, r.payload_size),
                         (wire.REPLY_MAGIC, 2, wire.META, 9, 56))
        self.assertEqual((r.meta()["size"], r.meta()["offset"], r.meta()["chunk_size"]), (10, 2, 100))
        e = wire.Reply(wire.encode_reply(wire.ERROR, wire.error_payload(2, "gone")))
        self.assertEqual(e.error(), (2, "gone"))
        self.assertEqual(wire.reply_type(wire.encode_reply(wire.END, wire.end_payload(5))), wire.END)
        self.assertEqual(wire.Reply(wire.encode_reply(wire.END, wire.end_payload(5))).end_total(), 5)

    def test_decode_reply(self):
        payload = wire.end_payload(5)
        for version in (wire.VERSION1, wire.VERSION):
            hdr, got = wire.decode_reply(wire.encode_reply(wire.END, payload, seq=3, req_id=9, nonce=SECRET,
                                                           version=version))
            self.assertEqual((hdr.version, hdr.type, hdr.request_id, hdr.nonce, hdr.seq, hdr.payload_size),
                             (version, wire.END, 9, SECRET, 3, 8))
            self.assertEqual(got, payload)
        good = wire.encode_reply(wire.END, payload)
        for bad in (good[:47], wire.encode_reply(wire.END, payload, version=3),
                    wire.encode_reply(wire.END, payload, version=0),
                    wire.encode_reply(wire.END, payload, magic=wire.REQUEST_MAGIC),
                    wire.encode_reply(0, payload), wire.encode_reply(9, payload),
                    wire.encode_reply(wire.END, payload, reserved=1),
                    wire.encode_reply(wire.END, payload, size=9), good + b"x"):
            with self.assertRaises(ValueError, msg=bad.hex()):
                wire.decode_reply(bad)

    def test_challenge(self):
        payload = wire.challenge_payload(0x8877665544332211, SECRET, 60000)
        self.assertEqual(len(payload), wire.CHALLENGE_SIZE)
        self.assertEqual(wire.decode_challenge(payload), (0x8877665544332211, SECRET, 60000))
        msg = wire.encode_reply(wire.REPLY_CHALLENGE, payload, req_id=5, nonce=NONCE)
        hdr, got = wire.decode_reply(msg)
        self.assertEqual((hdr.type, hdr.nonce), (wire.CHALLENGE, NONCE))
        self.assertEqual(wire.Reply(msg).challenge()[0], 0x8877665544332211)
        for bad in (payload[:31], payload + b"\0", wire.challenge_payload(0, SECRET),
                    wire.challenge_payload(1, SECRET, reserved=1)):
            with self.assertRaises(ValueError):
                wire.decode_challenge(bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)
