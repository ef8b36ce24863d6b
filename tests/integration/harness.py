# SPDX-License-Identifier: MIT
"""Shared harness for the fileserver integration tests (Python 3 stdlib only).

Every test gets its own fileserverd with a unique queue name and a temporary
root, and everything it starts is cleaned up: the daemon is stopped, its
queue unlinked, client processes killed, leftover client reply queues
removed and temporary directories deleted, even when the test fails.

The binaries come from the environment: FILESERVERD and FILESERVERCTL
(tests/meson.build sets them).
"""

import fcntl
import hashlib
import json
import os
import pty
import secrets
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fstest import proc, wire  # noqa: E402
from fstest.mqueue import (MqAttr, client_queues, mq_attributes, mq_getattr, mq_notify_none, mq_open,  # noqa: E402,F401
                           mq_receive, mq_send_to, mq_try_send, mq_unlink, mqueue_dir, queue_exists,
                           queue_info, queue_path, unique_queue_name)
from fstest.proc import python_for_uid, wait_until  # noqa: E402,F401
from fstest.wire import (DATA, END, ENTRIES, ERROR, META, OP_CLOSE, OP_GET, OP_LIST, OP_OPEN,  # noqa: E402,F401
                         OP_PING, OP_STAT, OP_STATUS, PONG, REPLY_CHALLENGE, REPLY_MAGIC, REQUEST_MAGIC,
                         STATUS, TO_END, VERSION, VERSION1, Reply, decode_challenge, encode_open,
                         encode_request, encode_request_v1)

SESSION_CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "session_client.py")

FILESERVERD = os.environ.get("FILESERVERD", "")
FILESERVERCTL = os.environ.get("FILESERVERCTL", "")

REPLY_HEADER_SIZE = wire.REPLY_HEADER_SIZE
MiB = 1024 * 1024

# Upper bounds only: nothing asserts how fast anything is.
PROCESS_TIMEOUT = 60      # any single client or daemon invocation
READY_TIMEOUT = 10        # daemon readiness (ping retried until then)
STOP_TIMEOUT = 30         # daemon exit after SIGTERM

# Exit codes of fileserverctl
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_REFUSED = 4
EXIT_UNREACHABLE = 5
EXIT_PROTOCOL = 6
EXIT_BUSY = 7

# Exit codes of fileserverd
DEXIT_OK = 0
DEXIT_FAILURE = 1
DEXIT_USAGE = 2
DEXIT_QUEUE_UNSAFE = 4
DEXIT_BAD_CONFIG = 6


def check_binaries():
    for var, path in (("FILESERVERD", FILESERVERD), ("FILESERVERCTL", FILESERVERCTL)):
        if not path or not os.access(path, os.X_OK):
            raise RuntimeError(f"{var} must name the built binary (got {path!r})")


# --------------------------------------------------------------------------
# POSIX message queues: tests/fstest/mqueue.py


def queue_qsize(name):
    """Bytes of messages waiting in queue @name, or None if it does not exist."""
    info = queue_info(name)
    return None if info is None else info["QSIZE"]


class QueueWatch:
    """Looks at a queue's QSIZE through a descriptor of its file in the
    mqueue file system: it keeps working once the name is unlinked (as a
    client does with its reply queue at the CHALLENGE), and it never takes
    a message away."""

    def __init__(self, name):
        self.name = name
        self.fd = os.open(queue_path(name), os.O_RDONLY | os.O_CLOEXEC)

    def qsize(self):
        text = os.pread(self.fd, 200, 0).decode()
        return int(text.split()[0].split(":")[1])

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# Run as the test's uid: fills its mqueue budget with queues (unlinked at
# once, held open) until nothing more fits, except for the room of one
# "reserved" queue, if asked. Prints "ready", then holds on until stdin closes.
_BUDGET_FILLER = r"""
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)

class Attr(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long),
                ("msgsize", ctypes.c_long), ("curmsgs", ctypes.c_long),
                ("pad", ctypes.c_long * 4)]

libc.mq_open.restype = ctypes.c_int
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(Attr)]
prefix = sys.argv[1]
count = 0

def create(maxmsg, msgsize):
    global count
    count += 1
    name = f"{prefix}-{count}".encode()
    attr = Attr(0, maxmsg, msgsize, 0)
    fd = libc.mq_open(name, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600,
                      ctypes.byref(attr))
    if fd < 0:
        return -ctypes.get_errno(), name
    return fd, name

reserved = None
if len(sys.argv) > 2:
    fd, name = create(int(sys.argv[2]), int(sys.argv[3]))
    if fd < 0:
        sys.exit(f"cannot create the reserved queue: {os.strerror(-fd)}")
    reserved = (fd, name)
held = []
sizes = [(10, 8192)] + [(1, 1 << k) for k in range(13, -1, -1)]
for maxmsg, msgsize in sizes:
    while True:
        fd, name = create(maxmsg, msgsize)
        if fd < 0:
            if -fd in (errno.EMFILE, errno.ENOMEM):
                break
            sys.exit(f"filler queue: {os.strerror(-fd)}")
        libc.mq_unlink(name)
        held.append(fd)
if reserved:
    libc.mq_unlink(reserved[1])
    os.close(reserved[0])
print("ready", len(held), flush=True)
sys.stdin.read()
"""


def stopped(pid):
    """True once every thread of process @pid is stopped (SIGSTOP), or it is gone."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return True
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except FileNotFoundError:
            continue
        if text[text.rindex(")") + 2] not in "TtZX":
            return False
    return True


def stop_process(pid):
    """SIGSTOPs @pid and waits until it has stopped: kill() returns before
    the threads of a busy process actually stop."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: stopped(pid), 30, f"process {pid} to stop")


def dead_pid():
    """The pid of a process that has exited and been reaped (not reused
    meanwhile: pids are handed out in increasing order until they wrap)."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def pick_private_uid():
    """A random uid nobody uses, if this process may run the binaries as it
    (it needs CAP_SETUID, and the build tree must be readable by others)."""
    return proc.pick_private_uid((FILESERVERD, FILESERVERCTL))


def reply_chunk_sizes():
    """DATA payload sizes a client may get: its reply queue message size
    (msgsize_max clamped to [1024, 262144], halved under budget pressure)
    minus the reply header; and 8192 - 48, the default."""
    try:
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            msgsize_max = int(f.read())
    except OSError:
        msgsize_max = 8192
    size = min(max(msgsize_max, 1024), 262144)
    sizes = {8192 - REPLY_HEADER_SIZE}
    while size >= 1024:
        sizes.add(size - REPLY_HEADER_SIZE)
        size //= 2
    return sorted(sizes)


# --------------------------------------------------------------------------
# Small helpers


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(MiB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def pipe_bytes(fd):
    """Bytes waiting in pipe @fd (FIONREAD)."""
    buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def read_some(fd, n, timeout):
    """Reads up to @n bytes from @fd, waiting at most @timeout s for data.
    Returns b"" at EOF; fails the test if nothing comes in time."""
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        raise AssertionError(f"no data within {timeout} s")
    return os.read(fd, n)


def read_exactly(fd, n, timeout):
    """Reads @n bytes (less only at EOF), each read waiting at most @timeout s."""
    chunks = []
    while n > 0:
        b = read_some(fd, min(n, 1 << 16), timeout)
        if not b:
            break
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def temp_files_in(directory, target_name):
    """Temporary files the client's atomic writer would leave: .NAME.XXXXXX"""
    prefix = "." + target_name + "."
    return sorted(n for n in os.listdir(directory) if n.startswith(prefix))


class Completed:
    """Result of a finished client run."""

    def __init__(self, args, returncode, stdout, stderr, pid):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.pid = pid

    @property
    def err(self):
        return self.stderr.decode(errors="replace")

    @property
    def out(self):
        return self.stdout.decode(errors="replace")

    def __repr__(self):
        out = self.stdout if len(self.stdout) <= 200 else self.stdout[:200] + b"..."
        return (f"<{' '.join(self.args)}: exit {self.returncode}, stdout {len(self.stdout)} bytes "
                f"{out!r}, stderr {self.err!r}>")


# --------------------------------------------------------------------------
# The daemon


class Daemon:
    """One fileserverd on a private queue and root; see FileserverTestCase.start_daemon."""

    def __init__(self, testcase, root, workdir, config):
        self.tc = testcase
        self.root = root
        self.workdir = workdir
        self.config = config
        self.queue = config["queue"]
        self.config_path = os.path.join(workdir, "fileserver.json")
        self.log_path = os.path.join(workdir, "fileserverd.log")
        self.proc = None
        self.returncode = None
        with open(self.config_path, "w") as f:
            json.dump(config, f)

    def start(self, wait=True, extra_args=(), queue_fd=None):
        """@queue_fd: pass that queue descriptor as systemd socket
        activation does (descriptor 3, LISTEN_FDS=1, LISTEN_PID)."""
        self._log = open(self.log_path, "wb")
        argv, stdin, env = [FILESERVERD, "--config", self.config_path, *extra_args], subprocess.DEVNULL, None
        if queue_fd is not None:
            argv = ["/bin/sh", "-c", 'exec 3<&0 0</dev/null; export LISTEN_PID=$$; exec "$0" "$@"', *argv]
            stdin, env = queue_fd, dict(os.environ, LISTEN_FDS="1")
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=self._log, stderr=self._log, env=env,
                                     close_fds=True, **self.tc.identity())
        if wait:
            self.wait_ready()
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"fileserverd exited with {self.proc.returncode} before it was "
                                     f"ready; log:\n{self.log()}")
            last = self.tc.ctl("--timeout", "1", "ping", check_clean=True, as_server_user=True)
            if last.returncode == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"fileserverd on {self.queue} not ready after {timeout} s "
                             f"(last ping: {last}); log:\n{self.log()}")

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        try:
            code = self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            raise AssertionError(f"fileserverd did not exit within {timeout} s")
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        self.send_signal(sig)
        return self.wait(timeout)

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGCONT)
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if getattr(self, "_log", None):
            self._log.close()
        # fileserverd leaves its queue behind by design.
        mq_unlink(self.queue)


# --------------------------------------------------------------------------
# The test case base class


class FileserverTestCase(unittest.TestCase):
    """Base class: temporary directories, daemons and clients with cleanup.

    PRIVATE_UID: run the daemon and the clients under a fresh, otherwise
    unused uid, so that their queues use a RLIMIT_MSGQUEUE budget of their
    own (it is counted per real uid): what other tests and other users do
    cannot starve them, and they cannot starve anyone. "required": skip
    the test if this process cannot switch uids; True: fall back to our own
    uid then."""

    PRIVATE_UID = False

    def setUp(self):
        check_binaries()
        mqueue_dir()
        self.uid = None
        if self.PRIVATE_UID:
            self.uid = pick_private_uid()
            if self.uid is None and self.PRIVATE_UID == "required":
                self.skipTest("cannot run processes under another uid (needs CAP_SETUID)")
        self.tmp = tempfile.mkdtemp(prefix="fstest-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.root = os.path.join(self.tmp, "root")
        self.out_dir = os.path.join(self.tmp, "out")
        os.mkdir(self.root)
        os.mkdir(self.out_dir)
        if self.uid is not None:
            os.chmod(self.tmp, 0o755)
            os.chmod(self.root, 0o755)
            os.chown(self.out_dir, self.uid, self.uid)
        self.daemon = None
        self._daemons = []
        self._procs = []          # (Popen, check_clean)
        self._client_pids = []    # clients whose reply queues must be gone
        self.queue = None
        # Registered last, runs first: processes die before their files go.
        self.addCleanup(self._cleanup_processes)

    def identity(self, uid=None):
        """Popen keyword arguments that run a process as the test's uid
        (the daemon's; or @uid)."""
        uid = self.uid if uid is None else uid
        if uid is None:
            return {}
        return dict(user=uid, group=uid, extra_groups=[])

    def client_identity(self):
        """Clients run as self.client_uid if a test sets it, else as the daemon."""
        return self.identity(getattr(self, "client_uid", None))

    # -- files under the root ------------------------------------------------

    def write_file(self, relpath, data, mode=None):
        path = os.path.join(self.root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(path, mode)
        elif self.uid is not None:
            os.chmod(path, 0o644)
        return path

    def random_file(self, relpath, size):
        data = os.urandom(size)
        self.write_file(relpath, data)
        return data

    # -- daemon --------------------------------------------------------------

    def make_config(self, **overrides):
        config = {
            "root": self.root,
            "queue": unique_queue_name(),
            "workers": 4,
            "log_level": "info",
            "send_timeout_ms": 5000,
            "shutdown_timeout_ms": 5000,
            "queue_max_messages": 10,
            "queue_message_size": 4416,
        }
        config.update(overrides)
        return config

    def write_config(self, text, name="config.json"):
        """A configuration file in the test's directory: JSON text, or a dict."""
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text if isinstance(text, str) else json.dumps(text))
        return path

    def start_daemon(self, wait=True, extra_args=(), queue_fd=None, **overrides):
        config = self.make_config(**overrides)
        workdir = tempfile.mkdtemp(prefix="daemon-", dir=self.tmp)
        os.chmod(workdir, 0o755)
        d = Daemon(self, self.root, workdir, config)
        self._daemons.append(d)
        # Unlinks the queue even if the start fails half-way.
        self.addCleanup(d.cleanup)
        self.addCleanup(self._dump_daemon_log_on_failure, d)
        self.daemon = d
        self.queue = d.queue
        d.start(wait=wait, extra_args=extra_args, queue_fd=queue_fd)
        return d

    def run_daemon(self, *args, timeout=PROCESS_TIMEOUT):
        """Runs fileserverd to completion (for options that make it exit)."""
        r = subprocess.run([FILESERVERD, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, **self.identity())
        return Completed([os.path.basename(FILESERVERD), *args], r.returncode, r.stdout, r.stderr, None)

    def _dump_daemon_log_on_failure(self, d):
        if self._failed():
            sys.stderr.write(f"\n----- fileserverd log ({d.queue}) -----\n{d.log()}"
                             f"----- end of log -----\n")

    def _failed(self):
        """True if this test (or one of its subtests) failed so far. Python
        3.11+ reports failures to the result as they happen."""
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return True
        for test, _ in list(result.failures) + list(result.errors):
            if test is self or getattr(test, "test_case", None) is self:
                return True
        return False

    def make_queue(self, name=None, mode=0o622, uid=None):
        """Creates a queue nobody serves (default attributes); unlinked at cleanup."""
        name = name or unique_queue_name("pre")
        self.addCleanup(mq_unlink, name)
        fd = os.open(queue_path(name), os.O_CREAT | os.O_EXCL | os.O_RDWR, mode)
        try:
            os.fchmod(fd, mode)  # no umask
            if uid is not None:
                os.fchown(fd, uid, -1)
        finally:
            os.close(fd)
        return name

    def fill_budget(self, leave=None):
        """Uses up the RLIMIT_MSGQUEUE budget of the test's uid, but for room
        for exactly one queue of @leave = (max_messages, message_size).
        Needs a private uid. The budget is given back at cleanup."""
        self.assertIsNotNone(self.uid, "fill_budget needs PRIVATE_UID")
        python = python_for_uid(self.uid)
        if python is None:
            self.skipTest("no Python interpreter that another uid may run")
        args = [python, "-c", _BUDGET_FILLER, f"/fstest-fill-{os.getpid()}-{secrets.token_hex(4)}"]
        if leave:
            args += [str(leave[0]), str(leave[1])]
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, **self.identity())

        def release():
            if p.returncode is not None:
                return
            try:
                p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate(timeout=30)
        self.addCleanup(release)
        line = read_some(p.stdout.fileno(), 1000, 30)
        self.assertTrue(line.startswith(b"ready"), f"budget filler failed: {line!r} "
                        f"{p.stderr.read() if p.poll() is not None else ''!r}")
        return release

    def client_reply_queue_attributes(self):
        """(max messages, message size) of the reply queue a client creates
        now: the daemon is held stopped while a ping waits for its reply."""
        self.wait_server_queue_empty()
        stop_process(self.daemon.proc.pid)
        try:
            p = self.spawn_ctl("--timeout", "30", "ping")
            queues = wait_until(lambda: client_queues(p.pid) or p.poll() is not None, 30,
                                "the client's reply queue")
            self.assertIsNone(p.poll(), "the client gave up")
            attrs = mq_attributes(queues[0])
        finally:
            self.daemon.send_signal(signal.SIGCONT)
        p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return attrs

    def raw_reply_queue(self, **kw):
        q = RawReplyQueue(**kw)
        self.addCleanup(q.close)
        return q

    def session(self, open=True, queue=None, **kw):
        """A Session with the test's daemon (or @queue), closed at cleanup;
        opened (CHALLENGE read) unless @open is false."""
        s = Session(queue or self.queue, **kw)
        self.addCleanup(s.close)
        if open:
            s.open_session()
        return s

    def server_status(self, queue=None):
        """The daemon's STATUS as a dict, asked on a session of its own that
        is closed before this returns (its "sessions" count includes it)."""
        s = Session(queue or self.queue)
        try:
            s.open_session()
            return s.status()
        finally:
            s.close()

    def wait_status(self, predicate, what, timeout=30):
        """Polls STATUS until @predicate(status) holds; returns that status."""
        found = {}

        def check():
            found["s"] = self.server_status()
            return predicate(found["s"])
        try:
            wait_until(check, timeout, what, interval=0.05)
        except AssertionError as e:
            raise AssertionError(f"{e}; last STATUS: {found.get('s')}") from None
        return found["s"]

    def wait_server_queue_empty(self):
        """Waits until the daemon has taken every message from its queue,
        such as the CLOSE of a client that has exited: so that the next
        message seen there is the next client's."""
        wait_until(lambda: queue_qsize(self.queue) == 0, 30, "the server queue to be empty")

    def frozen_get(self, path, *get_args, timeout=10):
        """Starts `get PATH GET_ARGS...` and returns (client, QueueWatch of
        its reply queue) once the server has begun sending the GET's replies
        while the client is stopped: the transfer then waits for room in the
        full reply queue, mid-way. Ordering without timing: the server is
        held while the client sends its OPEN, the client while the server
        answers it, the server while the client sends its GET, and the
        client while the server replies (the first reply may go straight to
        the stopped client, blocked in mq_receive; the rest fill its queue)."""
        d = self.daemon
        self.wait_server_queue_empty()
        stop_process(d.proc.pid)
        try:
            p = self.spawn_ctl("--timeout", str(timeout), "get", path, *get_args)
            wait_until(lambda: (queue_qsize(self.queue) or 0) > 0 or p.poll() is not None, 30,
                       "the OPEN in the server queue")
            self.assertIsNone(p.poll(), "the client gave up")
            queues = client_queues(p.pid)
            self.assertEqual(len(queues), 1, "the client's reply queue")
            watch = QueueWatch(queues[0])
            self.addCleanup(watch.close)
            stop_process(p.pid)
        finally:
            d.send_signal(signal.SIGCONT)
        # Once a STATUS asked after it is answered, the OPEN is answered. (Its
        # CHALLENGE need not show in the queue: the kernel hands a message
        # straight to a receiver blocked in mq_receive, stopped or not.)
        self.server_status()
        self.wait_server_queue_empty()  # that session's CLOSE too
        stop_process(d.proc.pid)
        try:
            p.send_signal(signal.SIGCONT)
            get_size = wire.REQUEST_HEADER_SIZE + len(os.fsencode(path))
            wait_until(lambda: (queue_qsize(self.queue) or 0) >= get_size or p.poll() is not None, 30,
                       "the GET in the server queue")
            self.assertIsNone(p.poll(), "the client gave up")
            stop_process(p.pid)
        finally:
            d.send_signal(signal.SIGCONT)
        wait_until(lambda: watch.qsize() > 0, 30, "the server to start replying")
        return p, watch

    def session_client(self, uid, *args, **popen_kw):
        """Starts session_client.py (a raw protocol-2 client) as @uid; see
        its usage. The test owns its pipes; it is killed at cleanup."""
        python = python_for_uid(uid) if uid else sys.executable
        if python is None:
            self.skipTest("no Python interpreter that another uid may run")
        kw = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kw.update(self.identity(uid) if uid else {})
        kw.update(popen_kw)
        p = subprocess.Popen([python, SESSION_CLIENT, self.queue, *map(str, args)], **kw)
        self._procs.append((p, False))
        return p

    def session_client_line(self, p, timeout=60):
        """The next line session_client.py printed (its report), as a list of words."""
        line = b""
        while not line.endswith(b"\n"):
            b = read_some(p.stdout.fileno(), 1, timeout)
            if not b:
                _, err = p.communicate(timeout=timeout)
                raise AssertionError(f"session_client.py exited {p.returncode}: {err!r}")
            line += b
        return line.decode().split()

    # -- clients -------------------------------------------------------------

    def ctl_args(self, args, queue):
        q = queue if queue is not None else self.queue
        return [FILESERVERCTL, *(["--queue", q] if q else []), *args]

    def ctl_env(self, queue=None):
        env = dict(os.environ)
        q = queue if queue is not None else self.queue
        if q:
            env["FILESERVER_QUEUE"] = q
        return env

    def ctl(self, *args, queue=None, timeout=PROCESS_TIMEOUT, check_clean=True, cwd=None,
            raw_args=False, env=None, as_server_user=False, **popen_kw):
        """Runs fileserverctl to completion; returns a Completed.

        With --queue of the test's daemon unless @queue is given (or raw_args:
        exactly @args) and FILESERVER_QUEUE likewise (or @env: exactly that
        environment). check_clean: its reply queue must be gone afterwards.
        as_server_user: run as the daemon's uid even if clients have their own."""
        argv = [FILESERVERCTL, *args] if raw_args else self.ctl_args(args, queue)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env if env is not None else self.ctl_env(queue),
                             cwd=cwd, **(self.identity() if as_server_user else self.client_identity()),
                             **popen_kw)
        self._procs.append((p, check_clean))
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError(f"fileserverctl {' '.join(args)} did not finish within {timeout} s"
                                 f" (stderr: {err!r})")
        r = Completed([os.path.basename(argv[0]), *argv[1:]], p.returncode, out, err, p.pid)
        if check_clean:
            self.assertEqual(client_queues(p.pid), [],
                             f"{r}: reply queue left behind")
        return r

    def other_uids(self, n):
        """@n more fresh uids, for clients of their own (a victim, an
        attacker); skips the test if this process cannot use them."""
        uids = [pick_private_uid() for _ in range(n)]
        if None in uids:
            self.skipTest("cannot run processes under other uids")
        return uids

    def ctl_on_terminal(self, *args):
        """Runs fileserverctl with a pty as its standard output, as at a
        user's terminal; returns (exit code, all it wrote there)."""
        master, slave = pty.openpty()
        try:
            p = self.spawn_ctl(*args, stdout=slave)
            os.close(slave)
            slave = -1
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the client closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            p.wait(PROCESS_TIMEOUT)
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        return p.returncode, out

    def spawn_ctl(self, *args, queue=None, check_clean=True, **popen_kw):
        """Starts fileserverctl in the background; the test owns its pipes."""
        kw = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kw.update(self.client_identity())
        kw.update(popen_kw)
        p = subprocess.Popen(self.ctl_args(args, queue), env=self.ctl_env(queue), **kw)
        self._procs.append((p, check_clean))
        return p

    def start_stalled_client(self, path="big.bin", timeout=30):
        """Starts `get PATH` writing to a pipe nobody reads and waits until
        the transfer is under way and the client is stuck writing."""
        p = self.spawn_ctl("--timeout", str(timeout), "get", path)
        fd = p.stdout.fileno()
        # The pipe fills up (64 KiB) and the client blocks writing to it.
        wait_until(lambda: pipe_bytes(fd) >= 32768 or p.poll() is not None,
                   30, "the stalled client's pipe to fill")
        self.assertIsNone(p.poll(), "the client should be stuck writing its output")
        # The first reply arrived: the client has already dropped its queue's name.
        self.assertEqual(client_queues(p.pid), [],
                         "the client should unlink its reply queue once the first reply arrives")
        return p

    def drain(self, p, timeout=60):
        """Reads a spawned client's stdout to the end and waits for it;
        returns (exit code, output, stderr)."""
        chunks = []
        fd = p.stdout.fileno()
        while True:
            b = read_some(fd, 1 << 16, timeout)
            if not b:
                break
            chunks.append(b)
        _, err = p.communicate(timeout=timeout)
        return p.returncode, b"".join(chunks), err

    def assert_ok(self, r):
        self.assertEqual(r.returncode, 0, f"expected success: {r}")
        return r

    def assert_exit(self, r, code, stderr_words=()):
        """@code: an int or a tuple of acceptable codes."""
        codes = code if isinstance(code, tuple) else (code,)
        self.assertIn(r.returncode, codes, f"unexpected exit code: {r}")
        if r.returncode != 0:
            msg = r.err.strip()
            self.assertTrue(msg, f"no message on stderr: {r}")
            for w in stderr_words:
                self.assertIn(w.lower(), msg.lower(), f"stderr should mention {w!r}: {r}")
        return r

    def get(self, path, *extra, **kw):
        return self.ctl("get", path, *extra, **kw)

    def get_to_file(self, path, *extra, name="out.bin", **kw):
        target = os.path.join(self.out_dir, name)
        r = self.ctl("get", path, "-o", target, *extra, **kw)
        return r, target

    # -- cleanup -------------------------------------------------------------

    def _cleanup_processes(self):
        leftovers = []
        for p, check_clean in self._procs:
            if p.poll() is None:
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
            try:
                p.communicate(timeout=30)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass
            queues = client_queues(p.pid)
            for q in queues:
                mq_unlink(q)  # a leftover queue keeps using the uid's budget
            if queues and check_clean:
                leftovers.append((p.args, queues))
        if leftovers and not self._failed():
            self.fail(f"client reply queues left behind: {leftovers}")


def _dev_with_mqueue_dir(libc):
    """Gives /dev a mqueue directory in this mount namespace only, on a host
    whose /dev has none (fileserverctl finds its uid's stale queues under
    /dev/mqueue): an overlay of the host's /dev, its own mounts (/dev/pts,
    /dev/shm, ...) moved onto it, its new files on a tmpfs. The host's /dev
    is not changed; the scratch directory goes at exit. False (and /dev as
    it was) if the overlay cannot be made."""
    import atexit
    import ctypes
    ms_move, mnt_detach = 8192, 2
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mounts.append((fields[0], fields[1], fields[4]))
    dev_id = [m[0] for m in mounts if m[2] == "/dev"][-1]
    children = [m[2] for m in mounts if m[1] == dev_id and m[2].startswith("/dev/")]
    scratch = tempfile.mkdtemp(prefix="fstest-dev-")

    def remove_scratch():
        libc.umount2(scratch.encode(), mnt_detach)
        try:
            os.rmdir(scratch)
        except OSError:
            pass
    atexit.register(remove_scratch)

    def mount(source, target, fstype, flags, data=None):
        if libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                      data.encode() if data else None) != 0:
            raise OSError(ctypes.get_errno(), f"mount {source} on {target}")
    mount("tmpfs", scratch, "tmpfs", 0, "mode=0700")
    for d in ("upper", "work", "held"):
        os.mkdir(os.path.join(scratch, d))
    os.mkdir(os.path.join(scratch, "upper", "mqueue"), 0o755)
    held = []
    for i, path in enumerate(children):
        target = os.path.join(scratch, "held", str(i))
        os.mkdir(target)
        mount(path, target, None, ms_move)
        held.append((target, path))
    try:
        mount("overlay", "/dev", "overlay", 0,
              f"lowerdir=/dev,upperdir={scratch}/upper,workdir={scratch}/work")
        made = True
    except OSError:
        made = False
    for target, path in held:
        mount(target, path, None, ms_move)
    return made


def private_ipc_namespace():
    """Moves this process (and so all it starts) into an IPC namespace of
    its own, with its mqueue file system on /dev/mqueue in a mount
    namespace of its own: its queues count against no one else's
    fs.mqueue.queues_max (256 per namespace), and /dev/mqueue shows only
    them. (On a host whose /dev has no mqueue directory, /dev gets one in
    that mount namespace: _dev_with_mqueue_dir; failing that, mqueue_dir()
    mounts it elsewhere.) Needs root; False (and nothing changed) if that
    fails. Call it before anything looks at the mqueue file system."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newns, clone_newipc, ms_rec, ms_private = 0x00020000, 0x08000000, 16384, 1 << 18
    if libc.unshare(clone_newns | clone_newipc) != 0:
        return False
    if libc.mount(b"none", b"/", None, ms_rec | ms_private, None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    if not os.path.isdir("/dev/mqueue") and not _dev_with_mqueue_dir(libc):
        return True  # mqueue_dir() mounts the namespace's file system elsewhere
    if libc.mount(b"mqueue", b"/dev/mqueue", b"mqueue", 0, None) != 0:
        raise OSError(ctypes.get_errno(), "mount -t mqueue /dev/mqueue")
    return True


def main(private_ipc=False):
    """unittest.main for a test file; exits non-zero on failure.
    @private_ipc: run in private_ipc_namespace() if this process may."""
    check_binaries()
    if private_ipc:
        private_ipc_namespace()
    unittest.main(verbosity=2)


# --------------------------------------------------------------------------
# The wire protocol, for tests that must send what fileserverctl never does:
# tests/fstest/wire.py (docs/protocol.md, version 2: sessions). Host byte
# order, no padding.

_REPLY = struct.Struct("=" + wire._REPLY)
_META = struct.Struct("=" + wire._META)


class RawReplyQueue:
    """A reply queue made by hand: any mode and size. Unlinked and closed
    by close() (FileserverTestCase.raw_reply_queue registers that)."""

    def __init__(self, mode=0o600, max_messages=4, message_size=8192):
        self.name = unique_queue_name("raw")
        self.fd = mq_open(self.name, os.O_RDONLY | os.O_NONBLOCK | os.O_CREAT | os.O_EXCL, mode,
                          max_messages, message_size)
        os.fchmod(self.fd, mode)
        self.message_size = message_size

    def receive(self, timeout):
        """The next message, or None if none came within @timeout s."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return None
        return mq_receive(self.fd, self.message_size)

    def receive_reply(self, timeout=30):
        msg = self.receive(timeout)
        if msg is None:
            raise AssertionError(f"no reply on {self.name} within {timeout} s")
        return Reply(msg)

    def stream(self, timeout=30):
        """Replies up to and including END or ERROR."""
        replies = []
        while True:
            r = self.receive_reply(timeout)
            replies.append(r)
            if r.type in (END, ERROR):
                return replies

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            mq_unlink(self.name)


class SessionRefused(AssertionError):
    """The server answered an OPEN with an ERROR (code, text)."""

    def __init__(self, code, text):
        super().__init__(f"OPEN refused: {os.strerror(code)} ({code}): {text}")
        self.code = code
        self.text = text


class Session(RawReplyQueue):
    """A protocol-2 session made by hand (docs/protocol.md): a reply queue
    of any mode and size, OPEN, the CHALLENGE read and the queue's name
    unlinked as a client does; then session requests and their replies;
    CLOSE at close(). Every field can be forged for hostile tests."""

    def __init__(self, server_queue, mode=0o622, max_messages=4, message_size=8192, pid=None):
        super().__init__(mode=mode, max_messages=max_messages, message_size=message_size)
        self.server_queue = server_queue
        self.pid = os.getpid() if pid is None else pid
        self.id = 0
        self.secret = None
        self.idle_timeout_ms = None
        self.unlinked = False

    def send_open(self, nonce=None, req_id=None, pid=None, queue=None):
        """Sends an OPEN naming our queue (or @queue); returns (nonce, request id)."""
        nonce = secrets.token_bytes(16) if nonce is None else nonce
        req_id = secrets.randbits(64) if req_id is None else req_id
        name = (queue or self.name).encode()
        mq_send_to(self.server_queue, encode_open(name, self.pid if pid is None else pid, nonce, req_id))
        return nonce, req_id

    def open(self, timeout=30):
        """OPEN and its reply, which it returns: a CHALLENGE (the session is
        then open and the queue's name unlinked) or an ERROR."""
        nonce, req_id = self.send_open()
        r = self.receive_reply(timeout)
        if (r.request_id, r.nonce) != (req_id, nonce):
            raise AssertionError(f"the reply to OPEN does not echo its id and nonce: {r}")
        if r.type == REPLY_CHALLENGE:
            self.id, self.secret, self.idle_timeout_ms = decode_challenge(r.payload)
            self.unlink()
        return r

    def open_session(self, timeout=30):
        """open(), which must give a CHALLENGE; SessionRefused if an ERROR came."""
        r = self.open(timeout)
        if r.type == ERROR:
            raise SessionRefused(*r.error())
        if r.type != REPLY_CHALLENGE:
            raise AssertionError(f"OPEN answered with {r}")
        return self

    def unlink(self):
        if not self.unlinked:
            mq_unlink(self.name)
            self.unlinked = True

    def send(self, op, path=b"", req_id=1, session=None, secret=None, **kw):
        """Sends a session request (with this session's id and secret unless given)."""
        mq_send_to(self.server_queue, encode_request(op, self.id if session is None else session,
                                                     self.secret if secret is None else secret, path,
                                                     req_id=req_id, **kw))

    def request(self, op, path=b"", timeout=30, **kw):
        """A session request and its whole reply stream (up to END or
        ERROR), each reply checked to carry its id and the secret."""
        req_id = kw.pop("req_id", None) or secrets.randbits(64)
        self.send(op, path, req_id=req_id, **kw)
        replies = self.stream(timeout)
        for r in replies:
            if (r.request_id, r.nonce) != (req_id, self.secret):
                raise AssertionError(f"a reply without the request's id and the session's secret: {r}")
        return replies

    def status(self):
        replies = self.request(OP_STATUS)
        if replies[-1].type != END:
            raise AssertionError(f"STATUS failed: {replies[-1].error()}")
        return json.loads(b"".join(r.payload for r in replies if r.type == STATUS))

    def close(self):
        if self.fd is not None and self.id:
            try:
                fd = mq_open(self.server_queue, os.O_WRONLY | os.O_NONBLOCK)
                try:
                    mq_try_send(fd, encode_request(OP_CLOSE, self.id, self.secret))
                finally:
                    os.close(fd)
            except OSError:
                pass  # no server queue any more
            self.id = 0
        super().close()


def steal_notification(queue_name, stop_event, counter):
    """Keeps trying to take the mq_notify registration of @queue_name (as any
    process that may write to it can), until @stop_event is set."""
    fd = mq_open(queue_name, os.O_WRONLY)
    try:
        while not stop_event.is_set():
            if mq_notify_none(fd):
                counter[0] += 1
    finally:
        os.close(fd)
