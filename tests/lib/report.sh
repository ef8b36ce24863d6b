# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Reporting and waiting for the shell tests (tests/systemd, tests/packaging):
# one PASS/FAIL line per check, a summary, exit 77 to skip, 99 for an error
# of the test itself.

export LC_ALL=C

say() { printf '%s\n' "$*"; }
skip() { say "SKIP: $*"; exit 77; }
die() { say "ERROR: $*"; exit 99; }

failures=0
checks=0
pass() { checks=$((checks + 1)); say "PASS: $1"; }
fail() {
	checks=$((checks + 1)); failures=$((failures + 1))
	say "FAIL: $1"; shift
	local l; for l in "$@"; do say "$l" | sed 's/^/      /'; done
}
# Prints the summary line; the exit status says whether every check passed.
finish() {
	say "== $((checks - failures))/$checks checks passed"
	[ $failures = 0 ]
}

now_ms() { date +%s%3N; }

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$(($(now_ms) + $1 * 1000)); shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

