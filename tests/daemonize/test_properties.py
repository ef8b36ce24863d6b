#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon that `fileserverd --daemonize` leaves running is a textbook
SysV daemon (daemon(7)), checked from outside through /proc."""

import fcntl
import os
import signal
import stat
import termios

from dmn_harness import (EXIT_OK, SAFE_PATH, DaemonTestCase, is_root, main, proc_cmdline, proc_environ, proc_fds,
                         proc_stat, proc_status, alive, flock_holders, is_locked, read_text, signal_set,
                         wait_until, WAIT)

HANDLED = {signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGUSR2}
GLIBC_INTERNAL = {32, 33}  # SIGCANCEL and SIGSETXID


class TextbookDaemon(DaemonTestCase):

    def hostile_launcher(self, master_slave, leaks):
        """A launching process with everything a daemon must not inherit: a
        controlling terminal, a restrictive umask, ignored and blocked
        signals, extra descriptors (@leaks), a polluted environment, a cwd."""
        _, slave = master_slave

        def pre():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            os.umask(0o077)
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGUSR2, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGUSR1, signal.SIGTERM})
        env = dict(os.environ)
        env.update({
            "FSTEST_SECRET": "s3cret",
            "LD_LIBRARY_PATH": "/nonexistent",
            "NOTIFY_SOCKET": "/nonexistent/notify",
            "LISTEN_FDS": "1",
            "LISTEN_PID": "1",
            "JOURNAL_STREAM": "1:1",
            "HOME": "/nonexistent",
            "LANG": "C.UTF-8",
            "LC_MESSAGES": "C",
            "TZ": "UTC",
            "PATH": "/nonexistent:" + os.environ.get("PATH", ""),
        })
        return dict(preexec=pre, stdin=slave, pass_fds=leaks, cwd=self.tmp, env=env)

    def test_textbook_daemon(self):
        data = b"hello from the daemon\n"
        self.write_file("hello.txt", data)
        try:
            master, slave = os.openpty()
        except OSError as e:
            self.skipTest(f"no pseudo-terminal: {e}")
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        leak_path = os.path.join(self.tmp, "leak")
        leak = os.open(leak_path, os.O_RDWR | os.O_CREAT, 0o600)
        self.addCleanup(os.close, leak)
        pr, pw = os.pipe()
        self.addCleanup(os.close, pr)
        self.addCleanup(os.close, pw)
        leaked = {(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (leak, pr, slave)}

        pid = self.start(**self.hostile_launcher((master, slave), (leak, pr, pw)))
        self.assertTrue(alive(pid))

        with self.subTest("process: orphaned, not a session leader, no terminal"):
            st = proc_stat(pid)
            # The launcher and the intermediate process are gone: the
            # daemon was adopted (by this test, a subreaper).
            self.assertEqual(st["ppid"], os.getpid())
            self.assertNotEqual(st["session"], pid, "the daemon leads its session")
            self.assertEqual(st["pgrp"], st["session"])
            self.assertFalse(alive(st["session"]), "the session leader (intermediate process) still runs")
            self.assertEqual(st["tty_nr"], 0, "the daemon has a controlling terminal")
            self.assertEqual(st["tpgid"], -1)

        with self.subTest("umask, cwd, root"):
            status = proc_status(pid)
            self.assertEqual(status["Umask"], "0000")
            self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), "/")
            self.assertEqual(os.readlink(f"/proc/{pid}/root"), "/")

        with self.subTest("signals: default dispositions but ours, nothing blocked"):
            status = proc_status(pid)
            self.assertEqual(int(status["SigBlk"], 16), 0, status["SigBlk"])
            self.assertEqual(int(status["SigPnd"], 16), 0)
            self.assertEqual(signal_set(status["SigIgn"], 65), {signal.SIGPIPE})
            self.assertEqual(signal_set(status["SigCgt"], 65) - GLIBC_INTERNAL, HANDLED)

        with self.subTest("uid, gid, groups"):
            status = proc_status(pid)
            # Those of whoever started it: no --user.
            self.assertEqual(status["Uid"].split(), [str(os.getuid())] * 4)
            self.assertEqual(status["Gid"].split(), [str(os.getgid())] * 4)
            self.assertEqual({int(g) for g in status["Groups"].split()}, set(os.getgroups()))

        with self.subTest("descriptors: 0-2 on /dev/null, nothing inherited"):
            null = os.stat("/dev/null")
            pidfile_id = (os.stat(self.pidfile).st_dev, os.stat(self.pidfile).st_ino)
            kinds = {"pidfile": [], "queue": [], "root": [], "pipe": [], "epoll": [], "other": []}
            for fd, (target, st) in sorted(proc_fds(pid).items()):
                self.assertNotIn((st.st_dev, st.st_ino), leaked, f"fd {fd} -> {target} was inherited")
                if fd <= 2:
                    self.assertTrue(stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev,
                                    f"fd {fd} -> {target}, not /dev/null")
                elif (st.st_dev, st.st_ino) == pidfile_id:
                    kinds["pidfile"].append(fd)
                    self.assertEqual(target, self.pidfile)
                elif target == self.queue:
                    kinds["queue"].append(fd)
                elif target == self.root:
                    kinds["root"].append(fd)
                elif target.startswith("pipe:"):
                    kinds["pipe"].append(target)
                elif target.startswith("socket:") or target in ("anon_inode:[eventfd]",
                                                                  "anon_inode:[timerfd]"):
                    # syslog, mq_notify's netlink, the loop's wake-up, the
                    # engine's quit event and sweep timer
                    kinds["other"].append(target)
                elif target == "anon_inode:[eventpoll]":
                    # the sessions' client pidfds; the transfer engine's queues
                    kinds["epoll"].append(fd)
                else:
                    self.fail(f"unexpected descriptor {fd} -> {target}")
            for k in ("pidfile", "root"):
                self.assertEqual(len(kinds[k]), 1, f"{k}: {kinds}")
            # The queue, and a blocking descriptor of it for the request receivers.
            self.assertEqual(len(kinds["queue"]), 2, f"queue: {kinds}")
            self.assertEqual(len(kinds["epoll"]), 2, f"epoll: {kinds}")
            # Only the signal pipe's two ends: the status pipe to the
            # launcher is closed.
            self.assertEqual(len(kinds["pipe"]), 2, kinds)
            self.assertEqual(len(set(kinds["pipe"])), 1, kinds)

        with self.subTest("environment: allow-list and a safe PATH"):
            env = dict(v.split("=", 1) for v in proc_environ(pid))
            self.assertEqual(env.pop("PATH"), SAFE_PATH)
            self.assertEqual(env.pop("LANG"), "C.UTF-8")
            self.assertEqual(env.pop("LC_MESSAGES"), "C")
            self.assertEqual(env.pop("TZ"), "UTC")
            allowed = {"LANGUAGE", "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}
            self.assertEqual({k for k in env if k not in allowed and not k.startswith("LC_")}, set(), env)

        with self.subTest("PID file: our PID, locked by the daemon"):
            self.assertEqual(read_text(self.pidfile), f"{pid}\n")
            self.assertEqual(stat.S_IMODE(os.stat(self.pidfile).st_mode), 0o644)
            self.assertTrue(is_locked(self.pidfile))
            self.assertEqual(flock_holders(self.pidfile), {pid})
            self.assertEqual(sorted(os.listdir(self.rundir)), ["fileserverd.pid"])

        with self.subTest("serving"):
            self.assert_pings()
            self.assert_serves("hello.txt", data)

        if self.syslog:
            with self.subTest("syslog: facility daemon, ident fileserverd[PID]"):
                line = self.syslog.wait_for(f"Serving {self.root} on queue {self.queue}")[0]
                self.assertTrue(line.startswith("<30>"), line)  # LOG_DAEMON | LOG_INFO
                self.assertIn(f" fileserverd[{pid}]: ", line)

        with self.subTest("SIGTERM: clean exit, PID file removed"):
            self.assertEqual(self.stop(pid), EXIT_OK)
            self.assertFalse(os.path.exists(self.pidfile))
            self.assertEqual(os.listdir(self.rundir), [])

    def test_umask_option(self):
        pid = self.start("--umask", "027")
        self.assertEqual(proc_status(pid)["Umask"], "0027")
        self.assert_pings()

    def test_no_pidfile(self):
        self.launch(pidfile=False, expect=EXIT_OK)
        pids = wait_until(lambda: [p for p in self.our_processes()
                                   if "--daemonize" in proc_cmdline(p)], WAIT, "the daemon")
        self.assertEqual(len(pids), 1)
        self.assert_pings()
        self.assertEqual(self.stop(pids[0]), EXIT_OK)

    def test_launcher_with_closed_std_fds(self):
        """Started with 0 and 1 closed, the status pipe must not land on
        them; the daemon gets /dev/null."""
        def pre():
            os.close(0)
            os.close(1)
        pid = self.start(preexec=pre, stdin=None, stdout=None)
        null = os.stat("/dev/null")
        fds = proc_fds(pid)
        for fd in (0, 1, 2):
            self.assertEqual(fds[fd][1].st_rdev, null.st_rdev, fds[fd][0])
        self.assert_pings()

    def test_chroot(self):
        if not is_root():
            self.skipTest("chroot needs root")
        jail = os.path.join(self.tmp, "jail")
        os.makedirs(os.path.join(jail, "srv"), 0o755)
        data = b"inside the jail\n"
        self.write_file("hello.txt", data, root=os.path.join(jail, "srv"))
        # The configuration file and the root are paths inside the chroot.
        self.write_config(path=os.path.join(jail, "cfg.json"), root="/srv")
        pid = self.start("--config", "/cfg.json", "--chroot", jail, config=False)
        self.assertEqual(os.readlink(f"/proc/{pid}/root"), jail)
        self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), jail)
        self.assertEqual(proc_stat(pid)["tty_nr"], 0)
        self.assert_serves("hello.txt", data)

        # SIGUSR2 cannot re-execute inside the chroot: the daemon says so
        # and keeps serving, same process.
        os.kill(pid, signal.SIGUSR2)
        if self.syslog:
            self.syslog.wait_for("not supported with --chroot")
        self.assert_serves("hello.txt", data)
        self.assertNotIn("--internal-reexec", proc_cmdline(pid))
        self.assertEqual(flock_holders(self.pidfile), {pid})

        # SIGHUP re-reads /cfg.json inside the chroot.
        os.makedirs(os.path.join(jail, "srv2"), 0o755)
        self.write_file("hello.txt", b"second\n", root=os.path.join(jail, "srv2"))
        self.write_config(path=os.path.join(jail, "cfg.json"), root="/srv2")
        os.kill(pid, signal.SIGHUP)
        wait_until(lambda: self.ctl("get", "hello.txt").out == b"second\n", WAIT, "the reload")

        # The PID file is outside of the chroot: the daemon cannot unlink
        # it, so it leaves it empty and unlocked, which reads as stale.
        self.assertEqual(self.stop(pid), EXIT_OK)
        self.assertFalse(os.path.exists(self.pidfile) and read_text(self.pidfile) != "")
        self.assertFalse(os.path.exists(self.pidfile) and is_locked(self.pidfile))


if __name__ == "__main__":
    main()
