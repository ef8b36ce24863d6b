#!/bin/bash
# Installs the dependencies, builds, and runs every test: unit, integration,
# real-systemd, daemonize, packaging and benchmark smoke tests on a normal
# build, then unit and integration tests under ASan+UBSan and under TSan,
# then a short fuzz run. Run as root on Debian 12.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

sh packaging/install-deps.sh

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
	meson setup "$top/$name" "${opts[@]}" >/dev/null
	ninja -C "$top/$name"
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
run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dman=disabled -- unit integration
run_build build-tsan -Db_sanitize=thread -Dman=disabled -- unit integration

# A short run of the libFuzzer harnesses (clang), bounded in time.
if FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash tests/run-fuzz.sh; then
	summaries+=("fuzz: 1 passed, 0 failed, 0 skipped")
else
	summaries+=("fuzz: 0 passed, 1 failed, 0 skipped")
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
