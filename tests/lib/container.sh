# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Shared by the tests that boot a real systemd in a container
# (tests/systemd/systemd-test.sh, tests/packaging/deb-test.sh): reporting,
# waiting, and the container's boot, commands and teardown.
#
# The container is "systemd-nspawn -D / --volatile=yes": the host's /usr
# read-only, a fresh tmpfs for / (so a fresh /etc and /var), its own IPC
# namespace. What a test installs reaches it through binds or an overlay of
# the test's temporary directory; nothing is written to the host.
#
# Usage: set -u; source this file; container_init NAME (makes $tmp, sets the
# EXIT trap); container_boot [NSPAWN OPTIONS...]; then ct, ctl, prop, state.
# Set CT_PATH (and CT_TERM) before calling ct if the default does not fit.

# shellcheck source=report.sh
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"

# container_requirements: skips (77) without root or the tools.
container_requirements() {
	[ "$EUID" = 0 ] || skip "must run as root (boots a systemd-nspawn container)"
	local tool
	for tool in systemd-nspawn nsenter "$@"; do
		command -v "$tool" >/dev/null || skip "$tool not found (packaging/install-deps.sh installs what this test needs)"
	done
	[ -x /usr/lib/systemd/systemd ] || skip "systemd is not installed: nothing to boot in the container"
}

nspawn_pid=
leader=
machine=
tmp=

container_stop() {
	[ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null || return 0
	# SIGRTMIN+4 asks systemd to power off, even before it accepts connections.
	if [ -n "$leader" ]; then
		timeout 10 nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 ||
			kill -s SIGRTMIN+4 "$leader" 2>/dev/null
	fi
	if ! timeout 30 tail --pid="$nspawn_pid" -f /dev/null; then
		say "container $machine did not power off: killing systemd-nspawn ($nspawn_pid)"
		kill -TERM "$nspawn_pid" 2>/dev/null
		timeout 10 tail --pid="$nspawn_pid" -f /dev/null || kill -KILL "$nspawn_pid" 2>/dev/null
	fi
	wait "$nspawn_pid" 2>/dev/null
}

_container_cleanup() {
	local rc=$?
	container_stop
	if [ -n "$tmp" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
	fi
	exit "$rc"
}

# container_init NAME: $tmp (/tmp/fileserver-NAME-test.XXXXXX), $machine, traps.
container_init() {
	tmp=$(mktemp -d "/tmp/fileserver-$1-test.XXXXXX") || die "mktemp failed"
	machine=fstest-$1-$$
	trap _container_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

# container_boot [NSPAWN OPTIONS...]: boots systemd (first-boot presets off)
# and waits until it runs; $leader is then its PID 1, seen from the host.
container_boot() {
	say "== booting systemd in container $machine"
	local boot_start
	boot_start=$(now_ms)
	systemd-nspawn -D / --volatile=yes --register=no --keep-unit -M "$machine" "$@" \
		-b -- systemd.firstboot=off </dev/null >"$tmp/nspawn.log" 2>&1 &
	nspawn_pid=$!
	_find_leader() {
		leader=$(pgrep -P "$nspawn_pid" -x systemd | head -n1)
		[ -n "$leader" ]
	}
	wait_for 20 _find_leader || { cat "$tmp/nspawn.log"; die "the container's systemd did not appear"; }
	# PID 1 needs a moment before it accepts connections (/run/systemd/private).
	_booted() {
		sys_state=$(CT_TIMEOUT=60 ct systemctl is-system-running --wait 2>&1 | tail -n 1)
		case $sys_state in running | degraded | maintenance | stopping | offline) true ;; *) false ;; esac
	}
	wait_for 60 _booted
	say "container booted in $(($(now_ms) - boot_start)) ms: $sys_state (leader $leader)"
	case $sys_state in running | degraded) ;; *) cat "$tmp/nspawn.log"; die "container boot failed: $sys_state" ;; esac
}

# Runs a command inside the container (all its namespaces), with a clean
# environment.
CT_PATH=${CT_PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
ct() {
	timeout "${CT_TIMEOUT:-30}" nsenter -t "$leader" -a env -i PATH="$CT_PATH" HOME=/root ${CT_TERM:+TERM="$CT_TERM"} "$@"
}
ctl() { ct systemctl --no-pager "$@"; }
prop() { ctl show -P "$2" "$1" 2>/dev/null; } # prop UNIT PROPERTY
state() {
	ctl show -p ActiveState -p SubState -p MainPID -p NRestarts -p Result -p StatusText "$1" 2>&1 | tr '\n' ' '
}
