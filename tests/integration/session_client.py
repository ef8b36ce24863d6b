#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A raw protocol-2 client for the session tests (test_sessions.py), run as
any uid: it does one step of a client's life and stops there, so that the
test can kill it at that point. Its reply queues are named as fileserverctl
names its own (/fileserver-client-PID-HEX, mode 0622) and are
tiny (2 messages of 512 bytes) to spare the uid's mqueue budget.

usage: session_client.py SERVER_QUEUE COMMAND [ARGS]
  hold            create a reply queue, print "queue NAME", wait
  open            ... and send OPEN; print "sent NAME", wait (no reply read)
  active          ... read the CHALLENGE, unlink, PING; print "active ID", wait
  get PATH        ... GET PATH and read its first reply; print "receiving ID",
                  then wait without reading (the server fills the queue)
  abandon N       N queues and OPENs, their N replies read, the names
                  unlinked; print "abandoned CHALLENGES BUSY" and exit
                  without CLOSE
  attack QUEUE N [PID]
                  send N OPENs naming QUEUE (someone else's), each with a
                  nonce of its own and our pid (or PID); print "sent N", wait
"Wait" is: until standard input closes (or a signal ends the process).
"""

import errno
import os
import secrets
import select
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fstest import wire  # noqa: E402
from fstest.mqueue import mq_open, mq_receive, mq_send_to, mq_unlink  # noqa: E402

MSG_MAX, MSG_SIZE = 2, 512
TIMEOUT = 30


def create_queue():
    name = f"/fileserver-client-{os.getpid()}-{secrets.token_hex(8)}"
    fd = mq_open(name, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o622, MSG_MAX, MSG_SIZE)
    os.fchmod(fd, 0o622)  # no umask
    return name, fd


def receive(fd):
    r, _, _ = select.select([fd], [], [], TIMEOUT)
    if not r:
        sys.exit("no reply within the timeout")
    return wire.Reply(mq_receive(fd, MSG_SIZE))


def send_open(server, name, nonce=None, pid=None):
    nonce = nonce or secrets.token_bytes(16)
    mq_send_to(server, wire.encode_open(name.encode(), pid or os.getpid(), nonce, 1))
    return nonce


def open_session(server):
    """(queue name, fd, session id, secret), the name unlinked."""
    name, fd = create_queue()
    nonce = send_open(server, name)
    r = receive(fd)
    if r.type != wire.REPLY_CHALLENGE or r.nonce != nonce:
        sys.exit(f"OPEN answered with {r}: {r.error() if r.type == wire.ERROR else ''}")
    session, secret, _ = wire.decode_challenge(r.payload)
    mq_unlink(name)
    return name, fd, session, secret


def report(*words):
    print(*words, flush=True)


def wait():
    sys.stdin.read()


def main():
    server, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "hold":
        name, _ = create_queue()
        report("queue", name)
        wait()
    elif command == "open":
        name, _ = create_queue()
        send_open(server, name)
        report("sent", name)
        wait()
    elif command == "active":
        _, fd, session, secret = open_session(server)
        mq_send_to(server, wire.encode_request(wire.OP_PING, session, secret, req_id=2))
        types = [receive(fd).type, receive(fd).type]
        if types != [wire.PONG, wire.END]:
            sys.exit(f"PING answered with {types}")
        report("active", session)
        wait()
    elif command == "get":
        _, fd, session, secret = open_session(server)
        mq_send_to(server, wire.encode_request(wire.OP_GET, session, secret, args[0].encode(), req_id=3))
        r = receive(fd)
        if r.type != wire.META:
            sys.exit(f"GET answered with {r}")
        report("receiving", session)
        wait()
    elif command == "abandon":
        queues = [create_queue() for _ in range(int(args[0]))]
        nonces = [send_open(server, name) for name, _ in queues]
        challenges = busy = 0
        for (name, fd), nonce in zip(queues, nonces):
            r = receive(fd)
            if r.nonce != nonce:
                sys.exit(f"a reply with another nonce: {r}")
            if r.type == wire.REPLY_CHALLENGE:
                challenges += 1
            elif r.type == wire.ERROR and r.error()[0] == errno.EBUSY:
                busy += 1
            else:
                sys.exit(f"OPEN answered with {r}")
            mq_unlink(name)
        report("abandoned", challenges, busy)
    elif command == "attack":
        pid = int(args[2]) if len(args) > 2 else None
        for _ in range(int(args[1])):
            send_open(server, args[0], pid=pid)
        report("sent", args[1])
        wait()
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
