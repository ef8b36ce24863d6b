# SPDX-License-Identifier: MIT
"""Harness for the tests of `fileserverd --daemonize` (Python 3 stdlib only).

Every property is checked from outside, on the running daemon, through
/proc/PID/{status,stat,fd,cwd,root,environ,cmdline}, /proc/locks and the
mqueue file system.

Each test gets a unique queue (/fstest-dmn-PID-RAND), a temporary directory
with the served root, the configuration and the PID file, and always cleans
up: every process whose command line names that directory is killed and
reaped, the queue and the reply queues are unlinked, the directory removed.

The test process is a child subreaper (PR_SET_CHILD_SUBREAPER): the daemon,
orphaned by the double fork, becomes its child, so that its exit status can be
read and it never lingers as a zombie. (PID 1 of some containers reaps late.)

When it can (root), the launcher runs in a private mount namespace whose /dev
holds /dev/null and a /dev/log socket of the test's: the daemon's syslog
messages are captured, checked, and printed when a test fails.

The binaries come from the environment: FILESERVERD and FILESERVERCTL.
"""

import ctypes
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fstest.mqueue import (MqAttr, mq_getattr, mq_open, mq_receive, mq_send,  # noqa: E402,F401
                           mq_unlink, mqueue_dir, queue_info)
from fstest.proc import alive, is_root, proc_stat, processes_naming, read_text, wait_until  # noqa: E402,F401
from fstest.wire import (END, ERROR, OP_CLOSE, OP_GET, REPLY_CHALLENGE, Reply, decode_challenge,  # noqa: E402,F401
                         encode_open, encode_request, reply_type)

FILESERVERD = os.environ.get("FILESERVERD", "")
FILESERVERCTL = os.environ.get("FILESERVERCTL", "")

# Upper bounds only: nothing asserts how fast anything is.
LAUNCH_TIMEOUT = 120  # the launcher itself gives up after --startup-timeout (60 s)
WAIT = 30             # any other wait for a state
CLIENT_TIMEOUT = 30   # fileserverctl --timeout

# fileserverd's exit codes
EXIT_OK = 0
EXIT_FAILURE = 1  # also: already running
EXIT_USAGE = 2
EXIT_PERMISSION = 4
EXIT_NOT_CONFIGURED = 6

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

libc = ctypes.CDLL(None, use_errno=True)

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


# --------------------------------------------------------------------------
# POSIX message queues and the wire protocol: tests/fstest/


def client_queues(pid):
    """Names of the reply queues of client @pid still present (protocol 2's
    /fileserver-client-PID-HEX, and the older /fileserverctl-PID-...)."""
    return sorted("/" + n for n in os.listdir(mqueue_dir())
                  if n.startswith((f"fileserver-client-{pid}-", f"fileserverctl-{pid}-")))


class StalledTransfer:
    """A GET on a session (protocol 2) whose reply queue (2 messages of
    1 KiB) nobody reads: the worker serving it blocks once the queue is
    full, until drain()."""

    def __init__(self, server_queue, path):
        self.server_queue = server_queue
        self.name = f"/fstest-dmn-reply-{os.getpid()}-{secrets.token_hex(4)}"
        self.mqd = mq_open(self.name, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o622, 2, 1024)
        os.fchmod(self.mqd, 0o622)  # the umask does not apply
        self.session = 0
        nonce = secrets.token_bytes(16)
        self._send(encode_open(self.name.encode(), os.getpid(), nonce, 1))
        r = Reply(mq_receive(self.mqd, 1024, WAIT))
        if r.type != REPLY_CHALLENGE or r.nonce != nonce:
            raise AssertionError(f"OPEN answered with {r}")
        self.session, self.secret, _ = decode_challenge(r.payload)
        mq_unlink(self.name)
        self._send(encode_request(OP_GET, self.session, self.secret, path.encode(), req_id=2))

    def _send(self, msg):
        w = mq_open(self.server_queue, os.O_WRONLY)
        try:
            mq_send(w, msg)
        finally:
            os.close(w)

    def wait_stuck(self, timeout=WAIT):
        wait_until(lambda: mq_getattr(self.mqd).mq_curmsgs == 2, timeout,
                   "the stalled transfer to fill its reply queue")

    def drain(self, timeout=WAIT):
        """Reads the reply stream to its end; returns the number of messages."""
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            msg = mq_receive(self.mqd, 1024, max(0.1, deadline - time.monotonic()))
            n += 1
            if reply_type(msg) in (END, ERROR):
                return n

    def close(self):
        if self.mqd is not None:
            if self.session:
                try:
                    self._send(encode_request(OP_CLOSE, self.session, self.secret))
                except OSError:
                    pass  # the server queue is gone
            os.close(self.mqd)
            self.mqd = None
        mq_unlink(self.name)


# --------------------------------------------------------------------------
# /proc


def proc_status(pid):
    out = {}
    for line in read_text(f"/proc/{pid}/status").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def signal_set(hexmask, below=32):
    """Signal numbers (1..below-1) in a /proc/PID/status Sig* mask."""
    m = int(hexmask, 16)
    return {s for s in range(1, below) if m & (1 << (s - 1))}


def proc_fds(pid):
    """{fd: (link target, os.stat of the target)}"""
    out = {}
    d = f"/proc/{pid}/fd"
    for name in os.listdir(d):
        try:
            out[int(name)] = (os.readlink(f"{d}/{name}"), os.stat(f"{d}/{name}"))
        except FileNotFoundError:
            pass  # closed meanwhile
    return out


def proc_environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return [v.decode(errors="replace") for v in f.read().split(b"\0") if v]


def proc_cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [v.decode(errors="replace") for v in f.read().split(b"\0") if v]


def exec_generation(pid):
    """Where the binary is mapped: with ASLR, changes at every execve()."""
    return read_text(f"/proc/{pid}/maps").split("-", 1)[0]


def aslr_enabled():
    try:
        return int(read_text("/proc/sys/kernel/randomize_va_space")) > 0
    except OSError:
        return False


def flock_holders(path):
    """PIDs holding a flock() lock on @path's inode, from /proc/locks."""
    st = os.stat(path)
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    holders = set()
    for line in read_text("/proc/locks").splitlines():
        f = line.split()
        if f[1] == "->":  # a waiter
            continue
        if f[1] == "FLOCK" and f[5] == dev:
            holders.add(int(f[4]))
    return holders


def is_locked(path):
    """Whether another open file description can take the lock (flock)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def wait_exit(pid, timeout=WAIT):
    """Waits until @pid is gone; returns its exit code (as subprocess does:
    -N for signal N) if we could reap it (the daemon is our child by
    adoption), else None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            p, st = os.waitpid(pid, os.WNOHANG)
            if p == pid:
                return os.waitstatus_to_exitcode(st)
        except ChildProcessError:
            if not alive(pid):
                return None
        # A zombie leader is reapable only once all its threads are gone.
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} did not exit within {timeout} s")
        time.sleep(0.02)


# --------------------------------------------------------------------------
# syslog capture


class SyslogCapture:
    """A /dev/log of our own, in a directory that a private mount namespace
    puts on /dev for the launcher and its daemon."""

    def __init__(self, devdir):
        self.devdir = devdir
        self.path = os.path.join(devdir, "log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # the daemon may have switched user
        self.sock.settimeout(0.2)
        self._lines = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self._lines.append(data.decode(errors="replace"))

    def lines(self):
        with self._lock:
            return list(self._lines)

    def wait_for(self, text, timeout=WAIT):
        return wait_until(lambda: [l for l in self.lines() if text in l], timeout,
                          f"syslog message containing {text!r}")

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()

    def preexec(self):
        """Runs in the launcher before exec: /dev becomes our directory."""
        devdir = self.devdir.encode()

        def fn():
            if libc.unshare(CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
                raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
            for node in (b"null", b"zero", b"urandom"):
                if libc.mount(b"/dev/" + node, devdir + b"/" + node, None, MS_BIND, None) != 0:
                    raise OSError(ctypes.get_errno(), "mount --bind /dev/" + node.decode())
            if libc.mount(devdir, b"/dev", None, MS_BIND | MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), "mount --rbind DIR /dev")
        return fn


_capture_works = None


def syslog_capture_works(tmp):
    """Whether this process may build the private /dev (once per run)."""
    global _capture_works
    if _capture_works is None:
        d = tempfile.mkdtemp(prefix="devprobe-", dir=tmp)
        try:
            for node in ("null", "zero", "urandom"):
                open(os.path.join(d, node), "w").close()
            cap = SyslogCapture(d)
            try:
                r = subprocess.run(["sh", "-c", "test -c /dev/null && test -S /dev/log"],
                                   preexec_fn=cap.preexec(), timeout=30, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                _capture_works = r.returncode == 0
            except (OSError, subprocess.SubprocessError):
                _capture_works = False
            finally:
                cap.close()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return _capture_works


# --------------------------------------------------------------------------
# The test case base class


class Launch:
    """What the launching process did."""

    def __init__(self, args, returncode, stdout, stderr):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return f"<{' '.join(self.args)}: exit {self.returncode}, stdout {self.stdout!r}, stderr {self.stderr!r}>"


class DaemonTestCase(unittest.TestCase):
    """Temporary directory, queue, configuration, PID file; daemons and
    clients, all cleaned up."""

    def setUp(self):
        for var, path in (("FILESERVERD", FILESERVERD), ("FILESERVERCTL", FILESERVERCTL)):
            if not path or not os.access(path, os.X_OK):
                self.fail(f"{var} must name the built binary (got {path!r})")
        try:
            mqueue_dir()
        except RuntimeError as e:
            raise unittest.SkipTest(str(e))
        self.tmp = tempfile.mkdtemp(prefix="fstest-dmn-")
        os.chmod(self.tmp, 0o755)  # --user tests: the daemon must reach the root
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.root = os.path.join(self.tmp, "root")
        os.mkdir(self.root, 0o755)
        self.rundir = os.path.join(self.tmp, "run")
        os.mkdir(self.rundir, 0o755)
        self.pidfile = os.path.join(self.rundir, "fileserverd.pid")
        self.config_path = os.path.join(self.tmp, "fileserver.json")
        self.queue = f"/fstest-dmn-{os.getpid()}-{secrets.token_hex(4)}"
        self.write_config()
        self.client_pids = []
        self.stalled = []
        self.syslog = None
        if syslog_capture_works(self.tmp):
            devdir = os.path.join(self.tmp, "dev")
            os.mkdir(devdir, 0o755)
            for node in ("null", "zero", "urandom"):
                open(os.path.join(devdir, node), "w").close()
            self.syslog = SyslogCapture(devdir)
            self.addCleanup(self.syslog.close)
        # Registered last, runs first.
        self.addCleanup(self._cleanup)
        self.addCleanup(self._dump_log_on_failure)

    # -- files ----------------------------------------------------------------

    def config(self, **overrides):
        c = {
            "root": self.root,
            "queue": self.queue,
            "workers": 2,
            "log_level": "info",
            "send_timeout_ms": 5000,
            "shutdown_timeout_ms": 5000,
            "queue_max_messages": 10,
            "queue_message_size": 8192,
        }
        c.update(overrides)
        return c

    def write_config(self, path=None, **overrides):
        path = path or self.config_path
        with open(path + ".tmp", "w") as f:
            json.dump(self.config(**overrides), f)
        os.chmod(path + ".tmp", 0o644)
        os.replace(path + ".tmp", path)

    def write_file(self, relpath, data, mode=0o644, root=None):
        path = os.path.join(root or self.root, relpath)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    # -- the daemon -------------------------------------------------------------

    def launch(self, *args, pidfile=True, config=True, daemonize=True, env=None, preexec=None, expect=None,
               **popen_kw):
        """Runs `fileserverd --daemonize` (the launching process) to its end.
        @expect: the exit code it must have."""
        argv = [FILESERVERD] + (["--daemonize"] if daemonize else [])
        if config:
            argv += ["--config", self.config_path]
        if pidfile:
            argv += ["--pidfile", self.pidfile]
        argv += list(args)
        capture = self.syslog.preexec() if self.syslog else None

        def pre():
            if capture:
                capture()
            if preexec:
                preexec()
        kw = dict(stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kw.update(popen_kw)
        # Should the daemon keep the launcher's stdout or stderr, this
        # would wait for its end: bounded.
        r = subprocess.run(argv, env=env, preexec_fn=pre, timeout=LAUNCH_TIMEOUT, **kw)
        out = Launch([os.path.basename(a) for a in argv[:1]] + argv[1:], r.returncode,
                     (r.stdout or b"").decode(errors="replace"), (r.stderr or b"").decode(errors="replace"))
        if expect is not None:
            self.assertEqual(out.returncode, expect, out)
        return out

    def start(self, *args, **kw):
        """Launches a daemon that must start; returns its PID (from the PID file)."""
        r = self.launch(*args, expect=EXIT_OK, **kw)
        self.assertEqual(r.stderr, "", r)
        self.assertEqual(r.stdout, "", r)
        return self.pid_from_file()

    def pid_from_file(self, path=None):
        text = read_text(path or self.pidfile)
        self.assertRegex(text, r"^[1-9][0-9]*\n$", "PID file content")
        return int(text)

    def stop(self, pid, sig=signal.SIGTERM):
        """Sends @sig and waits for the daemon to exit; returns its exit code."""
        os.kill(pid, sig)
        return wait_exit(pid)

    def our_processes(self):
        return processes_naming(self.tmp)

    def assert_no_daemon_left(self):
        """After a failed start: nothing of ours runs any more."""
        wait_until(lambda: not self.our_processes(), WAIT, "every process of this test to exit")

    # -- clients ----------------------------------------------------------------

    def ctl(self, *args, timeout=CLIENT_TIMEOUT, queue=None):
        p = self.spawn_ctl(*args, timeout=timeout, queue=queue)
        try:
            out, err = p.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError(f"fileserverctl {args} did not finish")
        p.out, p.err = out, err.decode(errors="replace")
        return p

    def spawn_ctl(self, *args, timeout=CLIENT_TIMEOUT, queue=None):
        argv = [FILESERVERCTL, "--queue", queue or self.queue, "--timeout", str(timeout), *args]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.client_pids.append(p.pid)
        return p

    def assert_serves(self, relpath, data, msg=None):
        r = self.ctl("get", relpath)
        self.assertEqual(r.returncode, 0, f"{msg or ''} get {relpath}: {r.err}")
        self.assertEqual(r.out, data, msg)

    def assert_pings(self):
        r = self.ctl("ping")
        self.assertEqual(r.returncode, 0, f"ping: {r.err}")

    def stall_transfer(self, path):
        t = StalledTransfer(self.queue, path)
        self.stalled.append(t)
        return t

    # -- cleanup -----------------------------------------------------------------

    def _cleanup(self):
        for t in self.stalled:
            t.close()
        for pid in self.client_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            for q in client_queues(pid):
                mq_unlink(q)
        # The daemon and anything else started on our files.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.our_processes()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            for pid in pids:
                try:
                    wait_exit(pid, timeout=10 if sig == signal.SIGTERM else WAIT)
                except AssertionError:
                    pass
        # Zombies adopted from other tests' daemons of this process.
        while True:
            try:
                p, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0:
                break
        # The server leaves its queue behind by design.
        mq_unlink(self.queue)

    def _dump_log_on_failure(self):
        if self.syslog and self._failed():
            sys.stderr.write("\n----- syslog of the daemon -----\n" + "\n".join(self.syslog.lines()) +
                             "\n----- end of syslog -----\n")

    def _failed(self):
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None:
            return True
        for test, _ in list(result.failures) + list(result.errors):
            if test is self or getattr(test, "test_case", None) is self:
                return True
        return False


def main():
    unittest.main(verbosity=2)
