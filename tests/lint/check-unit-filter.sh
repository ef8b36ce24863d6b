#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The unit tests run as one meson test per test file, each a doctest filter.
#
#   check-unit-filter.sh UNIT_TESTS DOCTEST_ARGS...
#     runs the tests the filter selects, and fails when it selected none:
#     doctest exits 0 then, so a file renamed or a filter mistyped would
#     otherwise pass silently;
#   check-unit-filter.sh --all UNIT_TESTS DOCTEST_ARGS...
#     fails unless the filter (every file's, together) selects every test
#     case of the binary: a TEST_CASE in a header, or in a file without a
#     test of its own, would otherwise never run.
set -u
count() { # prints the number of test cases the arguments select
	"$@" --count | sed -n 's/^\[doctest\] unskipped test cases passing the current filters: *\([0-9]*\).*/\1/p'
}

if [ "$1" = --all ]; then
	shift
	bin=$1
	shift
	all=$(count "$bin")
	filtered=$(count "$bin" "$@")
	echo "test cases: $all in the binary, $filtered in the files that have a meson test"
	[ -n "$all" ] && [ "$all" = "$filtered" ] && [ "$all" -gt 0 ] && exit 0
	echo "check-unit-filter: not every test case belongs to a test file with its own meson test" >&2
	exit 1
fi

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
