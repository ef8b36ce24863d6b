#!/bin/bash
# SPDX-License-Identifier: MIT
#
# End-to-end test of the Debian packages: builds them from this tree
# (packaging/build-deb.sh), runs lintian (any error fails the test), checks
# their contents and maintainer scripts, then installs them with dpkg into a
# real systemd booted in a container and drives the installed service:
# user and directory created by the postinst, unit enabled and started,
# fetch (with the progress bar on a terminal), reload, journal, bash
# completion, a program built against libfileserver-client-dev, stop,
# remove and purge.
#
# The container (systemd-nspawn --volatile=yes) sees the host's /usr through
# an overlay whose upper layer is a temporary directory, a copy of the host's
# dpkg database, and a fresh /etc and /var: nothing is installed on the host.
# The host's /usr/local is hidden (a tmpfs).
#
# Usage: deb-test.sh SRCDIR
# Environment: FILESERVER_DEBS=DIR tests the packages in DIR instead of
# building them; FILESERVER_DEB_BUILD_OPTIONS (default "nocheck": the unit
# tests run in their own suite); KEEP_TMP=1 keeps the temporary directory.
# Needs root, systemd-nspawn and the build dependencies; exits 77 (skipped)
# without them. Prints one PASS/FAIL line per check; exits 1 if any failed.

set -u
# shellcheck source=../lib/container.sh
. "$(dirname "$0")/../lib/container.sh"

srcdir=${1:-}
[ -n "$srcdir" ] && [ -f "$srcdir/packaging/debian/control" ] || die "usage: $0 SRCDIR (the top of the fileserver tree)"
srcdir=$(cd "$srcdir" && pwd)

container_requirements dpkg-deb script
if [ -z "${FILESERVER_DEBS:-}" ]; then
	for tool in dpkg-buildpackage dpkg-checkbuilddeps dh lintian; do
		command -v "$tool" >/dev/null || skip "$tool not found (packaging/install-deps.sh installs what this test needs)"
	done
	unmet=$(dpkg-checkbuilddeps -P nocheck "$srcdir/packaging/debian/control" 2>&1) ||
		skip "build dependencies missing: $unmet"
else
	command -v lintian >/dev/null || skip "lintian not found"
fi

container_init deb

# ---------------------------------------------------------------------------
# Build

debs=$tmp/debs
mkdir -p "$debs"
if [ -n "${FILESERVER_DEBS:-}" ]; then
	say "== using the packages in $FILESERVER_DEBS"
	cp "$FILESERVER_DEBS"/*.deb "$FILESERVER_DEBS"/*.changes "$FILESERVER_DEBS"/*.buildinfo "$debs"/ 2>/dev/null
else
	say "== building the packages (packaging/build-deb.sh)"
	t0=$(now_ms)
	if DEB_BUILD_OPTIONS="${FILESERVER_DEB_BUILD_OPTIONS:-nocheck} parallel=$(nproc)" \
		timeout 1500 "$srcdir/packaging/build-deb.sh" "$debs" >"$tmp/build.log" 2>&1; then
		pass "build: dpkg-buildpackage -us -uc -b in $((($(now_ms) - t0) / 1000)) s: $(cd "$debs" && echo *.deb)"
	else
		fail "build: packaging/build-deb.sh failed" "$(tail -n 40 "$tmp/build.log")"
		exit 1
	fi
fi
deb_server=$(ls "$debs"/fileserver_*.deb 2>/dev/null | head -n1)
deb_client=$(ls "$debs"/fileserver-client_*.deb 2>/dev/null | head -n1)
deb_lib=$(ls "$debs"/libfileserver-client0_*.deb 2>/dev/null | head -n1)
deb_dev=$(ls "$debs"/libfileserver-client-dev_*.deb 2>/dev/null | head -n1)
[ -n "$deb_server" ] && [ -n "$deb_client" ] && [ -n "$deb_lib" ] && [ -n "$deb_dev" ] ||
	die "no fileserver, fileserver-client, libfileserver-client0 and libfileserver-client-dev .deb in $debs"

# ---------------------------------------------------------------------------
say "== static checks"

# lintian: errors fail, warnings are reported.
lintian_target=$(ls "$debs"/*.changes 2>/dev/null | head -n1)
[ -n "$lintian_target" ] || lintian_target="$deb_server $deb_client $deb_lib $deb_dev"
# shellcheck disable=SC2086
timeout 300 lintian --fail-on error --display-level '>=warning' $lintian_target >"$tmp/lintian.log" 2>&1
lintian_rc=$?
grep -v 'running with root privileges' "$tmp/lintian.log" >"$tmp/lintian.tags"
n_err=$(grep -c '^E: ' "$tmp/lintian.tags")
n_warn=$(grep -c '^W: ' "$tmp/lintian.tags")
if [ $lintian_rc = 0 ] && [ "$n_err" = 0 ]; then
	pass "lintian: 0 errors, $n_warn warnings$([ "$n_warn" = 0 ] || printf '\n%s' "$(sed 's/^/      /' "$tmp/lintian.tags")")"
else
	fail "lintian: exit $lintian_rc, $n_err errors, $n_warn warnings" "$(cat "$tmp/lintian.tags")"
fi

# Contents: every file in the right package.
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
missing=
for f in /usr/sbin/fileserverd /lib/systemd/system/fileserver.service /lib/systemd/system/fileserver.socket \
	/lib/systemd/system/fileserver@.service /usr/lib/sysusers.d/fileserver.conf \
	/usr/lib/tmpfiles.d/fileserver.conf /etc/fileserver/fileserver.json \
	/usr/share/man/man8/fileserverd.8.gz /usr/share/man/man5/fileserver.json.5.gz \
	/usr/share/bash-completion/completions/fileserverd; do
	contents "$deb_server" | grep -qxF "$f" || missing="$missing fileserver:$f"
done
for f in /usr/bin/fileserverctl /usr/share/man/man1/fileserverctl.1.gz \
	/usr/share/bash-completion/completions/fileserverctl; do
	contents "$deb_client" | grep -qxF "$f" || missing="$missing fileserver-client:$f"
done
if [ -z "$missing" ]; then
	pass "contents: daemon, units, sysusers.d, tmpfiles.d, configuration, man 8+5, completion in fileserver; client, man 1, completion in fileserver-client"
else
	fail "contents: missing:$missing" "fileserver:" "$(contents "$deb_server")" "fileserver-client:" "$(contents "$deb_client")"
fi

# The library packages hold exactly their files (directories aside): the
# shared library in libfileserver-client0, what building against it needs
# in libfileserver-client-dev.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
files_of() { contents "$1" | grep -v '/$' | LC_ALL=C sort; }
expected_lib="/usr/lib/$multiarch/libfileserver-client.so.0
/usr/lib/$multiarch/libfileserver-client.so.0.1.0
/usr/share/doc/libfileserver-client0/changelog.Debian.gz
/usr/share/doc/libfileserver-client0/copyright
/usr/share/lintian/overrides/libfileserver-client0"
man3=$(for n in libfileserver-client fileserver_error_message fileserver_session_open fileserver_session_close \
	fileserver_ping fileserver_status fileserver_stat fileserver_get_fd fileserver_get_cb fileserver_get_ahead fileserver_list_open \
	fileserver_list_next fileserver_list_close fileserver_signal_cleanup; do echo "/usr/share/man/man3/$n.3.gz"; done)
expected_dev=$(printf '%s\n' /usr/include/fileserver/client.h "/usr/lib/$multiarch/libfileserver-client.so" \
	"/usr/lib/$multiarch/pkgconfig/fileserver-client.pc" /usr/share/doc/libfileserver-client-dev/changelog.Debian.gz \
	/usr/share/doc/libfileserver-client-dev/copyright /usr/share/doc/libfileserver-client-dev/examples/fetch-file.c \
	/usr/share/lintian/overrides/libfileserver-client-dev \
	$man3 | LC_ALL=C sort)
expected_lib=$(LC_ALL=C sort <<<"$expected_lib")
if [ "$(files_of "$deb_lib")" = "$expected_lib" ] && [ "$(files_of "$deb_dev")" = "$expected_dev" ]; then
	pass "contents: libfileserver-client0 holds the library (.so.0, .so.0.1.0); libfileserver-client-dev the header, .so link, .pc, example and 14 man3 pages"
else
	fail "contents of the library packages (- expected, + in the package)" \
		"$(diff -u <(echo "$expected_lib") <(files_of "$deb_lib") | grep '^[-+][^-+]')" \
		"$(diff -u <(echo "$expected_dev") <(files_of "$deb_dev") | grep '^[-+][^-+]')"
fi

# The ABI: dpkg-gensymbols checked the symbols file while building; the
# package carries it, and shlibs, so programs depend on the right version.
dpkg-deb -e "$deb_lib" "$tmp/control-lib"
if [ -f "$tmp/control-lib/symbols" ] && grep -q '^ fileserver_get_fd@FILESERVER_CLIENT_0 ' "$tmp/control-lib/symbols" &&
	[ "$(grep -c '^ fileserver_' "$tmp/control-lib/symbols")" = 13 ] && [ -f "$tmp/control-lib/shlibs" ] &&
	grep -q '^activate-noawait ldconfig' "$tmp/control-lib/triggers" 2>/dev/null; then
	pass "libfileserver-client0: symbols (13 calls at FILESERVER_CLIENT_0), shlibs, ldconfig trigger"
else
	fail "libfileserver-client0 control files" "$(ls "$tmp/control-lib")" "$(cat "$tmp/control-lib/symbols" 2>&1)"
fi

# Maintainer scripts: the user exists and the root is created before the
# service is started.
dpkg-deb -e "$deb_server" "$tmp/control"
conffiles=$(cat "$tmp/control/conffiles" 2>/dev/null)
line_of() { grep -n -m1 -e "$1" "$tmp/control/postinst" | cut -d: -f1; }
l_users=$(line_of 'systemd-sysusers'); l_tmpfiles=$(line_of 'systemd-tmpfiles'); l_start=$(line_of 'deb-systemd-invoke')
if [ "$conffiles" = /etc/fileserver/fileserver.json ] && [ -n "$l_users" ] && [ -n "$l_tmpfiles" ] &&
	[ -n "$l_start" ] && [ "$l_users" -lt "$l_start" ] && [ "$l_tmpfiles" -lt "$l_start" ]; then
	pass "maintainer scripts: conffile $conffiles; postinst runs systemd-sysusers (line $l_users) and systemd-tmpfiles (line $l_tmpfiles) before starting the service (line $l_start)"
else
	fail "maintainer scripts" "conffiles: '$conffiles' (expected /etc/fileserver/fileserver.json)" \
		"postinst lines: sysusers '$l_users', tmpfiles '$l_tmpfiles', start '$l_start'" "$(cat "$tmp/control/postinst")"
fi

# ---------------------------------------------------------------------------
cp -a /var/lib/dpkg "$tmp/dpkg" || die "cannot copy /var/lib/dpkg"
: >"$tmp/dpkg/statoverride" # its users and groups do not exist in the fresh /etc
rm -f "$tmp/dpkg/lock" "$tmp/dpkg/lock-frontend"
mkdir -p "$tmp/usr-upper" "$tmp/pkgs" "$tmp/data"
cp "$deb_server" "$deb_client" "$deb_lib" "$deb_dev" "$tmp/pkgs/"
umask 022
printf 'hello from the package\n' >"$tmp/data/hello.txt"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$tmp/data/big.bin"
printf 'hello from the alternative root\n' >"$tmp/data/alt.txt"
chmod -R a+rX "$tmp/data" "$tmp/pkgs"

# Without /usr/local in PATH; TERM for script(1) and the progress bar.
CT_PATH=/usr/sbin:/usr/bin:/sbin:/bin
CT_TERM=xterm
container_boot --overlay=/usr:"$tmp/usr-upper":/usr --tmpfs=/usr/local:mode=0755 \
	--bind="$tmp/dpkg":/var/lib/dpkg --bind-ro="$tmp/pkgs":/mnt/pkgs --bind-ro="$tmp/data":/mnt/data
ct test -e /usr/local/sbin/fileserverd && die "the host's /usr/local is visible in the container"
ct getent passwd fileserver >/dev/null && die "the user fileserver exists before the package is installed"
# Container images often carry a policy-rc.d that forbids maintainer scripts
# to start services (exit 101). A real system has none: remove it from the
# container's /usr (the overlay hides it; the host keeps it).
if ct test -e /usr/sbin/policy-rc.d; then
	ct rm -f /usr/sbin/policy-rc.d || die "cannot remove /usr/sbin/policy-rc.d in the container"
	say "removed the host's /usr/sbin/policy-rc.d from the container's /usr"
fi

# ---------------------------------------------------------------------------
say "== install"

# 1. dpkg -i: the postinst creates the user and the root, enables and
# starts the service.
if CT_TIMEOUT=180 ct dpkg -i "/mnt/pkgs/${deb_server##*/}" "/mnt/pkgs/${deb_client##*/}" \
	"/mnt/pkgs/${deb_lib##*/}" "/mnt/pkgs/${deb_dev##*/}" >"$tmp/dpkg-i.log" 2>&1; then
	pass "install: dpkg -i ${deb_server##*/} ${deb_client##*/} ${deb_lib##*/} ${deb_dev##*/}"
else
	fail "install: dpkg -i failed" "$(tail -n 30 "$tmp/dpkg-i.log")"
	exit 1
fi

# 2. the service user, from sysusers.d, and the root, from tmpfiles.d.
pw=$(ct getent passwd fileserver)
uid=$(cut -d: -f3 <<<"$pw")
root_st=$(ct stat -c '%U %G %a' /srv/fileserver 2>&1)
if [ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$root_st" = "root root 755" ]; then
	pass "postinst: system user ($pw); /srv/fileserver ($root_st)"
else
	fail "postinst: user and root" "getent passwd fileserver: '$pw' (expected a system user)" \
		"/srv/fileserver: '$root_st' (expected 'root root 755')"
fi

# 3. enabled and running, from the packaged unit, as the service user; the
# socket installed but not enabled.
main_pid=$(prop fileserver.service MainPID)
frag=$(prop fileserver.service FragmentPath)
enabled=$(ctl is-enabled fileserver.service 2>&1)
sock_enabled=$(ctl is-enabled fileserver.socket 2>&1)
proc_user=$(ct ps -o user= -p "$main_pid" 2>/dev/null | tr -d ' ')
exe=$(ct readlink "/proc/$main_pid/exe" 2>/dev/null)
if [ "$(prop fileserver.service ActiveState)" = active ] && [ "$enabled" = enabled ] &&
	[ "$sock_enabled" = disabled ] && [ "$proc_user" = fileserver ] && [ "$exe" = /usr/sbin/fileserverd ] &&
	case $frag in /lib/systemd/system/fileserver.service | /usr/lib/systemd/system/fileserver.service) true ;; *) false ;; esac; then
	pass "service: started by the postinst, $enabled, $frag, PID $main_pid ($exe) runs as $proc_user; fileserver.socket $sock_enabled"
else
	fail "service after install" "$(state fileserver.service)" \
		"is-enabled: $enabled (expected enabled); socket: $sock_enabled (expected disabled)" \
		"unit: $frag; main process: $exe as '$proc_user' (expected /usr/sbin/fileserverd as fileserver)" \
		"$(ct journalctl -u fileserver.service --no-pager -n 15 -o cat 2>&1)"
fi

# 4. the default configuration is valid and is a conffile.
check=$(ct fileserverd --check-config 2>&1); check_rc=$?
conf_state=$(ct dpkg-query -W -f='${Conffiles}' fileserver 2>&1)
if [ $check_rc = 0 ] && grep -q '"root": *"/srv/fileserver"' <<<"$check" &&
	grep -q '/etc/fileserver/fileserver.json [0-9a-f]' <<<"$conf_state"; then
	pass "configuration: /etc/fileserver/fileserver.json is a conffile and passes fileserverd --check-config"
else
	fail "configuration" "fileserverd --check-config: exit $check_rc: $check" "conffiles: $conf_state"
fi

# ---------------------------------------------------------------------------
say "== use"

ct cp /mnt/data/hello.txt /mnt/data/big.bin /srv/fileserver/
fsctl() { ct fileserverctl --timeout 5 "$@"; }

# 5. fetch; no progress bar when stderr is not a terminal.
out=$(fsctl get hello.txt 2>&1); rc=$?
fsctl get big.bin -o /tmp/big.out 2>"$tmp/get.err"; big_rc=$?
if [ $rc = 0 ] && [ "$out" = "hello from the package" ] && [ $big_rc = 0 ] &&
	ct cmp -s /tmp/big.out /srv/fileserver/big.bin && [ ! -s "$tmp/get.err" ]; then
	pass "fetch: hello.txt and big.bin (8 MiB) identical; nothing on stderr when it is not a terminal"
else
	fail "fetch: fileserverctl get" "hello.txt: exit $rc, '$out'" "big.bin: exit $big_rc, stderr: $(cat "$tmp/get.err")"
fi

# 6. the progress bar on a terminal (script(1) gives it one), and --quiet.
bar=$(ct script -qec 'fileserverctl get big.bin -o /tmp/bar.out' /dev/null 2>&1 | tr '\r' '\n')
quiet=$(ct script -qec 'fileserverctl --quiet get big.bin -o /tmp/quiet.out' /dev/null 2>&1)
final=$(grep '100%' <<<"$bar" | tail -n 1)
if grep -q '^big\.bin .*100% .*8\.0 MiB' <<<"$final" && grep -q '/s' <<<"$final" &&
	ct cmp -s /tmp/bar.out /srv/fileserver/big.bin && [ -z "$quiet" ]; then
	pass "progress bar on a terminal: '$(sed 's/\x1b\[K//g' <<<"$final")'; none with --quiet"
else
	fail "progress bar" "on a terminal: $(cat -v <<<"$bar" | tail -n 3)" "with --quiet: $(cat -v <<<"$quiet")"
fi

# 7. ping and status for scripts.
ping=$(fsctl --json ping 2>&1); status=$(fsctl --json status 2>&1)
parsed=$(ct python3 -c 'import json, sys
p = json.loads(sys.argv[1]); s = json.loads(sys.argv[2])
print(p["server_version"], s["queue"] if "queue" in s else "?")' "$ping" "$status" 2>&1)
if [ $? = 0 ] && [ -n "$parsed" ]; then
	pass "json: ping and status parse (version, queue: $parsed)"
else
	fail "json: ping/status" "ping: $ping" "status: $status" "$parsed"
fi

# 8. reload with another root: in force as soon as systemctl reload returns.
ct mkdir -p /srv/alt
ct cp /mnt/data/alt.txt /srv/alt/
ct cp /etc/fileserver/fileserver.json /tmp/fileserver.json.orig
ct sed -i 's|"root": *"/srv/fileserver"|"root": "/srv/alt"|' /etc/fileserver/fileserver.json
pid_before=$(prop fileserver.service MainPID)
if ctl reload fileserver.service; then
	out=$(fsctl get alt.txt 2>&1); rc=$?
	if [ $rc = 0 ] && [ "$out" = "hello from the alternative root" ] &&
		[ "$(prop fileserver.service MainPID)" = "$pid_before" ]; then
		pass "reload: root /srv/alt served right after systemctl reload (same PID $pid_before)"
	else
		fail "reload" "get alt.txt: exit $rc '$out'" "$(state fileserver.service)"
	fi
else
	fail "reload: systemctl reload fileserver failed" "$(state fileserver.service)"
fi
ct cp /tmp/fileserver.json.orig /etc/fileserver/fileserver.json
ctl reload fileserver.service || say "note: reload back to the packaged configuration failed"

# 9. each request in the journal, with its fields.
journal_has_get() {
	ct journalctl -u fileserver.service --no-pager -o export FILESERVER_OUTCOME=ok FILESERVER_PATH=big.bin \
		>"$tmp/journal.txt" 2>&1 && grep -q '^FILESERVER_OP=get' "$tmp/journal.txt"
}
if wait_for 5 journal_has_get; then
	pass "journal: journalctl -u fileserver FILESERVER_OUTCOME=ok FILESERVER_PATH=big.bin finds the transfers"
else
	fail "journal: no FILESERVER_OUTCOME=ok entry for big.bin" \
		"$(ct journalctl -u fileserver.service --no-pager -n 5 -o verbose 2>&1 | grep -E '^ *(MESSAGE|FILESERVER_)' | head)"
fi

# 10. bash completion, loaded on demand, completes commands and paths on
# the server.
completion=$(ct bash -c '
	. /usr/share/bash-completion/bash_completion
	_completion_loader fileserverctl
	complete -p fileserverctl || exit 1
	try() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		COMPREPLY=(); _fileserverctl fileserverctl "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
	try fileserverctl st
	try fileserverctl get h
	_completion_loader fileserverd
	complete -p fileserverd || exit 1
	try2() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		COMPREPLY=(); _fileserverd fileserverd "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"; echo "${COMPREPLY[*]}"; }
	try2 fileserverd --log-level w' 2>"$tmp/completion.err")
expected='complete -F _fileserverctl fileserverctl
stat status
hello.txt
complete -F _fileserverd fileserverd
warning'
if [ "$completion" = "$expected" ]; then
	pass "bash completion: 'fileserverctl st' -> stat status; 'fileserverctl get h' -> hello.txt (asked the server); 'fileserverd --log-level w' -> warning"
else
	fail "bash completion" "expected:" "$expected" "actual:" "$completion" "stderr:" "$(cat "$tmp/completion.err")"
fi

# 11. a program built against the installed libfileserver-client-dev
# (the example it ships, with pkg-config's flags) fetches from the service.
example=/usr/share/doc/libfileserver-client-dev/examples/fetch-file.c
# gcc: the fresh /etc has no alternatives, hence no cc.
built=$(ct sh -c "gcc -Wall -Werror -o /tmp/fetch-file $example \$(pkg-config --cflags --libs fileserver-client) 2>&1 &&
	/tmp/fetch-file big.bin /tmp/lib.out && cmp /tmp/lib.out /srv/fileserver/big.bin &&
	ldd /tmp/fetch-file | grep -F libfileserver-client.so.0" 2>&1)
if [ $? = 0 ] && grep -qE "=> (/usr)?/lib/$multiarch/libfileserver-client\.so\.0 " <<<"$built"; then
	pass "library: the packaged fetch-file.c builds with pkg-config's flags and fetches big.bin identical ($(sed 's/^[[:space:]]*//' <<<"$built"))"
else
	fail "library: building or running the packaged example" "$built"
fi

# 12. stop.
if ctl stop fileserver.service && [ "$(prop fileserver.service ActiveState)" = inactive ] &&
	[ "$(prop fileserver.service Result)" = success ]; then
	pass "stop: systemctl stop fileserver -> inactive, Result=success"
else
	fail "stop" "$(state fileserver.service)"
fi

# ---------------------------------------------------------------------------
say "== remove"

# 13. remove stops the service; purge removes the configuration, keeps the
# user (Debian removes no system users) and what was served.
ctl start fileserver.service
CT_TIMEOUT=120 ct dpkg -r fileserver fileserver-client libfileserver-client-dev libfileserver-client0 >"$tmp/dpkg-r.log" 2>&1; r_rc=$?
after_remove=$(prop fileserver.service ActiveState)
conf_kept=$(ct test -e /etc/fileserver/fileserver.json && echo kept || echo gone)
CT_TIMEOUT=120 ct dpkg --purge fileserver >>"$tmp/dpkg-r.log" 2>&1; p_rc=$?
conf_purged=$(ct test -e /etc/fileserver/fileserver.json && echo kept || echo gone)
load=$(prop fileserver.service LoadState)
if [ $r_rc = 0 ] && [ $p_rc = 0 ] && [ "$after_remove" = inactive ] && [ "$conf_kept" = kept ] &&
	[ "$conf_purged" = gone ] && [ "$load" = not-found ] && ct test ! -e /usr/sbin/fileserverd &&
	ct getent passwd fileserver >/dev/null; then
	pass "remove and purge: dpkg -r stopped the service and kept the configuration; --purge removed it; the unit is gone, the user stays"
else
	fail "remove and purge" "dpkg -r exit $r_rc, --purge exit $p_rc: $(tail -n 10 "$tmp/dpkg-r.log")" \
		"after remove: service $after_remove (expected inactive), configuration $conf_kept (expected kept)" \
		"after purge: configuration $conf_purged (expected gone), unit LoadState $load (expected not-found)"
fi

# ---------------------------------------------------------------------------
finish
