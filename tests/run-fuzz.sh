#!/bin/bash
# Builds the libFuzzer harnesses of fuzz/ with clang, ASan and UBSan, and
# runs each for FUZZ_SECONDS (default 30) on a copy of its seed corpus, all
# at once. Fails, and prints the reproducer, if a fuzzer finds a crash, a
# leak, a timeout or runs out of memory.
#
# Installs nothing. Besides the build dependencies (packaging/install-deps.sh)
# it needs, on Debian 12: clang and libclang-rt-14-dev (libFuzzer and the
# sanitizer runtimes; only a Recommends of clang, so name it). Optional:
# llvm-14, whose llvm-symbolizer puts function names and lines in reports.
#
# Environment: FUZZ_SECONDS (per fuzzer), FUZZ_BUILDDIR (default build-fuzz
# in the source tree; it is wiped first).
set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD
seconds=${FUZZ_SECONDS:-30}
builddir=${FUZZ_BUILDDIR:-$top/build-fuzz}
case $builddir in /*) ;; *) builddir=$top/$builddir ;; esac

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
	echo "run-fuzz: FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
	exit 2
fi
for tool in clang clang++ meson ninja; do
	if ! command -v "$tool" >/dev/null; then
		echo "run-fuzz: $tool not found (Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
		exit 2
	fi
done

echo "=== fuzz: configure and build ($builddir)"
rm -rf "$builddir"
mkdir -p "$builddir"
# -fsanitize=fuzzer-no-link gives libFuzzer the coverage of libfileserver,
# where the decoders live; the harnesses add -fsanitize=fuzzer themselves.
if ! CC=clang CXX=clang++ meson setup "$builddir" \
	-Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dtests=disabled -Dman=disabled -Dwerror=true \
	-Dcpp_args=-fsanitize=fuzzer-no-link >"$builddir/setup.log" 2>&1; then
	cat "$builddir/setup.log" >&2
	exit 1
fi
ninja -C "$builddir" fuzzers

# Any sanitizer report is fatal, so libFuzzer saves the input that made it.
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
unset LSAN_OPTIONS TSAN_OPTIONS || true
# Reports name functions and lines only with llvm-symbolizer, which Debian
# installs unversioned with the llvm package but versioned with llvm-14.
if ! command -v llvm-symbolizer >/dev/null; then
	for s in /usr/bin/llvm-symbolizer-* /usr/lib/llvm-*/bin/llvm-symbolizer; do
		if [ -x "$s" ]; then
			export ASAN_SYMBOLIZER_PATH=$s
			break
		fi
	done
fi

# name, libFuzzer options...
fuzzers=(
	"request -max_len=4608"
	"reply -max_len=4096"
	"config -max_len=4096 -dict=$top/fuzz/config.dict"
	"text -max_len=1024"
)

echo "=== fuzz: running ${#fuzzers[@]} fuzzers for ${seconds} s each"
declare -A pids=()
for spec in "${fuzzers[@]}"; do
	read -r -a words <<<"$spec"
	name=${words[0]}
	work=$builddir/fuzz-run/$name
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	# A copy: libFuzzer adds what it finds to its first corpus directory.
	cp -R "$top/fuzz/corpus/$name/." "$work/corpus/"
	"$builddir/fuzz/fuzz-$name" "${words[@]:1}" \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
		"$work/corpus" </dev/null >"$work/fuzz.log" 2>&1 &
	pids[$name]=$!
done

status=0
declare -a summaries=()
for spec in "${fuzzers[@]}"; do
	name=${spec%% *}
	work=$builddir/fuzz-run/$name
	log=$work/fuzz.log
	rc=0
	wait "${pids[$name]}" || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
	artifacts=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
		-o -name 'oom-*' \) | sort)

	line="fuzz-$name: ${execs:-?} execs (${speed:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
	if [ "$rc" -eq 0 ] && [ -z "$artifacts" ]; then
		summaries+=("$line: ok")
		continue
	fi
	status=1
	summaries+=("$line: FAILED (exit status $rc)")
	echo "=== fuzz-$name FAILED (exit status $rc); end of $log:"
	# The sanitizer report or libFuzzer's deadly-signal report, with the
	# input that caused it.
	grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|RELOAD)' "$log" | tail -n 60
	if [ -z "$artifacts" ]; then
		echo "no reproducer was written (see $log)"
	fi
	while read -r a; do
		[ -n "$a" ] || continue
		size=$(stat -c %s "$a")
		echo "--- reproducer: $a ($size bytes)"
		echo "    hex$([ "$size" -gt 1024 ] && echo ' (first 1024 bytes)'): $(head -c 1024 "$a" | od -An -v -tx1 | tr -d ' \n')"
		echo "    rerun: $builddir/fuzz/fuzz-$name $a"
	done <<<"$artifacts"
done

echo "=== fuzz: summary"
printf '%s\n' "${summaries[@]}"
exit $status
