#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzzers: fuzz/corpus/{request,reply,config}/.

The files are committed; run this again only to change them (it replaces the
three directories). Messages follow docs/protocol.md, in little-endian byte
order (the protocol uses host order; the fuzzers run on x86-64 or arm64).
Every seed is small: a valid message of each kind, and the edge cases just
inside and just outside each bound, so that the fuzzers start next to every
branch of the decoders.
"""

import json
import pathlib
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from fstest import wire  # noqa: E402

CORPUS = HERE / "corpus"

GET, STAT, LIST, PING, STATUS = wire.OP_GET, wire.OP_STAT, wire.OP_LIST, wire.OP_PING, wire.OP_STATUS
OPEN, CLOSE = wire.OP_OPEN, wire.OP_CLOSE
META, DATA, END, ERROR, ENTRIES, PONG, STATUS_REPLY = (wire.META, wire.DATA, wire.END, wire.ERROR, wire.ENTRIES,
                                                       wire.PONG, wire.STATUS)
CHALLENGE = wire.CHALLENGE
REQUEST_MAGIC, REPLY_MAGIC, TO_END = wire.REQUEST_MAGIC, wire.REPLY_MAGIC, wire.TO_END
NONCE = bytes(range(0xA0, 0xB0))
SECRET = bytes(range(0xC0, 0xD0))
SESSION = 0x0123456789ABCDEF
PID = 4242
QUEUE = b"/fileserver-client-4242-987654-0123456789abcdef"
QUEUE_V1 = b"/fileserverctl-4242-0123456789abcdef"
REQ_ID = 0x1122334455667788
LE = {"order": "<"}  # the seeds are little-endian whatever the host


def request(op=GET, path=b"docs/readme.txt", session=SESSION, **fields):
    """A version-2 session request."""
    return wire.encode_request(op, session, SECRET, path, **{"req_id": REQ_ID, **LE, **fields})


def open_request(queue=QUEUE, pid=PID, **fields):
    return wire.encode_open(queue, pid, NONCE, REQ_ID, **{**LE, **fields})


def request_v1(op=GET, path=b"docs/readme.txt", queue=QUEUE_V1, **fields):
    return wire.encode_request_v1(op, queue, path, **{"req_id": REQ_ID, "nonce": NONCE, **LE, **fields})


def reply(rtype, payload=b"", **fields):
    return wire.encode_reply(rtype, payload, **{"req_id": REQ_ID, "nonce": NONCE, **LE, **fields})


def meta(**fields):
    return wire.meta_payload(**fields, **LE)


def end(total=0):
    return wire.end_payload(total, **LE)


def error(code, text, tlen=None):
    return wire.error_payload(code, text, tlen, **LE)


def pong(text=b"fileserverd 0.1.0", vlen=None):
    return wire.pong_payload(text, vlen=vlen, **LE)


def entry(name, **fields):
    return wire.entry_payload(name, **fields, **LE)


def challenge(session=SESSION, idle=60000, reserved=0):
    return wire.challenge_payload(session, SECRET, idle, reserved, **LE)


REQUESTS = {
    "get": request(),
    "get-range": request(offset=100, length=50),
    "get-offset-max": request(offset=TO_END, length=1),
    "stat": request(op=STAT, path=b"docs"),
    "stat-root-empty-path": request(op=STAT, path=b""),
    "list-dot": request(op=LIST, path=b"."),
    "ping": request(op=PING, path=b""),
    "status": request(op=STATUS, path=b""),
    "close": request(op=CLOSE, path=b""),
    "close-with-path": request(op=CLOSE, path=b"ignored"),
    "session-max": request(op=PING, path=b"", session=2 ** 64 - 1),
    "path-nul": request(path=b"a\0b"),
    "path-dotdot": request(path=b"../etc/passwd"),
    "path-absolute": request(path=b"/etc/passwd"),
    "path-long-component": request(path=b"d/" + b"n" * 256),
    "path-max": request(op=STAT, path=b"p" * 4096),
    "path-too-long": request(op=STAT, path=b"p" * 4097),
    "path-too-long-ping": request(op=PING, path=b"p" * 4097),
    "open": open_request(),
    "open-queue-shortest": open_request(queue=b"/q"),
    "open-queue-longest": open_request(queue=b"/" + b"q" * 255),
    "open-pid-max": open_request(pid=2 ** 32 - 1),
    "bad-open-queue-too-long": open_request(queue=b"/" + b"q" * 256),
    "bad-open-queue-no-slash": open_request(queue=b"fileserver"),
    "bad-open-queue-slash-only": open_request(queue=b"/"),
    "bad-open-queue-inner-slash": open_request(queue=b"/a/b"),
    "bad-open-queue-nul": open_request(queue=b"/a\0b"),
    "bad-open-queue-empty": open_request(queue=b""),
    "bad-open-pid-0": open_request(pid=0),
    "bad-open-session": open_request(session=SESSION),
    "bad-open-path": open_request(path=b"p"),
    "bad-session-0": request(session=0),
    "bad-session-pid": request(pid=PID),
    "bad-session-queue": request(reply_queue=QUEUE),
    "bad-magic": request(magic=REPLY_MAGIC),
    "bad-version-0": request(version=0),
    "bad-version-3": request(version=3),
    "bad-op-0": request(op=0),
    "bad-op-8": request(op=8),
    "bad-length-extra-byte": request() + b"x",
    "bad-length-short": request(plen=100),
    "bad-open-length-short": open_request(qlen=10),
    "too-short": request()[:63],
    "empty": b"",
    # Version 1: recognised (answered with EPROTONOSUPPORT) when valid by its rules.
    "v1-get": request_v1(),
    "v1-ping": request_v1(op=PING, path=b""),
    "v1-status": request_v1(op=STATUS, path=b""),
    "v1-path-too-long": request_v1(op=STAT, path=b"p" * 4097),
    "v1-queue-longest": request_v1(queue=b"/" + b"q" * 255),
    "bad-v1-op-6": request_v1(op=OPEN),
    "bad-v1-flags": request_v1(flags=1),
    "bad-v1-reserved": request_v1(reserved=bytes(7) + b"\x01"),
    "bad-v1-queue-empty": request_v1(queue=b""),
    "bad-v1-queue-inner-slash": request_v1(queue=b"/a/b"),
    "bad-v1-length": request_v1() + b"x",
}

REPLIES = {
    "meta-file": reply(META, meta()),
    "meta-dir": reply(META, meta(size=4096, length=0, mode=0o040755)),
    "meta-range": reply(META, meta(size=1000, offset=100, length=900), seq=0),
    "meta-empty-file": reply(META, meta(size=0, length=0)),
    "meta-negative-mtime": reply(META, meta(mtime=-1, nsec=999999999)),
    "bad-meta-nsec": reply(META, meta(nsec=1000000000)),
    "bad-meta-offset": reply(META, meta(size=10, offset=11, length=0)),
    "bad-meta-length": reply(META, meta(size=10, offset=5, length=6)),
    "bad-meta-reserved": reply(META, meta(reserved=1)),
    "bad-meta-short": reply(META, meta()[:55]),
    "data": reply(DATA, b"hello, world\n", seq=1),
    "data-empty": reply(DATA, b"", seq=1),
    "end": reply(END, end(0), seq=1),
    "end-total": reply(END, end(1234), seq=2),
    "bad-end-long": reply(END, end(1) + b"\0"),
    "error-enoent": reply(ERROR, error(2, b"No such file or directory")),
    "error-empty-text": reply(ERROR, error(16, b"")),
    "error-longest": reply(ERROR, error(5, b"e" * 256)),
    "bad-error-too-long": reply(ERROR, error(5, b"e" * 257)),
    "bad-error-text-size": reply(ERROR, error(5, b"abc", tlen=4)),
    "pong": reply(PONG, pong()),
    "pong-longest": reply(PONG, pong(b"v" * 64)),
    "bad-pong-too-long": reply(PONG, pong(b"v" * 65)),
    "bad-pong-text-size": reply(PONG, pong(b"abc", vlen=2)),
    "entries": reply(ENTRIES, entry(b"readme.txt") + entry(b"docs", dtype=4, mode=0o040755, size=4096)
                     + entry(b"link", dtype=10, mode=0o120777, size=10) + entry(b"gone", dtype=0, mode=0,
                                                                                    size=0, mtime=0),
                     seq=1),
    "entries-longest-name": reply(ENTRIES, entry(b"n" * 255), seq=1),
    "entries-empty": reply(ENTRIES, b"", seq=1),
    "bad-entries-name-256": reply(ENTRIES, entry(b"n" * 256)),
    "bad-entries-name-0": reply(ENTRIES, entry(b"", nlen=0)),
    "bad-entries-slash": reply(ENTRIES, entry(b"a/b")),
    "bad-entries-nul": reply(ENTRIES, entry(b"a\0b")),
    "bad-entries-reserved": reply(ENTRIES, entry(b"file", reserved=1)),
    "bad-entries-truncated": reply(ENTRIES, entry(b"file") + entry(b"second")[:20]),
    "bad-entries-name-past-end": reply(ENTRIES, entry(b"abc", nlen=4)),
    "status": reply(STATUS_REPLY, json.dumps({
        "version": "0.1.0", "pid": 4242, "uptime_sec": 12, "root": "/srv/fileserver",
        "queue": "/fileserver", "workers": 4, "busy": 0, "parked": 0, "waiting": 0, "max_transfers": 1024,
        "served": 3, "failed": 1,
        "bytes": 1234, "dropped": 0, "notify_registered": True, "last_reload": "ok", "protocol": 2,
        "sessions": 3, "sessions_challenged": 1, "rejected": 0}).encode()),
    "bad-magic": reply(END, end(), magic=REQUEST_MAGIC),
    "challenge": reply(CHALLENGE, challenge()),
    "challenge-edges": reply(CHALLENGE, challenge(session=1, idle=2 ** 32 - 1)),
    "bad-challenge-session-0": reply(CHALLENGE, challenge(session=0)),
    "bad-challenge-reserved": reply(CHALLENGE, challenge(reserved=1)),
    "bad-challenge-short": reply(CHALLENGE, challenge()[:31]),
    "bad-challenge-long": reply(CHALLENGE, challenge() + b"\0"),
    "bad-challenge-end-payload": reply(CHALLENGE, end()),
    "bad-version": reply(END, end(), version=0),
    "bad-version-1": reply(END, end(), version=1),
    "bad-version-3": reply(END, end(), version=3),
    "bad-type-0": reply(0, end()),
    "bad-type-9": reply(9, end()),
    "bad-reserved": reply(END, end(), reserved=1),
    "bad-size-larger": reply(END, end(), size=9),
    "bad-size-smaller": reply(END, end(), size=7),
    "too-short": reply(END)[:47],
}

CONFIGS = {
    "empty-object.json": "{}\n",
    "null.json": "null\n",
    "root.json": '{ "root": "/srv/files" }\n',
    "full.json": json.dumps({
        "root": "/srv/fileserver", "queue": "/fileserver", "workers": 4, "max_transfers": 1024,
        "backlog": 64, "log_level": "info", "send_timeout_ms": 5000, "shutdown_timeout_ms": 10000,
        "queue_max_messages": 10, "queue_message_size": 8192, "max_transfers_per_uid": 3,
        "max_waiting_per_uid": 32, "max_sessions": 1024, "max_sessions_per_uid": 0,
        "session_idle_timeout_ms": 60000, "access": "world-readable",
        "allow": ["docs/*", "*.txt"], "deny": ["*/.git/*", "secret*"]}, indent=2) + "\n",
    "bounds-low.json": json.dumps({
        "root": "/", "queue": "/q", "workers": 1, "max_transfers": 1, "backlog": 0, "log_level": "trace",
        "send_timeout_ms": 1, "shutdown_timeout_ms": 0, "queue_max_messages": 1,
        "queue_message_size": 4416, "max_transfers_per_uid": 0, "max_waiting_per_uid": 0,
        "max_sessions": 1, "max_sessions_per_uid": 1, "session_idle_timeout_ms": 1000,
        "access": "owner", "allow": [], "deny": []}) + "\n",
    "bounds-high.json": json.dumps({
        "root": "/srv/" + "r" * 200, "queue": "/" + "q" * 255, "workers": 1024,
        "max_transfers": 65536, "backlog": 65536, "log_level": "off", "send_timeout_ms": 3600000,
        "shutdown_timeout_ms": 3600000, "queue_max_messages": 65536, "queue_message_size": 16777216,
        "max_transfers_per_uid": 65536, "max_waiting_per_uid": 65536, "max_sessions": 1048576,
        "max_sessions_per_uid": 1048576, "session_idle_timeout_ms": 86400000, "access": "all"}) + "\n",
    "unicode-root.json": '{"root": "/srv/caf\\u00e9/\\ud83d\\ude00 \\"x\\"", "log_level": "debug"}\n',
    "duplicate-key.json": '{"workers": 2, "workers": 8}\n',
    "bad-unknown-key.json": '{"root": "/srv", "colour": "blue"}\n',
    "bad-relative-root.json": '{"root": "srv/files"}\n',
    "bad-empty-root.json": '{"root": ""}\n',
    "bad-queue.json": '{"queue": "/a/b"}\n',
    "bad-log-level.json": '{"log_level": "verbose"}\n',
    "bad-workers-zero.json": '{"workers": 0}\n',
    "bad-workers-negative.json": '{"workers": -1}\n',
    "bad-workers-float.json": '{"workers": 4.0}\n',
    "bad-timeout-exponent.json": '{"send_timeout_ms": 1e3}\n',
    "bad-workers-string.json": '{"workers": "4"}\n',
    "bad-backlog-huge.json": '{"backlog": 18446744073709551615}\n',
    "bad-backlog-overflow.json": '{"backlog": 18446744073709551616}\n',
    "bad-message-size-small.json": '{"queue_message_size": 4415}\n',
    "bad-transfers-per-uid.json": '{"max_transfers_per_uid": 1025}\n',
    "max-transfers.json": '{"max_transfers": 64, "max_transfers_per_uid": 16}\n',
    "bad-max-transfers-zero.json": '{"max_transfers": 0}\n',
    "bad-max-transfers-huge.json": '{"max_transfers": 65537}\n',
    "bad-max-transfers-string.json": '{"max_transfers": "64"}\n',
    "bad-transfers-per-uid-over.json": '{"max_transfers": 4, "max_transfers_per_uid": 5}\n',
    "bad-transfers-per-uid-huge.json": '{"max_transfers": 65536, "max_transfers_per_uid": 65537}\n',
    "bad-access.json": '{"access": "everyone"}\n',
    "bad-max-sessions-zero.json": '{"max_sessions": 0}\n',
    "bad-max-sessions-huge.json": '{"max_sessions": 1048577}\n',
    "bad-sessions-per-uid-over.json": '{"max_sessions": 4, "max_sessions_per_uid": 5}\n',
    "bad-session-idle-low.json": '{"session_idle_timeout_ms": 999}\n',
    "bad-session-idle-high.json": '{"session_idle_timeout_ms": 86400001}\n',
    "bad-allow-not-array.json": '{"allow": "*.txt"}\n',
    "bad-deny-empty-pattern.json": '{"deny": [""]}\n',
    "bad-nested.json": '{"root": {"path": ["/srv", [null, true, false]]}}\n',
    "bad-top-array.json": '["root", "/srv"]\n',
    "bad-top-string.json": '"/srv"\n',
    "bad-syntax-trailing-comma.json": '{"root": "/srv",}\n',
    "bad-syntax-comment.json": '{"root": "/srv" /* comment */}\n',
    "bad-syntax-unterminated.json": '{"root": "/srv\n',
    "bad-syntax-bad-escape.json": '{"root": "/srv\\x41"}\n',
    "bad-syntax-lone-surrogate.json": '{"root": "/srv\\ud800"}\n',
    "bad-syntax-trailing-text.json": '{} {}\n',
    "bad-empty.json": "",
}


def write(directory, files):
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for name, data in sorted(files.items()):
        (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    write(CORPUS / "request", REQUESTS)
    write(CORPUS / "reply", REPLIES)
    write(CORPUS / "config", CONFIGS)
    print(f"wrote {len(REQUESTS)} request, {len(REPLIES)} reply and {len(CONFIGS)} config seeds "
          f"under {CORPUS}")


if __name__ == "__main__":
    main()
