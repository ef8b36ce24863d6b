# SPDX-License-Identifier: MIT
"""The wire format of docs/protocol.md (src/protocol/wire.h), version 2
(sessions), and the version-1 request encoder old clients use: host byte
order, no padding. Every encoder takes the fields it would compute (lengths)
as overrides, so tests and fuzz seeds can write inconsistent messages;
@order is a struct byte-order character ("=" host, "<" little-endian)."""

import struct

REQUEST_MAGIC = 0x51525346  # "FSRQ"
REPLY_MAGIC = 0x50525346    # "FSRP"
VERSION = 2
VERSION1 = 1  # before sessions: the server answers it with one ERROR EPROTONOSUPPORT
TO_END = 2 ** 64 - 1
REQUEST_HEADER_SIZE = 64
REPLY_HEADER_SIZE = 48
CHALLENGE_SIZE = 32
MAX_QUEUE_NAME_SIZE = 256
MAX_PATH_SIZE = 4096

OP_GET, OP_STAT, OP_LIST, OP_PING, OP_STATUS, OP_OPEN, OP_CLOSE = 1, 2, 3, 4, 5, 6, 7
META, DATA, END, ERROR, ENTRIES, PONG, STATUS, CHALLENGE = 1, 2, 3, 4, 5, 6, 7, 8
REPLY_CHALLENGE = CHALLENGE

# magic, version, op, request id, nonce or secret, offset, length, queue
# name size, path size, pid, session id (version 1: flags, reserved bytes).
_REQUEST = "IHHQ16sQQHHIQ"
_REQUEST_V1 = "IHHQ16sQQHHI8s"
_REPLY = "IHHQ16sQII"
_META = "QQQIIIIqII"
_CHALLENGE = "Q16sII"
META_FIELDS = ("size", "offset", "length", "mode", "uid", "gid", "reserved", "mtime_sec", "mtime_nsec",
               "chunk_size")


def _b(s):
    return s.encode() if isinstance(s, str) else s


def _request(fmt, fields, q, p, qlen, plen, order):
    header = struct.pack(order + fmt, *fields[:7], len(q) if qlen is None else qlen,
                         len(p) if plen is None else plen, *fields[7:])
    assert len(header) == REQUEST_HEADER_SIZE
    return header + q + p


def encode_open(reply_queue, pid, nonce, req_id, *, path=b"", session=0, offset=0, length=TO_END,
                magic=REQUEST_MAGIC, version=VERSION, op=OP_OPEN, qlen=None, plen=None, order="="):
    """OPEN: names the reply queue; the server answers CHALLENGE there."""
    q, p = _b(reply_queue), _b(path)
    return _request(_REQUEST, (magic, version, op, req_id, nonce, offset, length, pid, session), q, p, qlen,
                    plen, order)


def encode_request(op, session, secret, path=b"", req_id=1, offset=0, length=TO_END, *, reply_queue=b"",
                   pid=0, magic=REQUEST_MAGIC, version=VERSION, qlen=None, plen=None, order="="):
    """A session request (GET, STAT, LIST, PING, STATUS, CLOSE) with the
    session id and secret of a CHALLENGE."""
    q, p = _b(reply_queue), _b(path)
    return _request(_REQUEST, (magic, version, op, req_id, secret, offset, length, pid, session), q, p, qlen,
                    plen, order)


def encode_request_v1(op, reply_queue, path=b"", req_id=1, nonce=b"N" * 16, offset=0, length=TO_END,
                      flags=0, magic=REQUEST_MAGIC, version=VERSION1, reserved=bytes(8), qlen=None, plen=None,
                      order="="):
    """A version-1 request: the 64-byte header, then the reply queue name
    and the path."""
    q, p = _b(reply_queue), _b(path)
    return _request(_REQUEST_V1, (magic, version, op, req_id, nonce, offset, length, flags, reserved), q, p,
                    qlen, plen, order)


def decode_request(msg):
    """A request's fields as a dict (what a fake server needs to answer
    it), of either version; "nonce" is the session secret of a version-2
    session request."""
    (magic, version, op, req_id, nonce, offset, length, qlen, plen, pid,
     session) = struct.unpack_from("=" + _REQUEST, msg)
    q = msg[REQUEST_HEADER_SIZE:REQUEST_HEADER_SIZE + qlen]
    path = msg[REQUEST_HEADER_SIZE + qlen:REQUEST_HEADER_SIZE + qlen + plen]
    return {"magic": magic, "version": version, "op": op, "id": req_id, "nonce": nonce, "offset": offset,
            "length": length, "reply_queue": q.decode(errors="surrogateescape"), "path": path, "pid": pid,
            "session": session, "flags": pid}


def encode_reply(rtype, payload=b"", seq=0, req_id=1, nonce=b"N" * 16, magic=REPLY_MAGIC, version=VERSION,
                 reserved=0, size=None, order="="):
    """A reply: the 48-byte header, then @payload. @nonce is the OPEN's
    nonce (CHALLENGE, or ERROR to OPEN) or the session secret."""
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


def challenge_payload(session, secret, idle_timeout_ms=60000, reserved=0, order="="):
    return struct.pack(order + _CHALLENGE, session, secret, idle_timeout_ms, reserved)


def entry_payload(name, dtype=8, mode=0o100644, size=42, mtime=1700000000, reserved=0, nlen=None, order="="):
    """One directory entry of an ENTRIES reply."""
    name = _b(name)
    return struct.pack(order + "HBBIQq", len(name) if nlen is None else nlen, dtype, reserved, mode, size,
                       mtime) + name


def reply_type(msg):
    """The type field of a reply message (to tell END and ERROR apart cheaply)."""
    return struct.unpack_from("=H", msg, 6)[0]


class ReplyHeader:
    """The fields of a reply header (src/protocol/wire.h ReplyHeader)."""

    __slots__ = ("version", "type", "request_id", "nonce", "seq", "payload_size")

    def __init__(self, version, rtype, request_id, nonce, seq, payload_size):
        self.version, self.type, self.request_id = version, rtype, request_id
        self.nonce, self.seq, self.payload_size = nonce, seq, payload_size

    def __repr__(self):
        return (f"<reply header v{self.version} type {self.type} id {self.request_id:#x} seq {self.seq} "
                f"payload {self.payload_size} bytes>")


def decode_reply(msg):
    """(ReplyHeader, payload) of a reply of version 1 or 2; ValueError if the
    header is not valid (the checks of decode_reply in wire.cpp)."""
    msg = bytes(msg)
    if len(msg) < REPLY_HEADER_SIZE:
        raise ValueError(f"reply of {len(msg)} bytes is shorter than its header")
    magic, version, rtype, req_id, nonce, seq, size, reserved = struct.unpack_from("=" + _REPLY, msg)
    if magic != REPLY_MAGIC:
        raise ValueError(f"bad reply magic {magic:#x}")
    if version not in (VERSION1, VERSION):
        raise ValueError(f"unknown reply version {version}")
    if not META <= rtype <= CHALLENGE:
        raise ValueError(f"unknown reply type {rtype}")
    if reserved != 0:
        raise ValueError("reply header reserved field not zero")
    if size != len(msg) - REPLY_HEADER_SIZE:
        raise ValueError(f"reply payload size {size} but {len(msg) - REPLY_HEADER_SIZE} bytes follow")
    return ReplyHeader(version, rtype, req_id, nonce, seq, size), msg[REPLY_HEADER_SIZE:]


def decode_challenge(payload):
    """(session, secret, idle_timeout_ms) of a CHALLENGE payload; ValueError
    if it is not valid (32 bytes, reserved 0, session id not 0)."""
    if len(payload) != CHALLENGE_SIZE:
        raise ValueError(f"CHALLENGE payload of {len(payload)} bytes, not {CHALLENGE_SIZE}")
    session, secret, idle, reserved = struct.unpack("=" + _CHALLENGE, payload)
    if reserved != 0 or session == 0:
        raise ValueError("invalid CHALLENGE payload")
    return session, secret, idle


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

    def challenge(self):
        return decode_challenge(self.payload)

    def __repr__(self):
        return f"<reply type {self.type} seq {self.seq} payload {len(self.payload)} bytes>"
