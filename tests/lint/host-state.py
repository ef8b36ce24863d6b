#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Records, then compares, the state of the host's directories that a test
could change by mistake: /usr/local, /etc, /srv and /dev/mqueue. tests/run-all.sh
takes a snapshot before the first test and compares after the last: the
suite must leave the machine as it found it (issue 13).

Each entry: path, type, mode, owner, group, size, mtime (nanoseconds; not
for directories, whose entries are compared instead), and for a symbolic
link its target. Nothing is excluded: a path that changes outside the
tests' control would need an exclusion here, with its reason.

Usage: host-state.py snapshot FILE [DIR...]
       host-state.py compare FILE     (exit 1 and the differences if any)
"""

import json
import os
import stat
import sys

DIRS = ["/usr/local", "/etc", "/srv", "/dev/mqueue"]


def describe(path):
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    entry = {
        "type": {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link", stat.S_IFIFO: "fifo",
                 stat.S_IFSOCK: "socket", stat.S_IFCHR: "char", stat.S_IFBLK: "block"}.get(kind, "?"),
        "mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid,
        "size": st.st_size if kind != stat.S_IFDIR else None,
        # A directory's mtime only says that an entry came and went (every
        # test creates and removes queues in /dev/mqueue): its entries are
        # compared one by one instead.
        "mtime": st.st_mtime_ns if kind != stat.S_IFDIR else None,
    }
    if kind == stat.S_IFLNK:
        entry["target"] = os.readlink(path)
    return entry


def snapshot(dirs):
    state = {}
    for top in dirs:
        if not os.path.lexists(top):
            state[top] = {"type": "absent"}
            continue
        state[top] = describe(top)
        if os.path.islink(top):
            continue
        for root, subdirs, files in os.walk(top, onerror=lambda e: None):
            for name in subdirs + files:
                path = os.path.join(root, name)
                try:
                    state[path] = describe(path)
                except FileNotFoundError:
                    pass  # gone while we looked
    return state


def compare(old, new):
    """Lines describing what differs, sorted by path."""
    out = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if a == b:
            continue
        if a is None or a.get("type") == "absent":
            out.append(f"added:   {path} ({b['type']})")
        elif b is None or b.get("type") == "absent":
            out.append(f"removed: {path} ({a['type']})")
        else:
            changes = ", ".join(f"{k} {a.get(k)} -> {b.get(k)}" for k in sorted(set(a) | set(b))
                                if a.get(k) != b.get(k))
            out.append(f"changed: {path}: {changes}")
    return out


def main(argv):
    if len(argv) >= 3 and argv[1] == "snapshot":
        with open(argv[2], "w") as f:
            json.dump({"dirs": argv[3:] or DIRS, "state": snapshot(argv[3:] or DIRS)}, f)
        return 0
    if len(argv) == 3 and argv[1] == "compare":
        with open(argv[2]) as f:
            before = json.load(f)
        diff = compare(before["state"], snapshot(before["dirs"]))
        for line in diff:
            print(line)
        if diff:
            print(f"host-state: {len(diff)} difference(s) under {' '.join(before['dirs'])} since the snapshot")
            return 1
        print(f"host-state: nothing changed under {' '.join(before['dirs'])}")
        return 0
    print(__doc__.split("Usage:")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
