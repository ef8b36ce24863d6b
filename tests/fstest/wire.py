# SPDX-License-Identifier: MIT
"""The wire format of docs/protocol.md (src/protocol/wire.h): host byte order,
no padding. Every encoder takes the fields it would compute (lengths) as
overrides, so tests and fuzz seeds can write inconsistent messages;
@order is a struct byte-order character ("=" host, "<" little-endian)."""

import struct

REQUEST_MAGIC = 0x51525346  # "FSRQ"
REPLY_MAGIC = 0x50525346    # "FSRP"
VERSION = 1
TO_END = 2 ** 64 - 1
REQUEST_HEADER_SIZE = 64
REPLY_HEADER_SIZE = 48

OP_GET, OP_STAT, OP_LIST, OP_PING, OP_STATUS = 1, 2, 3, 4, 5
META, DATA, END, ERROR, ENTRIES, PONG, STATUS = 1, 2, 3, 4, 5, 6, 7

_REQUEST = "IHHQ16sQQHHI8s"
_REPLY = "IHHQ16sQII"
_META = "QQQIIIIqII"
META_FIELDS = ("size", "offset", "length", "mode", "uid", "gid", "reserved", "mtime_sec", "mtime_nsec",
               "chunk_size")


def _b(s):
    return s.encode() if isinstance(s, str) else s


def encode_request(op, reply_queue, path=b"", req_id=1, nonce=b"N" * 16, offset=0, length=TO_END,
                   flags=0, magic=REQUEST_MAGIC, version=VERSION, reserved=bytes(8), qlen=None, plen=None,
                   order="="):
    """A request: the 64-byte header, then the reply queue name and the path."""
    q, p = _b(reply_queue), _b(path)
    header = struct.pack(order + _REQUEST, magic, version, op, req_id, nonce, offset, length,
                         len(q) if qlen is None else qlen, len(p) if plen is None else plen, flags, reserved)
    assert len(header) == REQUEST_HEADER_SIZE
    return header + q + p


def decode_request(msg):
    """A request's fields as a dict (what a fake server needs to answer it)."""
    (magic, version, op, req_id, nonce, offset, length, qlen, plen, flags,
     _reserved) = struct.unpack_from("=" + _REQUEST, msg)
    q = msg[REQUEST_HEADER_SIZE:REQUEST_HEADER_SIZE + qlen]
    path = msg[REQUEST_HEADER_SIZE + qlen:REQUEST_HEADER_SIZE + qlen + plen]
    return {"magic": magic, "version": version, "op": op, "id": req_id, "nonce": nonce, "offset": offset,
            "length": length, "reply_queue": q.decode(errors="surrogateescape"), "path": path, "flags": flags}


def encode_reply(rtype, payload=b"", seq=0, req_id=1, nonce=b"N" * 16, magic=REPLY_MAGIC, version=VERSION,
                 reserved=0, size=None, order="="):
    """A reply: the 48-byte header, then @payload."""
    header = struct.pack(order + _REPLY, magic, version, rtype, req_id, nonce, seq,
                         len(payload) if size is None else size, reserved)
    assert len(header) == REPLY_HEADER_SIZE
    return header + payload


def meta_payload(size=1234, offset=0, length=1234, mode=0o100644, uid=1000, gid=1000, reserved=0,
                 mtime=1700000000, nsec=123456789, chunk=8144, order="="):
    return struct.pack(order + _META, size, offset, length, mode, uid, gid, reserved, mtime, nsec, chunk)


def end_payload(total=0, order="="):
    return struct.pack(order + "Q", total)


def error_payload(code, text, tlen=None, order="="):
    text = _b(text)
    return struct.pack(order + "II", code, len(text) if tlen is None else tlen) + text


def pong_payload(text=b"fileserverd 0.1.0", version=VERSION, vlen=None, order="="):
    text = _b(text)
    return struct.pack(order + "HH", version, len(text) if vlen is None else vlen) + text


def entry_payload(name, dtype=8, mode=0o100644, size=42, mtime=1700000000, reserved=0, nlen=None, order="="):
    """One directory entry of an ENTRIES reply."""
    name = _b(name)
    return struct.pack(order + "HBBIQq", len(name) if nlen is None else nlen, dtype, reserved, mode, size,
                       mtime) + name


def reply_type(msg):
    """The type field of a reply message (to tell END and ERROR apart cheaply)."""
    return struct.unpack_from("=H", msg, 6)[0]


class Reply:
    """A decoded reply message."""

    def __init__(self, msg):
        (self.magic, self.version, self.type, self.request_id, self.nonce, self.seq,
         self.payload_size, self.reserved) = struct.unpack_from("=" + _REPLY, msg)
        self.payload = msg[REPLY_HEADER_SIZE:]

    def meta(self):
        return dict(zip(META_FIELDS, struct.unpack("=" + _META, self.payload)))

    def error(self):
        code, n = struct.unpack_from("=II", self.payload)
        return code, self.payload[8:8 + n].decode(errors="replace")

    def end_total(self):
        return struct.unpack("=Q", self.payload)[0]

    def __repr__(self):
        return f"<reply type {self.type} seq {self.seq} payload {len(self.payload)} bytes>"
