#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Command lines and configuration: usage errors (exit 2), invalid
configuration (exit 6), --check-config, --help and --version."""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import DEXIT_BAD_CONFIG, DEXIT_USAGE, EXIT_USAGE  # noqa: E402


class DaemonConfigTest(harness.FileserverTestCase):

    def test_check_config_prints_json(self):
        config = self.make_config(workers=3, max_transfers=100, backlog=7, log_level="warning",
                                  send_timeout_ms=1234, shutdown_timeout_ms=4321, queue_max_messages=5,
                                  queue_message_size=8192)
        path = self.write_config(config)
        r = self.run_daemon("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, r)
        got = json.loads(r.stdout)
        for key, value in config.items():
            self.assertEqual(got.get(key), value, f"{key} in {got}")
        self.assertFalse(harness.queue_exists(config["queue"]), "--check-config must not create the queue")

    def test_check_config_applies_command_line_overrides(self):
        other = os.path.join(self.tmp, "other-root")
        os.mkdir(other)
        config = self.make_config()
        path = self.write_config(config)
        q = harness.unique_queue_name("override")
        r = self.run_daemon("--config", path, "--root", other, "--queue", q, "--workers", "9",
                            "--log-level", "debug", "--check-config")
        self.assertEqual(r.returncode, 0, r)
        got = json.loads(r.stdout)
        self.assertEqual((got["root"], got["queue"], got["workers"], got["log_level"]),
                         (other, q, 9, "debug"))
        self.assertEqual(got["send_timeout_ms"], config["send_timeout_ms"])
        self.assertFalse(harness.queue_exists(q))

    def test_invalid_configurations(self):
        base = self.make_config()
        cases = {
            "not json": "{ this is not json",
            "empty file": "",
            "top level array": "[1, 2]",
            "unknown key": dict(base, colour="blue"),
            "workers zero": dict(base, workers=0),
            "workers string": dict(base, workers="four"),
            "negative timeout": dict(base, send_timeout_ms=-5),
            "message size too small": dict(base, queue_message_size=4415),
            "relative root": dict(base, root="relative/dir"),
            "missing root": dict(base, root=os.path.join(self.tmp, "does-not-exist")),
            "bad log level": dict(base, log_level="loud"),
            "queue without slash": dict(base, queue="noslash"),
            "queue with two slashes": dict(base, queue="/a/b"),
        }
        for what, content in cases.items():
            with self.subTest(case=what):
                path = self.write_config(content, name="bad.json")
                for extra in ([], ["--check-config"]):
                    r = self.run_daemon("--config", path, *extra)
                    self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, f"{what} {extra}: {r}")
                    self.assertTrue(r.stderr.strip(), f"{what}: no message")
                    self.assertEqual(r.stdout, b"")
                self.assertFalse(harness.queue_exists(base["queue"]), f"{what}: queue created")

    def test_max_transfers_bounds(self):
        # 1..65536; the default (1024) when the key is absent.
        for value in (1, 65536, None):
            with self.subTest(max_transfers=value):
                config = self.make_config() if value is None else self.make_config(max_transfers=value)
                r = self.run_daemon("--config", self.write_config(config), "--check-config")
                self.assertEqual(r.returncode, 0, r)
                self.assertEqual(json.loads(r.stdout)["max_transfers"], 1024 if value is None else value)
        for value in (0, 65537, -1, 2 ** 64, "8", 8.5):
            with self.subTest(max_transfers=value):
                path = self.write_config(self.make_config(max_transfers=value), name="bad.json")
                r = self.run_daemon("--config", path, "--check-config")
                self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
                self.assertIn("max_transfers", r.err)
                self.assertEqual(r.stdout, b"")

    def test_invalid_queue_on_command_line(self):
        path = self.write_config(self.make_config())
        for q in ("noslash", "/a/b", "/", "/" + "q" * 300):
            with self.subTest(queue=q[:20]):
                r = self.run_daemon("--config", path, "--queue", q)
                self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
                self.assertTrue(r.stderr.strip())

    def test_queue_above_system_limits(self):
        with open("/proc/self/status") as f:
            capeff = int(next(l for l in f if l.startswith("CapEff:")).split()[1], 16)
        if capeff & (1 << 24):  # CAP_SYS_RESOURCE lifts the limits
            self.skipTest("CAP_SYS_RESOURCE lifts the mqueue limits")
        with open("/proc/sys/fs/mqueue/msg_max") as f:
            msg_max = int(f.read())
        with open("/proc/sys/fs/mqueue/msgsize_max") as f:
            msgsize_max = int(f.read())
        for what, over in [("messages", dict(queue_max_messages=msg_max + 1)),
                           ("message size", dict(queue_message_size=max(msgsize_max + 1, 4416)))]:
            with self.subTest(what=what):
                config = self.make_config(**over)
                if config["queue_max_messages"] * config["queue_message_size"] > 16 * 1024 * 1024:
                    self.skipTest("system limits too high to exceed cheaply")
                self.addCleanup(harness.mq_unlink, config["queue"])
                r = self.run_daemon("--config", self.write_config(config))
                self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
                self.assertIn("limit", r.err.lower())
                self.assertFalse(harness.queue_exists(config["queue"]))

    def test_invalid_config_message_names_the_key(self):
        path = self.write_config(dict(self.make_config(), colour="blue"))
        r = self.run_daemon("--config", path)
        self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
        self.assertIn("colour", r.err)

    def test_missing_config_file(self):
        r = self.run_daemon("--config", os.path.join(self.tmp, "nope.json"), "--check-config")
        self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
        self.assertIn("nope.json", r.err)

    def test_invalid_value_on_command_line(self):
        path = self.write_config(self.make_config())
        r = self.run_daemon("--config", path, "--log-level", "loud", "--check-config")
        self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)
        r = self.run_daemon("--config", path, "--workers", "0", "--check-config")
        self.assertEqual(r.returncode, DEXIT_BAD_CONFIG, r)


class UsageTest(harness.FileserverTestCase):

    def test_daemon_usage_errors(self):
        path = os.path.join(self.tmp, "config.json")
        with open(path, "w") as f:
            json.dump(self.make_config(), f)
        for args in (["--bogus"], ["-x"], ["extra-argument"], ["--workers", "abc"], ["--workers"],
                     ["--config"], ["--config", path, "serve"], ["--workers=-1"]):
            with self.subTest(args=args):
                r = self.run_daemon(*args)
                self.assertEqual(r.returncode, DEXIT_USAGE, r)
                self.assertTrue(r.stderr.strip(), r)
                self.assertEqual(r.stdout, b"")

    def test_daemon_help_and_version(self):
        r = self.run_daemon("--help")
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("Usage", r.out)
        self.assertIn("--check-config", r.out)
        r = self.run_daemon("--version")
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(r.out.startswith("fileserverd "), r)

    def test_client_usage_errors(self):
        # No server is needed, and none is contacted.
        self.queue = harness.unique_queue_name("nobody")
        target = os.path.join(self.out_dir, "never")
        cases = [
            [], ["--bogus", "ping"], ["frobnicate"], ["get"], ["get", "a", "b"], ["stat"],
            ["stat", "a", "b"], ["ls", "a", "b"], ["ping", "extra"],
            ["--timeout", "0", "ping"], ["--timeout", "abc", "ping"], ["--timeout", "-1", "ping"],
            ["--timeout"], ["--queue"],
            ["get", "x", "--offset", "-1"], ["get", "x", "--offset", "abc"],
            ["get", "x", "--length", "1x"], ["get", "x", "--length", ""],
            ["get", "x", "--offset", "99999999999999999999999"],
            ["get", "x", "-o"], ["get", "x", "--bogus"],
            ["stat", "x", "-o", target], ["ls", "--offset", "3"], ["ping", "--length", "1"],
            ["get", "a", "b", "-o", target],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = self.ctl(*args)
                self.assert_exit(r, EXIT_USAGE)
                self.assertEqual(r.stdout, b"")
        self.assertEqual(os.listdir(self.out_dir), [])

    def test_client_help_and_version(self):
        r = self.assert_ok(self.ctl("--help", raw_args=True))
        self.assertIn("Usage", r.out)
        for word in ("get", "stat", "ls", "ping"):
            self.assertIn(word, r.out)
        r = self.assert_ok(self.ctl("--version", raw_args=True))
        self.assertTrue(r.out.startswith("fileserverctl "), r)


if __name__ == "__main__":
    harness.main()
