#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs a doctest binary with a filter (one meson test per test file) and
# fails when the filter selected no test case: doctest exits 0 then, so a
# file renamed or a filter mistyped would otherwise pass silently.
#
# Usage: check-unit-filter.sh UNIT_TESTS DOCTEST_ARGS...
set -u
bin=$1
shift
out=$("$bin" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
[ $rc = 0 ] || exit $rc
# "[doctest] test cases: 12 | 12 passed | 0 failed | 0 skipped"
n=$(printf '%s\n' "$out" | sed -n 's/^\[doctest\] test cases: *\([0-9]*\) .*/\1/p' | tail -n 1)
if [ -z "$n" ] || [ "$n" -eq 0 ]; then
	echo "check-unit-filter: no test case ran with: $*" >&2
	exit 1
fi
