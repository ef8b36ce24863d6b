# SPDX-License-Identifier: MIT
"""Processes: waiting for a state, /proc, uids to run programs as."""

import glob
import os
import secrets
import shutil
import subprocess
import sys
import time


def wait_until(predicate, timeout, what, interval=0.01):
    """Polls @predicate until it is true and returns its value; fails the
    test (AssertionError) after @timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def is_root():
    return os.geteuid() == 0


def read_text(path):
    with open(path) as f:
        return f.read()


def proc_stat(pid):
    """state, ppid, pgrp, session, tty_nr, tpgid of /proc/PID/stat."""
    text = read_text(f"/proc/{pid}/stat")
    rest = text[text.rindex(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "pgrp": int(rest[2]), "session": int(rest[3]),
            "tty_nr": int(rest[4]), "tpgid": int(rest[5])}


def alive(pid):
    """True for a process that exists and is not a zombie."""
    try:
        return proc_stat(pid)["state"] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False


def processes_naming(marker):
    """PIDs of the live processes (other than us) whose command line contains @marker."""
    out = []
    me = os.getpid()
    for d in glob.glob("/proc/[0-9]*"):
        pid = int(d[6:])
        if pid == me:
            continue
        try:
            with open(f"{d}/cmdline", "rb") as f:
                if marker.encode() in f.read() and alive(pid):
                    out.append(pid)
        except OSError:
            pass
    return out


def pick_private_uid(binaries):
    """A random uid nobody uses, if this process may run each of @binaries
    as it (it needs CAP_SETUID, and the build tree must be readable by
    others); else None."""
    uid = 1_000_000_000 + secrets.randbelow(3_000_000_000)
    try:
        for binary in binaries:
            subprocess.run([binary, "--version"], user=uid, group=uid, extra_groups=[],
                           check=True, timeout=30, stdout=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return uid


def python_for_uid(uid):
    """A Python interpreter that @uid may run (a pyenv under /root is not)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3")):
        if not candidate:
            continue
        try:
            subprocess.run([candidate, "-c", "pass"], user=uid, group=uid, extra_groups=[],
                           check=True, timeout=30)
            return candidate
        except (OSError, subprocess.SubprocessError):
            continue
    return None
