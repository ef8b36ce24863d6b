#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Builds the Debian packages (fileserver, fileserver-client) from this tree:
# copies the sources (not the build directories) into a temporary directory,
# puts packaging/debian there as debian/, runs "dpkg-buildpackage -us -uc -b"
# and moves the .deb, .buildinfo and .changes files to OUTDIR.
#
# Usage: packaging/build-deb.sh [OUTDIR]      (default: the current directory)
# Environment: DEB_BUILD_OPTIONS as usual (default "parallel=<CPUs>"; add
# "nocheck" to skip the unit tests), KEEP_TMP=1 keeps the build tree.
# Needs the build dependencies (packaging/install-deps.sh, or
# "apt-get build-dep ./" from a tree that has debian/).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
outdir=${1:-.}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v "$tool" >/dev/null || {
		echo "build-deb.sh: $tool not found (apt-get install dpkg-dev debhelper)" >&2
		exit 1
	}
done

version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
upstream=${version%-*}
upstream=${upstream#*:}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fileserver-deb.XXXXXX")
cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "build-deb.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

src=$tmp/fileserver-$upstream
mkdir -p "$src"

# The files git knows about plus new ones it does not ignore; without git
# (or outside a work tree), everything except build and VCS directories.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
		tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
		--exclude=__pycache__ --exclude='*.pyc' -cf - . | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$top/packaging/debian" "$src/debian"

: "${DEB_BUILD_OPTIONS:=parallel=$(nproc)}"
export DEB_BUILD_OPTIONS

echo "build-deb.sh: building fileserver $version in $src (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"
(cd "$src" && dpkg-buildpackage -us -uc -b)

shopt -s nullglob
artifacts=("$tmp"/*.deb "$tmp"/*.ddeb "$tmp"/*.buildinfo "$tmp"/*.changes)
[ ${#artifacts[@]} -gt 0 ] || { echo "build-deb.sh: dpkg-buildpackage produced nothing" >&2; exit 1; }
mv -f "${artifacts[@]}" "$outdir/"
echo "build-deb.sh: in $outdir:"
for f in "${artifacts[@]}"; do echo "  ${f##*/}"; done
