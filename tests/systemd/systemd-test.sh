#!/bin/bash
# SPDX-License-Identifier: MIT
#
# End-to-end test of the systemd integration (units/): installs the build
# into a temporary DESTDIR, boots a real systemd in a container
# (systemd-nspawn --volatile=yes: the host's /usr read-only, a fresh tmpfs for
# the rest) with that installation bound onto its /usr/local, and drives
# fileserver.service, fileserver.socket and fileserver@.service there with
# real clients run inside the container. Nothing is installed on the host.
#
# Usage: systemd-test.sh [BUILDDIR]   (or $FILESERVER_BUILD_DIR)
# The build dir must be configured with --prefix=/usr/local (the default).
# Needs root and systemd-nspawn (package systemd-container); otherwise exits
# 77 (skipped). Prints one PASS/FAIL line per check; exits 1 if any failed.

set -u
# shellcheck source=../lib/container.sh
. "$(dirname "$0")/../lib/container.sh"

builddir=${1:-${FILESERVER_BUILD_DIR:-}}
container_requirements
[ -n "$builddir" ] || die "no build directory given (argument or \$FILESERVER_BUILD_DIR)"
[ -f "$builddir/build.ninja" ] || die "$builddir is not a meson build directory"
MESON=${MESON:-meson}
command -v "$MESON" >/dev/null || die "meson not found"

prefix=$("$MESON" introspect --buildoptions "$builddir" |
	/usr/bin/python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))') ||
	die "cannot read the build's prefix"
[ "$prefix" = /usr/local ] ||
	skip "the build dir's prefix is $prefix; this test binds the installation onto the container's /usr/local and needs --prefix=/usr/local"

container_init systemd
confdir=$prefix/etc/fileserver # where the daemon looks (sysconfdir/fileserver)

# ---------------------------------------------------------------------------
# Install and prepare

umask 022
inst=$tmp/inst
say "== installing $builddir into $inst (DESTDIR)"
DESTDIR=$inst "$MESON" install -C "$builddir" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; die "meson install failed"; }
unitdir=$prefix/lib/systemd/system
for f in "$prefix/sbin/fileserverd" "$prefix/bin/fileserverctl" "$unitdir/fileserver.service" \
	"$unitdir/fileserver.socket" "$unitdir/fileserver@.service" "$prefix/lib/sysusers.d/fileserver.conf" \
	"$confdir/fileserver.json"; do
	[ -e "$inst$f" ] || die "meson install did not install $f"
done

# Served trees, bound read-only to /srv in the container.
srv=$tmp/srv
mkdir -p "$srv/fileserver" "$srv/alt" "$srv/a" "$srv/b"
printf 'hello from the default root\n' >"$srv/fileserver/hello.txt"
printf 'hello from the alternative root\n' >"$srv/alt/hello.txt"
head -c 3000000 /dev/urandom >"$srv/fileserver/random.bin"
head -c $((24 * 1024 * 1024)) /dev/urandom >"$srv/fileserver/big.bin"
printf 'instance a\n' >"$srv/a/id.txt"; printf 'only in a\n' >"$srv/a/only-a.txt"
printf 'instance b\n' >"$srv/b/id.txt"
chmod -R a+rX "$srv"; chmod 0755 "$tmp"

# Configuration files, bound (read-write for us, read-only for the service
# through ProtectSystem=strict) to sysconfdir/fileserver in the container,
# over the installed one.
conf=$tmp/conf
mkdir -p "$conf"
write_conf() { printf '%s\n' "$2" >"$conf/$1.tmp" && mv "$conf/$1.tmp" "$conf/$1"; }
conf_default='{ "root": "/srv/fileserver", "shutdown_timeout_ms": 20000, "log_level": "info" }'
write_conf fileserver.json "$conf_default"
write_conf a.json '{ "root": "/srv/a" }'
write_conf b.json '{ "root": "/srv/b" }'
chmod -R a+rX "$conf"

# The first boot with an empty /etc applies the presets, and Debian's enable
# everything: fileserver.socket and fileserver.service would start at boot.
# The checks start from stopped units instead.
printf 'disable fileserver.service\ndisable fileserver.socket\ndisable fileserver@.service\n' >"$tmp/fileserver-test.preset"

# ---------------------------------------------------------------------------
# Boot

container_boot --bind-ro="$inst$prefix:$prefix" --bind="$conf:$confdir" --bind-ro="$srv:/srv" \
	--bind-ro="$tmp/fileserver-test.preset:/etc/systemd/system-preset/00-fileserver-test.preset"

# The shared library's directory in the dynamic linker's cache, as a
# package's ldconfig trigger would do: the container's fresh /etc has no
# ld.so.conf naming it.
lib=$(find "$inst$prefix" -name 'libfileserver-client.so.0' -print -quit)
[ -n "$lib" ] || die "libfileserver-client.so.0 is not in the installation"
ct ldconfig "$(dirname "${lib#"$inst"}")" || die "ldconfig failed"

# The service user, as a package's postinst would create it.
ct systemd-sysusers "$prefix/lib/sysusers.d/fileserver.conf" || die "systemd-sysusers failed"
ct getent passwd fileserver >/dev/null || die "systemd-sysusers did not create the user fileserver"

# A short watchdog keeps the watchdog check quick; no start rate limit, as the
# checks start and stop the service often.
ct mkdir -p /etc/systemd/system/fileserver.service.d
ct sh -c 'cat >/etc/systemd/system/fileserver.service.d/50-test.conf' <<'EOF'
[Unit]
StartLimitIntervalSec=0
[Service]
WatchdogSec=2s
TimeoutAbortSec=3s
RestartSec=200ms
EOF
ctl daemon-reload || die "daemon-reload failed"

fsctl() { ct fileserverctl --timeout 5 "$@"; }
# Who takes requests while they keep coming (STATUS "intake").
intake() { fsctl --json status 2>&1 | grep -Eo '"intake": *"[a-z]+"' | grep -Eo '[a-z]+"$' | tr -d '"'; }

# ---------------------------------------------------------------------------
say "== checks"

# 1. start: active only once READY=1 arrived (Type=notify), with a status.
if ctl start fileserver.service; then
	st=$(state fileserver.service)
	if [ "$(prop fileserver.service ActiveState)" = active ] &&
		[ "$(prop fileserver.service SubState)" = running ] &&
		[ -n "$(prop fileserver.service StatusText)" ]; then
		pass "start: systemctl start fileserver -> $st"
	else
		# How late does the status come, if at all?
		has_status() { [ -n "$(prop fileserver.service StatusText)" ]; }
		t0=$(now_ms)
		if wait_for 5 has_status; then late="StatusText appeared $(($(now_ms) - t0)) ms after systemctl start returned"
		else late="no StatusText within 5 s"; fi
		fail "start: right after systemctl start: expected ActiveState=active SubState=running and a StatusText (READY=1 should carry STATUS=)" \
			"actual: $st" "$late: '$(prop fileserver.service StatusText)'"
	fi
else
	fail "start: systemctl start fileserver failed" "$(state fileserver.service)" \
		"$(ct journalctl -u fileserver --no-pager -n 20 2>&1)"
fi

# 2. fetch, byte for byte; a service that created its queue takes requests
# with receivers blocked in the receive.
out=$(fsctl get hello.txt 2>&1); rc=$?
big_rc=0; fsctl get random.bin -o /tmp/random.out >"$tmp/get.err" 2>&1 || big_rc=$?
how=$(intake)
if [ $rc = 0 ] && [ "$out" = "hello from the default root" ] && [ $big_rc = 0 ] &&
	ct cmp /tmp/random.out /srv/fileserver/random.bin && [ "$how" = receivers ]; then
	pass "fetch: hello.txt and random.bin (3000000 bytes) identical to the served files; intake: $how"
else
	fail "fetch: fileserverctl get" "hello.txt: exit $rc, output '$out'" \
		"random.bin: exit $big_rc $(cat "$tmp/get.err")" "intake: '$how' (expected receivers)"
fi

# 2b. descriptors: each session holds two (its reply queue and the client's
# pidfd); the unit allows 16384 and the daemon raises its soft limit to it.
nofile=$(ct sh -c "grep '^Max open files' /proc/$(prop fileserver.service MainPID)/limits" 2>&1)
if [ "$(awk '{ print $4 }' <<<"$nofile")" = 16384 ]; then
	pass "descriptors: the service's RLIMIT_NOFILE soft limit is 16384"
else
	fail "descriptors: expected the service's soft RLIMIT_NOFILE 16384 (LimitNOFILE=16384, raised at start)" \
		"actual: $nofile"
fi

# 3. reload with another root: in force as soon as systemctl reload returns.
pid_before=$(prop fileserver.service MainPID)
write_conf fileserver.json '{ "root": "/srv/alt", "shutdown_timeout_ms": 20000, "log_level": "info" }'
t0=$(now_ms)
if ctl reload fileserver.service; then
	t1=$(now_ms)
	out=$(fsctl get hello.txt 2>&1); rc=$?
	if [ $rc = 0 ] && [ "$out" = "hello from the alternative root" ] &&
		[ "$(prop fileserver.service MainPID)" = "$pid_before" ] &&
		[ "$(prop fileserver.service ActiveState)" = active ]; then
		pass "reload: root /srv/alt served right after systemctl reload returned ($((t1 - t0)) ms, same PID $pid_before)"
	else
		fail "reload: after systemctl reload with root /srv/alt" \
			"expected: 'hello from the alternative root', same MainPID $pid_before, active" \
			"actual: exit $rc, '$out'; $(state fileserver.service)"
	fi
else
	fail "reload: systemctl reload fileserver failed" "$(state fileserver.service)"
fi

# 4. broken configuration on reload: stays up on the old one, says so.
write_conf fileserver.json '{ "root": "/srv/fileserver", "no_such_key": 1 }'
ctl reload fileserver.service 2>"$tmp/reload.err"; reload_rc=$?
status=$(prop fileserver.service StatusText)
out=$(fsctl get hello.txt 2>&1); rc=$?
if [ "$(prop fileserver.service ActiveState)" = active ] &&
	[ "$(prop fileserver.service MainPID)" = "$pid_before" ] &&
	grep -qi 'fail' <<<"$status" && [ $rc = 0 ] && [ "$out" = "hello from the alternative root" ]; then
	pass "bad reload: still active on the old root (systemctl reload exit $reload_rc); StatusText='$status'"
else
	fail "bad reload: config with an unknown key" \
		"expected: active, same MainPID $pid_before, StatusText mentioning the failure, old root still served" \
		"actual: systemctl reload exit $reload_rc $(cat "$tmp/reload.err"); $(state fileserver.service); get: exit $rc '$out'"
fi
write_conf fileserver.json "$conf_default"
ctl reload fileserver.service || say "note: reload back to the default configuration failed"

# 5. the journal has the structured fields of a refused request.
refused_path="../refused-$$"
fsctl get "$refused_path" >/dev/null 2>&1; rc=$?
journal_has_refusal() {
	ct journalctl -u fileserver.service --no-pager -o export FILESERVER_OUTCOME=refused >"$tmp/journal.txt" 2>&1 &&
		grep -qxF "FILESERVER_PATH=$refused_path" "$tmp/journal.txt"
}
if wait_for 5 journal_has_refusal; then
	# the entry of our request, its FILESERVER_* fields
	fields=$(awk -v p="FILESERVER_PATH=$refused_path" '
		/^$/ { if (hit) exit; block = ""; next }
		/^FILESERVER_/ { block = block (block ? " " : "") $0 }
		$0 == p { hit = 1 }
		END { if (hit) print block }' "$tmp/journal.txt")
	missing=
	# protocol 2: the proven uid, the session (hex id) and the client's pid
	for f in OP PATH UID OUTCOME SESSION CLIENT_PID; do grep -q "FILESERVER_$f=" <<<"$fields" || missing="$missing FILESERVER_$f"; done
	grep -qE "FILESERVER_SESSION=[0-9a-f]+( |$)" <<<"$fields" || missing="$missing FILESERVER_SESSION(hex)"
	if [ $rc = 4 ] && [ -z "$missing" ]; then
		pass "journal: fileserverctl get $refused_path exit 4; journalctl -u fileserver FILESERVER_OUTCOME=refused: $fields"
	else
		fail "journal: refused request" "expected: client exit 4 and FILESERVER_OP/PATH/UID/OUTCOME/SESSION/CLIENT_PID in the entry" \
			"actual: client exit $rc, fields: $fields, missing:$missing"
	fi
else
	fail "journal: no entry with FILESERVER_OUTCOME=refused FILESERVER_PATH=$refused_path within 5 s" \
		"client exit $rc (expected 4)" \
		"journalctl -u fileserver -o verbose (last entries):" \
		"$(ct journalctl -u fileserver.service --no-pager -o verbose -n 3 2>&1 | grep -E '^ *(MESSAGE|FILESERVER_|PRIORITY|SYSLOG_IDENTIFIER|_TRANSPORT)=' | head -20)"
fi

# 6. watchdog: a stopped (SIGSTOP) daemon is killed and restarted.
pid_before=$(prop fileserver.service MainPID)
restarts_before=$(prop fileserver.service NRestarts)
t0=$(now_ms)
ct kill -STOP "$pid_before"
restarted() {
	local pid; pid=$(prop fileserver.service MainPID)
	[ "$(prop fileserver.service NRestarts)" -gt "$restarts_before" ] && [ "$pid" != 0 ] &&
		[ "$pid" != "$pid_before" ] && [ "$(prop fileserver.service ActiveState)" = active ]
}
if wait_for 20 restarted; then
	t1=$(now_ms)
	out=$(fsctl get hello.txt 2>&1); rc=$?
	if [ $rc = 0 ] && [ "$out" = "hello from the default root" ]; then
		pass "watchdog: SIGSTOP of PID $pid_before -> restarted in $((t1 - t0)) ms (WatchdogSec=2s drop-in): $(state fileserver.service)"
	else
		fail "watchdog: restarted, but the new instance does not serve" "get: exit $rc '$out'"
	fi
else
	fail "watchdog: SIGSTOP of the main PID $pid_before" \
		"expected within 20 s: NRestarts > $restarts_before, a new MainPID, active" \
		"actual: $(state fileserver.service)"
	ct kill -CONT "$pid_before" 2>/dev/null
fi

# 7. systemctl stop during a large transfer to a slow reader: it completes.
slow_reader='
import sys, time
src, dst = sys.stdin.buffer, sys.stdout.buffer
while True:
    b = src.read(256 * 1024)
    if not b:
        break
    dst.write(b)
    time.sleep(0.04)
'
ct rm -f /tmp/slow.out
(CT_TIMEOUT=60 ct bash -c 'set -o pipefail; fileserverctl --timeout 10 get big.bin | python3 -c "$1" >/tmp/slow.out' _ "$slow_reader" 2>"$tmp/slow.err"
	echo $? >"$tmp/slow.rc") &
slow_job=$!
size_now() { ct stat -c %s /tmp/slow.out 2>/dev/null || echo 0; }
transfer_started() { [ "$(size_now)" -gt 1000000 ]; }
wait_for 10 transfer_started
big_size=$(stat -c %s "$srv/fileserver/big.bin")
size_at_stop=$(size_now)
t0=$(now_ms)
ctl stop fileserver.service; stop_rc=$?
t1=$(now_ms)
size_after_stop=$(size_now)
timeout 60 tail --pid=$slow_job -f /dev/null
wait $slow_job 2>/dev/null
slow_rc=$(cat "$tmp/slow.rc" 2>/dev/null || echo none)
result=$(prop fileserver.service Result); main_status=$(prop fileserver.service ExecMainStatus)
if [ "$size_at_stop" -gt 0 ] && [ "$size_at_stop" -lt "$big_size" ] && [ "$stop_rc" = 0 ] &&
	[ "$result" = success ] && [ "$slow_rc" = 0 ] && ct cmp -s /tmp/slow.out /srv/fileserver/big.bin; then
	pass "stop during transfer: stop issued at $size_at_stop/$big_size bytes, took $((t1 - t0)) ms (Result=$result, exit status $main_status); the slow client got all bytes intact"
else
	fail "stop during transfer of big.bin ($big_size bytes) to a slow reader" \
		"expected: stop while in flight, transfer completes (client exit 0, identical copy)" \
		"actual: received $size_at_stop bytes at stop, $size_after_stop when stop returned (exit $stop_rc, $((t1 - t0)) ms, Result=$result, ExecMainStatus=$main_status); client pipeline exit $slow_rc ($(cat "$tmp/slow.err")); final size $(size_now); cmp: $(ct cmp /tmp/slow.out /srv/fileserver/big.bin 2>&1)" \
		"journal of the stop:" "$(ct journalctl --no-pager -o short-monotonic -u fileserver.service -n 12 2>&1)"
fi
ct rm -f /tmp/slow.out

# 8. socket activation: PID 1 owns the queue, the first request starts the
# service. The daemon leaves its own queue behind when it stops (by design),
# and PID 1 refuses to adopt a queue it did not create (owner/mode differ):
# remove the leftover first, as an administrator switching to the socket must.
ctl stop fileserver.service
ctl reset-failed fileserver.service 2>/dev/null
leftover=$(ct stat -c '%U %a' /dev/mqueue/fileserver 2>/dev/null)
ct rm -f /dev/mqueue/fileserver
if ctl start fileserver.socket; then
	svc_before=$(prop fileserver.service ActiveState)
	q=$(ct stat -c '%U %a' /dev/mqueue/fileserver 2>&1)
	out=$(fsctl ping 2>&1); ping_rc=$?
	out2=$(fsctl get hello.txt 2>&1); rc=$?
	# PID 1's queue is root's: the service user cannot open it once more
	# to wait on it, so the engine threads watch it with epoll.
	how=$(intake)
	svc_after=$(state fileserver.service)
	if [ "$svc_before" = inactive ] && [ "$q" = "root 622" ] && [ $ping_rc = 0 ] && [ $rc = 0 ] &&
		[ "$out2" = "hello from the default root" ] && [ "$(prop fileserver.service ActiveState)" = active ] &&
		[ "$how" = epoll ]; then
		pass "socket activation: queue created by PID 1 ($q); first ping started the service and was answered ($out); intake: $how; then: $svc_after"
	else
		fail "socket activation" \
			"expected: service inactive before, queue 'root 622', ping exit 0, get OK, service active, intake epoll" \
			"actual: service before: $svc_before; queue: '$q'; ping exit $ping_rc '$out'; get exit $rc '$out2'; intake '$how'; after: $svc_after" \
			"$(ct journalctl -u fileserver.service --no-pager -n 8 -o cat 2>&1)"
	fi
else
	fail "socket activation: systemctl start fileserver.socket failed (leftover queue before: '${leftover:-none}')" \
		"$(ct journalctl -u fileserver.socket --no-pager -n 5 -o cat 2>&1)"
fi
ctl stop fileserver.service fileserver.socket

# 9. two template instances side by side, each on its own queue and root.
if ctl start fileserver@a.service fileserver@b.service; then
	a=$(fsctl --queue /fileserver-a get id.txt 2>&1); a_rc=$?
	b=$(fsctl --queue /fileserver-b get id.txt 2>&1); b_rc=$?
	fsctl --queue /fileserver-b get only-a.txt >/dev/null 2>&1; nf_rc=$?
	pa=$(prop fileserver@a.service MainPID); pb=$(prop fileserver@b.service MainPID)
	if [ $a_rc = 0 ] && [ "$a" = "instance a" ] && [ $b_rc = 0 ] && [ "$b" = "instance b" ] && [ $nf_rc = 3 ] &&
		[ "$(prop fileserver@a.service ActiveState)" = active ] && [ "$(prop fileserver@b.service ActiveState)" = active ] &&
		[ "$pa" != "$pb" ]; then
		pass "template: fileserver@a (PID $pa, /fileserver-a -> /srv/a) and fileserver@b (PID $pb, /fileserver-b -> /srv/b) serve side by side"
	else
		fail "template instances" "expected: 'instance a' from /fileserver-a, 'instance b' from /fileserver-b, only-a.txt not found (3) on b" \
			"actual: a: exit $a_rc '$a'; b: exit $b_rc '$b'; only-a.txt on b: exit $nf_rc" \
			"a: $(state fileserver@a.service)" "b: $(state fileserver@b.service)"
	fi
else
	fail "template: systemctl start fileserver@a fileserver@b failed" \
		"a: $(state fileserver@a.service)" "b: $(state fileserver@b.service)" \
		"$(ct journalctl -u 'fileserver@*' --no-pager -n 10 -o cat 2>&1)"
fi
ctl stop fileserver@a.service fileserver@b.service

# ---------------------------------------------------------------------------
finish
