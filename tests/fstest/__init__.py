# SPDX-License-Identifier: MIT
"""Shared code of fileserver's Python tests (stdlib only).

- mqueue: ctypes wrappers of the POSIX message queue calls and the mqueue
  file system (where queues show their size and notification owner);
- wire: the wire format of docs/protocol.md (src/protocol/wire.h), encoder
  and decoder, for tests that must send what fileserverctl never does and
  for the fuzzers' seed corpora;
- proc: processes, waiting for states, uids to run clients as.

The test harnesses (tests/integration/harness.py,
tests/daemonize/dmn_harness.py) and fuzz/make-seeds.py import it; meson sets
PYTHONPATH to tests/, and each of them also puts tests/ on sys.path so they
run by hand from any directory.
"""
