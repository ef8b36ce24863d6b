#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fails if an #include "..." goes up a layer (docs/coding-style.md).

Layers, lowest first: util < protocol < {server, client} < {launcher, cli}.
A file may include its own layer and the layers below; server and client
never include each other, nor do launcher and cli. Files directly in src/
(the doctest main), bench/ and fuzz/ may include anything except a file that
defines main() (the two programs' main files are not part of the library).

Usage: check-layers.py [TOP]   (default: the tree this script is in)
Prints one line per bad include; exits 1 if there is any, 0 otherwise.
"""

import os
import re
import sys

RANK = {"util": 0, "protocol": 1, "server": 2, "client": 2, "launcher": 3, "libclient": 3, "cli": 3}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
MAIN = re.compile(r"^\s*int\s+main\s*\(", re.M)
EXTENSIONS = (".cpp", ".h", ".hpp", ".cc")


def layer_of(top, path):
    """The layer of @path (absolute), or None outside src/<layer>/."""
    rel = os.path.relpath(path, os.path.join(top, "src")).split(os.sep)
    if len(rel) > 1 and rel[0] in RANK:
        return rel[0]
    return None


def resolve(top, including, name):
    """The file an #include "name" in @including means: beside the including
    file first, as the compiler looks, then under src/; None if neither
    (a generated header such as build-config.h, or a system one)."""
    for base in (os.path.dirname(including), os.path.join(top, "src")):
        candidate = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(candidate):
            return candidate
    return None


def sources(top):
    for area in ("src", "bench", "fuzz"):
        for root, _dirs, files in os.walk(os.path.join(top, area)):
            for f in files:
                if f.endswith(EXTENSIONS):
                    yield os.path.join(root, f)


def allowed(src_layer, dst_layer):
    if src_layer is None or dst_layer is None or src_layer == dst_layer:
        return True
    return RANK[dst_layer] < RANK[src_layer]


def check(top):
    """The list of problems, as printable lines."""
    top = os.path.abspath(top)
    problems = []
    for path in sorted(sources(top)):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        src_layer = layer_of(top, path)
        for m in INCLUDE.finditer(text):
            target = resolve(top, path, m.group(1))
            if target is None:
                continue
            line = text.count("\n", 0, m.start()) + 1
            where = f"{os.path.relpath(path, top)}:{line}: #include \"{m.group(1)}\""
            dst_layer = layer_of(top, target)
            with open(target, encoding="utf-8", errors="replace") as f:
                is_main = MAIN.search(f.read()) is not None
            if is_main:
                problems.append(f"{where}: includes a file that defines main()")
            elif not allowed(src_layer, dst_layer):
                problems.append(f"{where}: {src_layer} may not include {dst_layer} "
                                "(util < protocol < server, client < launcher, cli)")
    return problems


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    problems = check(top)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} include(s) going up a layer")
        return 1
    print("check-layers: every include goes down a layer or stays in its own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
