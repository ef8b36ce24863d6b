#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The launching process exits 0 only once the daemon serves; otherwise it
prints the daemon's error and exits with its code, and nothing is left
running."""

import os
import re

from dmn_harness import (EXIT_FAILURE, EXIT_NOT_CONFIGURED, EXIT_OK, EXIT_PERMISSION, EXIT_USAGE, WAIT,
                         DaemonTestCase, alive, flock_holders, is_locked, main, mq_open, mq_unlink, read_text,
                         wait_exit, wait_until)


class StartupFailures(DaemonTestCase):

    def assert_failed(self, r, code, *patterns):
        """The launcher exited with @code and printed each of @patterns, and
        left nothing behind: no daemon, no PID file."""
        self.assertEqual(r.returncode, code, r)
        self.assertTrue(r.stderr.startswith("fileserverd: "), r)
        for p in patterns:
            self.assertRegex(r.stderr, p, r)
        self.assertEqual(r.stdout, "", r)
        self.assert_no_daemon_left()
        self.assertFalse(os.path.exists(self.pidfile), "PID file left behind")

    def test_invalid_json(self):
        with open(self.config_path, "w") as f:
            f.write("{ not json")
        self.assert_failed(self.launch(), EXIT_NOT_CONFIGURED, "configuration error", "invalid JSON")

    def test_invalid_setting(self):
        self.write_config(workers=0)
        self.assert_failed(self.launch(), EXIT_NOT_CONFIGURED, "configuration error", '"workers"')

    def test_missing_config_file(self):
        os.unlink(self.config_path)
        self.assert_failed(self.launch(), EXIT_NOT_CONFIGURED, "configuration error",
                           re.escape(self.config_path) + ": cannot read")

    def test_missing_root(self):
        self.write_config(root=os.path.join(self.tmp, "no-such-root"))
        self.assert_failed(self.launch(), EXIT_NOT_CONFIGURED, "cannot open root directory .*no-such-root")

    def test_unknown_user(self):
        self.assert_failed(self.launch("--user", "fstest-no-such-user"), EXIT_NOT_CONFIGURED,
                           "unknown user 'fstest-no-such-user'")

    def test_unknown_group(self):
        self.assert_failed(self.launch("--user", "root", "--group", "fstest-no-such-group"),
                           EXIT_NOT_CONFIGURED, "unknown group 'fstest-no-such-group'")

    def test_missing_chroot(self):
        self.assert_failed(self.launch("--chroot", os.path.join(self.tmp, "no-jail")), EXIT_NOT_CONFIGURED,
                           "cannot chroot to .*no-jail")

    def test_unsafe_queue(self):
        # A queue that others could read: refused (4).
        mqd = mq_open(self.queue, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.fchmod(mqd, 0o644)
        os.close(mqd)
        self.assert_failed(self.launch(), EXIT_PERMISSION, "others could read requests")

    def test_pidfile_directory_missing(self):
        self.pidfile = os.path.join(self.tmp, "no-such-dir", "x.pid")
        self.assert_failed(self.launch(), EXIT_FAILURE, "cannot create PID file .*no-such-dir")

    def test_pidfile_symlink(self):
        target = os.path.join(self.tmp, "target")
        open(target, "w").close()
        os.symlink(target, self.pidfile)
        r = self.launch()
        self.assertEqual(r.returncode, EXIT_FAILURE, r)
        self.assertIn("is a symbolic link", r.stderr)
        self.assert_no_daemon_left()
        self.assertEqual(read_text(target), "")

    def test_already_running(self):
        first = self.start()
        r = self.launch()
        self.assertEqual(r.returncode, EXIT_FAILURE, r)
        self.assertIn(f"already running (pid {first})", r.stderr)
        self.assertEqual(r.stdout, "")
        # The refused instance is gone; the first one still serves, with
        # its PID file and lock untouched.
        wait_until_only(self, first)
        self.assertEqual(read_text(self.pidfile), f"{first}\n")
        self.assertEqual(flock_holders(self.pidfile), {first})
        self.assert_pings()
        # Also with another queue: the PID file decides.
        self.write_config(queue=self.queue + "-other")
        self.addCleanup(mq_unlink, self.queue + "-other")
        r = self.launch()
        self.assertEqual(r.returncode, EXIT_FAILURE, r)
        self.assertIn(f"already running (pid {first})", r.stderr)
        wait_until_only(self, first)

    def test_startup_timeout(self):
        """A daemon that hangs in start-up (its configuration file is a FIFO
        nobody writes) is killed when the launcher gives up."""
        os.unlink(self.config_path)
        os.mkfifo(self.config_path)
        r = self.launch("--startup-timeout", "2")
        self.assertEqual(r.returncode, EXIT_FAILURE, r)
        m = re.search(r"did not finish starting within 2 s; killed it \(pid (\d+)\)", r.stderr)
        self.assertTrue(m, r)
        pid = int(m.group(1))
        self.assertIn(wait_exit(pid), (-9, None))
        self.assert_no_daemon_left()

    def test_usage_errors(self):
        for args, message in [
            (("--pidfile", self.pidfile), "--pidfile needs --daemonize"),
            (("--user", "nobody"), "--user needs --daemonize"),
            (("--chroot", self.tmp), "--chroot needs --daemonize"),
            (("--daemonize", "--group", "nogroup"), "--group needs --user"),
            (("--daemonize", "--umask", "8"), "--umask: not an octal number"),
            (("--daemonize", "--umask", "01000"), "--umask"),
            (("--daemonize", "--startup-timeout", "0"), "--startup-timeout"),
            (("--daemonize", "extra"), "unexpected argument 'extra'"),
        ]:
            with self.subTest(args=args):
                r = self.launch(*args, config=False, pidfile=False, daemonize=False)
                self.assertEqual(r.returncode, EXIT_USAGE, r)
                self.assertIn(message, r.stderr)
                self.assert_no_daemon_left()

    def test_check_config_does_not_fork(self):
        r = self.launch("--check-config", pidfile=False)
        self.assertEqual(r.returncode, EXIT_OK, r)
        self.assertIn(f'"queue": "{self.queue}"', r.stdout)
        self.assert_no_daemon_left()


def wait_until_only(tc, pid):
    """Every process of the test but @pid exits."""
    wait_until(lambda: tc.our_processes() == [pid], WAIT, f"only the daemon {pid} to remain")
    tc.assertTrue(alive(pid))
    tc.assertTrue(is_locked(tc.pidfile))


if __name__ == "__main__":
    main()
