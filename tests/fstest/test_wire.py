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
                                                         "STATUS")})


class RoundTrip(unittest.TestCase):
    def test_request_layout(self):
        msg = wire.encode_request(wire.OP_GET, "/reply", "a/b", req_id=7, offset=3, length=4)
        self.assertEqual(len(msg), 64 + 6 + 3)
        self.assertEqual(msg[64:], b"/replya/b")
        magic, version, op = struct.unpack_from("=IHH", msg)
        self.assertEqual((magic, version, op), (wire.REQUEST_MAGIC, 1, wire.OP_GET))

    def test_reply_decodes(self):
        meta = wire.meta_payload(size=10, offset=2, length=8, chunk=100)
        r = wire.Reply(wire.encode_reply(wire.META, meta, seq=0, req_id=9))
        self.assertEqual((r.magic, r.type, r.request_id, r.payload_size), (wire.REPLY_MAGIC, wire.META, 9, 56))
        self.assertEqual((r.meta()["size"], r.meta()["offset"], r.meta()["chunk_size"]), (10, 2, 100))
        e = wire.Reply(wire.encode_reply(wire.ERROR, wire.error_payload(2, "gone")))
        self.assertEqual(e.error(), (2, "gone"))
        self.assertEqual(wire.reply_type(wire.encode_reply(wire.END, wire.end_payload(5))), wire.END)
        self.assertEqual(wire.Reply(wire.encode_reply(wire.END, wire.end_payload(5))).end_total(), 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
