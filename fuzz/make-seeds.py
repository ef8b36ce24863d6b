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
META, DATA, END, ERROR, ENTRIES, PONG, STATUS_REPLY = (wire.META, wire.DATA, wire.END, wire.ERROR, wire.ENTRIES,
                                                       wire.PONG, wire.STATUS)
REQUEST_MAGIC, REPLY_MAGIC, TO_END = wire.REQUEST_MAGIC, wire.REPLY_MAGIC, wire.TO_END
NONCE = bytes(range(0xA0, 0xB0))
QUEUE = b"/fileserverctl-4242-0123456789abcdef"
REQ_ID = 0x1122334455667788
LE = {"order": "<"}  # the seeds are little-endian whatever the host


def request(op=GET, path=b"docs/readme.txt", queue=QUEUE, **fields):
    return wire.encode_request(op, queue, path, **{"req_id": REQ_ID, "nonce": NONCE, **LE, **fields})


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


REQUESTS = {
    "get": request(),
    "get-range": request(offset=100, length=50),
    "get-offset-max": request(offset=TO_END, length=1),
    "stat": request(op=STAT, path=b"docs"),
    "stat-root-empty-path": request(op=STAT, path=b""),
    "list-dot": request(op=LIST, path=b"."),
    "ping": request(op=PING, path=b"", offset=0),
    "status": request(op=STATUS, path=b"", offset=0),
    "path-nul": request(path=b"a\0b"),
    "path-dotdot": request(path=b"../etc/passwd"),
    "path-absolute": request(path=b"/etc/passwd"),
    "path-long-component": request(path=b"d/" + b"n" * 256),
    "path-max": request(op=STAT, path=b"p" * 4096),
    "path-too-long": request(op=STAT, path=b"p" * 4097),
    "queue-shortest": request(queue=b"/q"),
    "queue-longest": request(queue=b"/" + b"q" * 255),
    "bad-queue-too-long": request(queue=b"/" + b"q" * 256),
    "bad-queue-no-slash": request(queue=b"fileserver"),
    "bad-queue-slash-only": request(queue=b"/"),
    "bad-queue-inner-slash": request(queue=b"/a/b"),
    "bad-queue-nul": request(queue=b"/a\0b"),
    "bad-queue-empty": request(queue=b""),
    "bad-magic": request(magic=REPLY_MAGIC),
    "bad-version": request(version=2),
    "bad-op-0": request(op=0),
    "bad-op-6": request(op=6),
    "bad-flags": request(flags=1),
    "bad-reserved": request(reserved=bytes(7) + b"\x01"),
    "bad-length-extra-byte": request() + b"x",
    "bad-length-short": request(plen=100),
    "too-short": request()[:63],
    "empty": b"",
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
        "queue": "/fileserver", "workers": 4, "busy": 0, "waiting": 0, "served": 3, "failed": 1,
        "bytes": 1234, "dropped": 0, "notify_registered": True, "last_reload": "ok"}).encode()),
    "bad-magic": reply(END, end(), magic=REQUEST_MAGIC),
    "bad-version": reply(END, end(), version=0),
    "bad-type-0": reply(0, end()),
    "bad-type-8": reply(8, end()),
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
        "root": "/srv/fileserver", "queue": "/fileserver", "workers": 4, "backlog": 64,
        "log_level": "info", "send_timeout_ms": 5000, "shutdown_timeout_ms": 10000,
        "queue_max_messages": 10, "queue_message_size": 8192, "max_transfers_per_uid": 3,
        "max_waiting_per_uid": 32, "access": "world-readable",
        "allow": ["docs/*", "*.txt"], "deny": ["*/.git/*", "secret*"]}, indent=2) + "\n",
    "bounds-low.json": json.dumps({
        "root": "/", "queue": "/q", "workers": 1, "backlog": 0, "log_level": "trace",
        "send_timeout_ms": 1, "shutdown_timeout_ms": 0, "queue_max_messages": 1,
        "queue_message_size": 4416, "max_transfers_per_uid": 0, "max_waiting_per_uid": 0,
        "access": "owner", "allow": [], "deny": []}) + "\n",
    "bounds-high.json": json.dumps({
        "root": "/srv/" + "r" * 200, "queue": "/" + "q" * 255, "workers": 1024, "backlog": 65536,
        "log_level": "off", "send_timeout_ms": 3600000, "shutdown_timeout_ms": 3600000,
        "queue_max_messages": 65536, "queue_message_size": 16777216, "max_transfers_per_uid": 1024,
        "max_waiting_per_uid": 65536, "access": "all"}) + "\n",
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
    "bad-access.json": '{"access": "everyone"}\n',
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
