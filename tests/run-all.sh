#!/bin/bash
# Installs the dependencies, builds, and runs every test: unit, integration,
# real-systemd, daemonize, packaging (the .deb and the .rpm built), lint
# (layers, clang-format) and benchmark smoke tests on a normal build; the
# unit tests of a release (-O3) build; unit and integration tests under
# ASan+UBSan and under TSan; a short fuzz run. Every build is made with
# -Dwerror=true. Last, a check that the host is as the suite found it:
# nothing changed under /usr/local, /etc, /srv or /dev/mqueue.
# Run as root on Debian 12.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

sh packaging/install-deps.sh

# After install-deps.sh (apt-get changes /etc and /usr), before any test.
host_snapshot=$(mktemp /tmp/fileserver-host-state.XXXXXX)
trap 'rm -f "$host_snapshot"' EXIT
python3 tests/lint/host-state.py snapshot "$host_snapshot"

# Any sanitizer report fails the process that made it, and so the test.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

declare -a summaries=()
status=0

run_build() { # name, meson options..., -- test suites...
	local name=$1
	shift
	local -a opts=() suites=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	for s in "$@"; do suites+=(--suite "$s"); done

	echo "=== $name: configure and build"
	rm -rf "$top/$name"
	if ! meson setup "$top/$name" -Dwerror=true "${opts[@]}" >/dev/null || ! ninja -C "$top/$name"; then
		summaries+=("$name: 0 passed, 1 failed, 0 skipped (the build failed)")
		status=1
		return
	fi
	echo "=== $name: test (${*:-all})"
	if ! meson test -C "$top/$name" --print-errorlogs --num-processes 2 "${suites[@]}"; then
		status=1
	fi
	summaries+=("$name: $(python3 - "$top/$name/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
)")
}

run_build build -Dbuildtype=debugoptimized
# What packagers build (-O3): GCC warns at -O3 where it does not at -O2.
run_build build-release --buildtype=release -Dman=disabled -- unit
run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dman=disabled -- unit integration
run_build build-tsan -Db_sanitize=thread -Dman=disabled -- unit integration

# A short run of the libFuzzer harnesses (clang), bounded in time.
if FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash tests/run-fuzz.sh; then
	summaries+=("fuzz: 1 passed, 0 failed, 0 skipped")
else
	summaries+=("fuzz: 0 passed, 1 failed, 0 skipped")
	status=1
fi

# The suite leaves the machine as it found it.
echo "=== host state"
if python3 tests/lint/host-state.py compare "$host_snapshot"; then
	summaries+=("host unchanged: 1 passed, 0 failed, 0 skipped")
else
	summaries+=("host unchanged: 0 passed, 1 failed, 0 skipped")
	status=1
fi

echo "=== Summary"
passed=0 failed=0
for s in "${summaries[@]}"; do
	echo "$s"
	p=${s#*: }; passed=$((passed + ${p%% passed*}))
	f=${p#*passed, }; failed=$((failed + ${f%% failed*}))
done
echo "${passed} passed, ${failed} failed"
exit $status
