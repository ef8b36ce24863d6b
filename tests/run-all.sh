#!/bin/bash
# Installs the dependencies, builds, and runs every test. Run as root on
# Debian 12. Every build is made with -Dwerror=true; every test runs in at
# least one build:
#
#   build          debugoptimized: every suite (unit, integration, systemd,
#                  daemonize, packaging, lint, bench). packaging builds the
#                  .deb and the .rpm, each a full compile of its own.
#   build-release  release (-O3): compiled only, for GCC's warnings at -O3,
#                  which it does not give at -O2; no tests, no benchmark.
#                  It compiles at nice 19 while build's tests run, some of
#                  which hold one core or none (the serial daemonize and
#                  systemd tests, lintian, rpm's packaging steps, container
#                  boots): it takes the idle core and yields otherwise.
#   build-asan     ASan+UBSan at -O1 -g1: unit, integration.
#   build-tsan     TSan at -O1 -g1: unit, integration.
#   fuzz           tests/run-fuzz.sh: clang, libFuzzer, a short bounded run.
#
# Last, a check that the host is as the suite found it: nothing changed
# under /usr/local, /etc, /srv or /dev/mqueue.
#
# Where the time goes (2 cores): compiling. Per file, GCC's ASan+UBSan at
# -O2 -g costs 3.3 to 3.7 times a plain -O2 -g compile, at -O1 -g1 (line
# tables: reports still name file and line) 1.6 to 2 times; TSan 1.05 to
# 1.4 times at -O2 -g, 0.75 at -O1 -g1. The sanitizer builds leave out the
# benchmark (a fifth of a build) and the man pages, whose suites they do
# not run.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

sh packaging/install-deps.sh

# After install-deps.sh (apt-get changes /etc and /usr), before any test.
host_snapshot=$(mktemp /tmp/fileserver-host-state.XXXXXX)
release_log=$(mktemp /tmp/fileserver-build-release.XXXXXX)
trap 'rm -f "$host_snapshot" "$release_log"' EXIT
python3 tests/lint/host-state.py snapshot "$host_snapshot"

# Any sanitizer report fails the process that made it, and so the test.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

declare -a summaries=()
status=0

summarize() { # name, testlog.json: "name: N passed, N failed, N skipped"
	python3 - "$1" "$2" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[2]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else: bad += 1
print(f"{sys.argv[1]}: {ok} passed, {bad} failed, {skip} skipped")
PY
}

configure_and_build() { # name, meson options...
	local name=$1
	shift
	echo "=== $name: configure and build"
	rm -rf "${top:?}/$name"
	meson setup "$top/$name" -Dwerror=true "$@" >/dev/null && ninja -C "$top/$name"
}

run_build() { # name, meson options..., -- test suites...
	local name=$1
	shift
	local -a opts=() suites=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	for s in "$@"; do suites+=(--suite "$s"); done

	if ! configure_and_build "$name" "${opts[@]}"; then
		summaries+=("$name: 0 passed, 1 failed, 0 skipped (the build failed)")
		status=1
		return
	fi
	echo "=== $name: test (${*:-all})"
	if ! meson test -C "$top/$name" --no-rebuild --print-errorlogs --num-processes 2 "${suites[@]}"; then
		status=1
	fi
	summaries+=("$(summarize "$name" "$top/$name/meson-logs/testlog.json")")
}

# The release build has no tests: it is compiled at nice 19 while build's
# tests run (see the top), and waited for after them.
release_opts=(--buildtype=release -Dtests=disabled -Dbench=disabled -Dman=disabled)
sanitizer_opts=(-Doptimization=1 -Ddebug=false -Dcpp_args=-g1 -Dbench=disabled -Dman=disabled)

release_ok=1
if configure_and_build build -Dbuildtype=debugoptimized; then
	(
		renice -n 19 -p "$BASHPID" >/dev/null
		configure_and_build build-release "${release_opts[@]}"
	) >"$release_log" 2>&1 &
	release_pid=$!
	echo "=== build: test (all); build-release compiles meanwhile"
	meson test -C "$top/build" --no-rebuild --print-errorlogs --num-processes 2 || status=1
	summaries+=("$(summarize build "$top/build/meson-logs/testlog.json")")
	wait "$release_pid" || release_ok=0
else
	summaries+=("build: 0 passed, 1 failed, 0 skipped (the build failed)")
	status=1
	configure_and_build build-release "${release_opts[@]}" >"$release_log" 2>&1 || release_ok=0
fi
if [ "$release_ok" = 1 ]; then
	echo "=== build-release: compiled"
	summaries+=("build-release: 1 passed, 0 failed, 0 skipped (compiled, no tests)")
else
	echo "=== build-release: the build failed:"
	tail -n 60 "$release_log"
	summaries+=("build-release: 0 passed, 1 failed, 0 skipped (the build failed)")
	status=1
fi

run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false "${sanitizer_opts[@]}" -- unit integration
run_build build-tsan -Db_sanitize=thread "${sanitizer_opts[@]}" -- unit integration

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
