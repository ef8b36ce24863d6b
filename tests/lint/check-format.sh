#!/bin/sh
# SPDX-License-Identifier: MIT
#
# clang-format --dry-run --Werror (version 14, the repo's .clang-format) on
# every C++ file of the tree: src, fuzz, bench. Prints the drift and exits 1
# if any file is not formatted; exits 77 (skipped) without clang-format 14.
#
# Usage: check-format.sh [TOP]   (default: the tree this script is in)
set -u
top=${1:-$(dirname "$0")/../..}
cd "$top" || exit 99

cf=
for c in clang-format-14 clang-format; do
	if command -v "$c" >/dev/null && "$c" --version | grep -q 'version 14\.'; then cf=$c; break; fi
done
[ -n "$cf" ] || { echo "SKIP: clang-format 14 not found (apt-get install clang-format-14)"; exit 77; }

files=$(find src fuzz bench -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.hpp' -o -name '*.cc' \) | LC_ALL=C sort)
[ -n "$files" ] || { echo "check-format: no C++ file found under $PWD"; exit 99; }
# shellcheck disable=SC2086
if "$cf" --dry-run --Werror $files; then
	echo "check-format: $(echo "$files" | wc -l) files formatted as .clang-format says"
else
	bad=$(for f in $files; do "$cf" --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
	echo "check-format: not formatted (run clang-format -i on them):"
	echo "$bad" | sed 's/^/  /'
	exit 1
fi
