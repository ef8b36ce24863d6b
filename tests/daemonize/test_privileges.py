#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--user and --group: the daemon switches (initgroups, setgid, setuid) once
its PID file and queue are open, for good."""

import grp
import os
import pwd
import signal
import stat
import unittest

from dmn_harness import (EXIT_OK, WAIT, DaemonTestCase, alive, flock_holders, is_locked, is_root, main,
                         proc_cmdline, proc_fds, proc_status, read_text, wait_until)


class Privileges(DaemonTestCase):

    def setUp(self):
        if not is_root():
            raise unittest.SkipTest("switching users needs root")
        try:
            self.nobody = pwd.getpwnam("nobody")
        except KeyError:
            raise unittest.SkipTest("no user 'nobody'")
        super().setUp()

    def assert_runs_as(self, pid, uid, gid, user):
        status = proc_status(pid)
        self.assertEqual(status["Uid"].split(), [str(uid)] * 4)
        self.assertEqual(status["Gid"].split(), [str(gid)] * 4)
        self.assertEqual({int(g) for g in status["Groups"].split()}, set(os.getgrouplist(user, gid)))
        # No capability left: root cannot come back.
        self.assertEqual(int(status["CapEff"], 16), 0)
        self.assertEqual(int(status["CapPrm"], 16), 0)

    def test_user_nobody(self):
        nobody = self.nobody
        # A directory where nobody may remove its PID file.
        os.chown(self.rundir, nobody.pw_uid, nobody.pw_gid)
        public = b"for everyone\n"
        self.write_file("public.txt", public, 0o644)
        self.write_file("secret.txt", b"root only\n", 0o600)

        pid = self.start("--user", "nobody")
        self.assert_runs_as(pid, nobody.pw_uid, nobody.pw_gid, "nobody")
        # Opened before the switch: the PID file and the queue are root's.
        self.assertEqual(os.stat(self.pidfile).st_uid, 0)
        self.assertEqual(read_text(self.pidfile), f"{pid}\n")
        self.assertEqual(flock_holders(self.pidfile), {pid})
        fds = proc_fds(pid)
        # The queue, and a blocking descriptor of it for the request
        # receivers, opened again before the switch too.
        queue_fds = [st for target, st in fds.values() if target == self.queue]
        self.assertEqual(len(queue_fds), 2)
        self.assertEqual({(st.st_ino, st.st_uid) for st in queue_fds}, {(queue_fds[0].st_ino, 0)})
        if self.syslog:
            self.syslog.wait_for(f"Running as user nobody (uid {nobody.pw_uid}, gid {nobody.pw_gid})")

        # It serves what nobody may read, and only that.
        self.assert_serves("public.txt", public)
        r = self.ctl("get", "secret.txt")
        self.assertNotEqual(r.returncode, 0, "served a file that nobody cannot read")
        self.assertEqual(r.out, b"")

        # SIGHUP, as nobody: the configuration file is readable by all.
        root2 = os.path.join(self.tmp, "root2")
        os.mkdir(root2, 0o755)
        self.write_file("public.txt", b"reloaded\n", 0o644, root=root2)
        self.write_config(root=root2)
        os.kill(pid, signal.SIGHUP)
        wait_until(lambda: self.ctl("get", "public.txt").out == b"reloaded\n", WAIT, "the reload")

        # SIGUSR2, as nobody: the new image adopts what it could not open.
        os.kill(pid, signal.SIGUSR2)
        wait_until(lambda: "--internal-reexec" in proc_cmdline(pid), WAIT, "the re-exec")
        self.assert_serves("public.txt", b"reloaded\n")
        self.assertTrue(alive(pid))
        self.assert_runs_as(pid, nobody.pw_uid, nobody.pw_gid, "nobody")
        self.assertEqual(flock_holders(self.pidfile), {pid})

        self.assertEqual(self.stop(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile))

    def test_pidfile_in_a_directory_nobody_cannot_write(self):
        """The daemon cannot unlink its PID file once it is nobody: it leaves
        it empty and unlocked, i.e. stale, and the next start takes it over."""
        self.assertEqual(stat.S_IMODE(os.stat(self.rundir).st_mode), 0o755)
        first = self.start("--user", "nobody")
        self.assertEqual(self.stop(first), EXIT_OK)
        self.assertEqual(read_text(self.pidfile), "")
        self.assertFalse(is_locked(self.pidfile))
        second = self.start("--user", "nobody")
        self.assertEqual(read_text(self.pidfile), f"{second}\n")
        self.assertEqual(flock_holders(self.pidfile), {second})
        self.assert_pings()

    def test_group_option(self):
        try:
            group = grp.getgrnam("daemon")
        except KeyError:
            raise unittest.SkipTest("no group 'daemon'")
        pid = self.start("--user", "nobody", "--group", "daemon")
        self.assert_runs_as(pid, self.nobody.pw_uid, group.gr_gid, "nobody")
        self.assert_pings()

    def test_numeric_user(self):
        pid = self.start("--user", str(self.nobody.pw_uid))
        self.assert_runs_as(pid, self.nobody.pw_uid, self.nobody.pw_gid, "nobody")
        self.assert_pings()


if __name__ == "__main__":
    main()
