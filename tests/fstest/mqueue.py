# SPDX-License-Identifier: MIT
"""POSIX message queues through ctypes, and the mqueue file system."""

import atexit
import ctypes
import errno
import os
import select
import subprocess
import tempfile
import time

_libc = ctypes.CDLL(None, use_errno=True)


class MqAttr(ctypes.Structure):
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long),
                ("mq_msgsize", ctypes.c_long), ("mq_curmsgs", ctypes.c_long),
                ("pad", ctypes.c_long * 4)]


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _func(name, argtypes, restype=ctypes.c_int):
    """A fresh function object (its own argtypes) for libc's @name."""
    try:
        f = _libc[name]
    except AttributeError:  # glibc < 2.34 keeps the mq_* calls in librt
        f = ctypes.CDLL("librt.so.1", use_errno=True)[name]
    f.argtypes = argtypes
    f.restype = restype
    return f


# mq_open is variadic: one object without the mode and attributes, one with.
_mq_open = _func("mq_open", [ctypes.c_char_p, ctypes.c_int])
_mq_open_attr = _func("mq_open", [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(MqAttr)])
_mq_unlink = _func("mq_unlink", [ctypes.c_char_p])
_mq_getattr = _func("mq_getattr", [ctypes.c_int, ctypes.POINTER(MqAttr)])
_mq_send = _func("mq_send", [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint])
_mq_receive = _func("mq_receive", [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p],
                    ctypes.c_ssize_t)
_mq_timedreceive = _func("mq_timedreceive", [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
                                             ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(Timespec)],
                         ctypes.c_ssize_t)
_mq_notify = _func("mq_notify", [ctypes.c_int, ctypes.c_void_p])


def check_errno(r, what):
    """@r, or OSError(errno) if it is negative."""
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), what)
    return r


def mq_open(name, flags, mode=0o600, maxmsg=None, msgsize=None):
    """A queue descriptor (close it with os.close); O_CLOEXEC is added.
    With @maxmsg and @msgsize, the queue is created with those attributes."""
    flags |= os.O_CLOEXEC
    if maxmsg is None and not flags & os.O_CREAT:
        return check_errno(_mq_open(name.encode(), flags), "mq_open " + name)
    attr = ctypes.byref(MqAttr(0, maxmsg, msgsize, 0)) if maxmsg is not None else None
    return check_errno(_mq_open_attr(name.encode(), flags, mode, attr), "mq_open " + name)


def mq_unlink(name):
    """Unlinks queue @name ("/x"); True if it existed."""
    if _mq_unlink(name.encode()) == 0:
        return True
    err = ctypes.get_errno()
    if err != errno.ENOENT:
        raise OSError(err, os.strerror(err), "mq_unlink " + name)
    return False


def mq_getattr(mqd):
    a = MqAttr()
    check_errno(_mq_getattr(mqd, ctypes.byref(a)), "mq_getattr")
    return a


def mq_attributes(name):
    """(max messages, message size) of the existing queue @name."""
    fd = mq_open(name, os.O_RDONLY | os.O_NONBLOCK)
    try:
        a = mq_getattr(fd)
        return a.mq_maxmsg, a.mq_msgsize
    finally:
        os.close(fd)


def mq_send(mqd, data):
    check_errno(_mq_send(mqd, data, len(data), 0), "mq_send")


def mq_try_send(mqd, data):
    """0 if sent, else the errno (EAGAIN on a full O_NONBLOCK queue)."""
    return 0 if _mq_send(mqd, data, len(data), 0) == 0 else ctypes.get_errno()


def mq_send_to(name, data, timeout=30):
    """Sends one message to queue @name, waiting up to @timeout s for room."""
    fd = mq_open(name, os.O_WRONLY | os.O_NONBLOCK)
    try:
        deadline = time.monotonic() + timeout
        while True:
            err = mq_try_send(fd, data)
            if err == 0:
                return
            if err != errno.EAGAIN or time.monotonic() > deadline:
                raise OSError(err, os.strerror(err), "mq_send " + name)
            select.select([], [fd], [], max(0.0, deadline - time.monotonic()))
    finally:
        os.close(fd)


def mq_receive(mqd, size, timeout=None):
    """The next message (a buffer of @size bytes, at least the queue's message
    size). With @timeout, mq_timedreceive: OSError(ETIMEDOUT) when none came."""
    buf = ctypes.create_string_buffer(size)
    if timeout is None:
        n = check_errno(_mq_receive(mqd, buf, size, None), "mq_receive")
    else:
        deadline = time.time() + timeout
        ts = Timespec(int(deadline), int((deadline % 1) * 1e9))
        n = check_errno(_mq_timedreceive(mqd, buf, size, None, ctypes.byref(ts)), "mq_timedreceive")
    return buf.raw[:n]


def mq_notify_none(mqd):
    """Registers for notification with SIGEV_NONE; True if it was taken."""
    sev = (ctypes.c_byte * 64)()
    sev[12] = 1  # struct sigevent: sigev_value (8), sigev_signo (4), sigev_notify = SIGEV_NONE
    return _mq_notify(mqd, ctypes.byref(sev)) == 0


def unique_queue_name(tag="q"):
    """A queue name no other test (nor test run) uses."""
    return f"/fstest-{os.getpid()}-{tag}-{os.urandom(4).hex()}"


# --------------------------------------------------------------------------
# The mqueue file system


def is_mqueue_mount(path):
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                sep = fields.index("-")
                if fields[4] == path and fields[sep + 1] == "mqueue":
                    return True
    except OSError:
        pass
    return False


_mqueue_dir = None


def mqueue_dir():
    """A directory where the mqueue file system of our IPC namespace is
    mounted: /dev/mqueue if it is, else a private mount point of our own,
    unmounted at exit (the host's /dev is left as it was)."""
    global _mqueue_dir
    if _mqueue_dir:
        return _mqueue_dir
    if is_mqueue_mount("/dev/mqueue"):
        _mqueue_dir = "/dev/mqueue"
        return _mqueue_dir
    d = tempfile.mkdtemp(prefix="fstest-mqueue-")
    r = subprocess.run(["mount", "-t", "mqueue", "mqueue", d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0:
        os.rmdir(d)
        raise RuntimeError("cannot mount the mqueue filesystem: " + r.stderr.decode(errors="replace"))
    me = os.getpid()

    def _umount():
        if os.getpid() == me:  # not in a forked child
            subprocess.run(["umount", d], timeout=30)
            os.rmdir(d)
    atexit.register(_umount)
    _mqueue_dir = d
    return d


def queue_path(name):
    return os.path.join(mqueue_dir(), name.lstrip("/"))


def queue_exists(name):
    return os.path.exists(queue_path(name))


def queue_info(name):
    """The mqueue file's fields (QSIZE, NOTIFY, SIGNO, NOTIFY_PID) as ints,
    or None if the queue does not exist."""
    try:
        with open(queue_path(name)) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    return {k: int(v) for k, v in (field.split(":") for field in text.split())}


def client_queues(pid):
    """Names of the reply queues of client @pid still present: protocol 2's
    '/fileserver-client-PID-HEX' (0.1: PID-STARTTIME-HEX) and the older '/fileserverctl-PID-...'."""
    found = []
    for prefix in (f"fileserver-client-{pid}-", f"fileserverctl-{pid}-"):
        found += ["/" + n for n in os.listdir(mqueue_dir()) if n.startswith(prefix)]
    return sorted(found)
