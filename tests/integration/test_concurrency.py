#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""8 clients at once, each fetching a different large file."""

import os
import signal
import subprocess
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import MiB  # noqa: E402

CLIENTS = 8


class ConcurrencyTest(harness.FileserverTestCase):

    # Eight reply queues of 10 x msgsize_max use most of a uid's
    # RLIMIT_MSGQUEUE budget (819200 bytes): a private uid has a budget of
    # its own. (Without CAP_SETUID the clients share ours and shrink their
    # queues under pressure, which test_budget shows to be harmless.)
    PRIVATE_UID = True

    def setUp(self):
        super().setUp()
        self.files = {}
        for i in range(CLIENTS):
            # Different sizes, none a multiple of a chunk.
            self.files[f"file{i}.bin"] = self.random_file(f"file{i}.bin", 3 * MiB + 7919 * i + 1)
        self.start_daemon(workers=4, send_timeout_ms=10000)

    def run_concurrently(self, use_output_file, simultaneous=False):
        if simultaneous:
            # OPENs pile up in the server queue while the server is
            # stopped; it then finds all eight at once.
            self.wait_server_queue_empty()
            harness.stop_process(self.daemon.proc.pid)
        procs = []
        for i, name in enumerate(sorted(self.files)):
            args = ["--timeout", "30", "get", name]
            target = None
            if use_output_file(i):
                target = os.path.join(self.out_dir, f"copy-{name}")
                args += ["-o", target]
            procs.append((name, target, self.spawn_ctl(*args)))

        if simultaneous:
            def all_sent():
                expected = 0
                for name, _, p in procs:
                    queues = harness.client_queues(p.pid)
                    if not queues:
                        return False
                    # An OPEN: the 64-byte header and the reply queue name.
                    expected += 64 + len(queues[0])
                return harness.queue_qsize(self.queue) >= expected
            harness.wait_until(all_sent, 30, "all requests in the server queue")
            self.daemon.send_signal(signal.SIGCONT)

        results = {}

        def collect(name, p):
            try:
                results[name] = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                results[name] = (b"", b"timed out")

        threads = [threading.Thread(target=collect, args=(name, p)) for name, _, p in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        for name, target, p in procs:
            out, err = results[name]
            with self.subTest(file=name, output=target):
                self.assertEqual(p.returncode, 0, f"get {name}: {err!r}")
                if target:
                    self.assertEqual(out, b"")
                    got = harness.file_sha256(target)
                else:
                    self.assertEqual(len(out), len(self.files[name]))
                    got = harness.sha256(out)
                self.assertEqual(got, harness.sha256(self.files[name]), f"content of {name}")
                self.assertEqual(harness.client_queues(p.pid), [])
        self.assertEqual([n for n in os.listdir(self.out_dir) if n.startswith(".")], [],
                         "temporary files left behind")

    def test_eight_clients_to_stdout_and_files(self):
        self.run_concurrently(lambda i: i % 2 == 1)
        # The server is still fine afterwards.
        self.assert_ok(self.ctl("ping"))

    def test_eight_clients_at_once(self):
        self.run_concurrently(lambda i: i >= 6, simultaneous=True)
        self.assert_ok(self.ctl("ping"))


if __name__ == "__main__":
    harness.main()
