#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Builds packaging/rpm/fileserver.spec with rpmbuild from a tarball of this
# tree and checks what the packages hold: files, configuration files,
# scriptlets. The packages are not installed. rpmlint runs if present
# (report only: on Debian it lacks the distribution's configuration).
#
# The full build compiles the project once more (1.5 to 2 minutes on two
# cores), which the CI run (tests/run-all.sh) cannot afford next to the
# Debian package test: by default this test only parses the spec and runs
# its %prep on the tarball; FILESERVER_TEST_RPM=1 builds the packages.
#
# On a host without Fedora's RPM macros (Debian's rpm package has neither
# %meson nor the systemd ones) it loads rpm-macros.fallback, and rpmbuild
# runs with --nodeps, as the build dependencies are Debian packages, unknown
# to the RPM database.
#
# Usage: rpm-test.sh SRCDIR
# Environment: FILESERVER_TEST_RPM=1 builds the packages (rpmbuild -bb);
# FILESERVER_RPM_CHECK=1 also runs the spec's %check (the unit tests);
# KEEP_TMP=1 keeps the temporary directory.
# Exits 77 (skipped) without rpmbuild.

set -u
export LC_ALL=C

say() { printf '%s\n' "$*"; }
skip() { say "SKIP: $*"; exit 77; }
die() { say "ERROR: $*"; exit 99; }

srcdir=${1:-}
[ -n "$srcdir" ] && [ -f "$srcdir/packaging/rpm/fileserver.spec" ] || die "usage: $0 SRCDIR (the top of the fileserver tree)"
srcdir=$(cd "$srcdir" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
spec=$srcdir/packaging/rpm/fileserver.spec

for tool in rpmbuild rpmspec rpm tar; do
	command -v "$tool" >/dev/null || skip "$tool not found (apt-get install rpm)"
done

failures=0
checks=0
pass() { checks=$((checks + 1)); say "PASS: $1"; }
fail() {
	checks=$((checks + 1)); failures=$((failures + 1))
	say "FAIL: $1"; shift
	local l; for l in "$@"; do say "$l" | sed 's/^/      /'; done
}

tmp=$(mktemp -d /tmp/fileserver-rpm-test.XXXXXX) || die "mktemp failed"
cleanup() {
	local rc=$?
	if [ "${KEEP_TMP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

top=$tmp/rpmbuild
mkdir -p "$top/SOURCES"
rpm_opts=(--define "_topdir $top")
deps_opt=()
if [ -z "$(rpm --eval '%{?meson:yes}')" ]; then
	rpm_opts+=(--load "$here/rpm-macros.fallback")
	deps_opt=(--nodeps)
	say "note: no %meson macro on this host: using $here/rpm-macros.fallback and rpmbuild --nodeps"
fi
check_opt=(--without check)
[ "${FILESERVER_RPM_CHECK:-0}" = 1 ] && check_opt=()

name=$(rpmspec "${rpm_opts[@]}" -q --srpm --qf '%{name}' "$spec" 2>"$tmp/rpmspec.err")
version=$(rpmspec "${rpm_opts[@]}" -q --srpm --qf '%{version}' "$spec" 2>>"$tmp/rpmspec.err")
[ -n "$name" ] && [ -n "$version" ] || die "rpmspec cannot parse the spec: $(cat "$tmp/rpmspec.err")"

# Source0: the files git knows about plus new ones it does not ignore
# (as "git archive" would, with the work tree's changes); Source1.
say "== tarball $name-$version.tar.gz"
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$srcdir" ls-files -z --cached --others --exclude-standard |
		(cd "$srcdir" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
		tar -C "$srcdir" --null -T - --transform "s,^,$name-$version/," -czf "$top/SOURCES/$name-$version.tar.gz"
else
	tar -C "$srcdir" --exclude=./.git --exclude='./build*' --exclude='./obj-*' --exclude=__pycache__ \
		--transform "s,^\./,$name-$version/," -czf "$top/SOURCES/$name-$version.tar.gz" .
fi || die "cannot make the tarball"
cp "$srcdir/units/fileserver.sysusers" "$top/SOURCES/$name.sysusers"

if [ "${FILESERVER_TEST_RPM:-0}" != 1 ]; then
	# Quick mode: the spec parses and its sources unpack.
	if rpmspec "${rpm_opts[@]}" -P "$spec" >"$tmp/parsed.spec" 2>"$tmp/rpmspec.err"; then
		pass "rpmspec: the spec parses ($(grep -c '^%package' "$tmp/parsed.spec") subpackage, $(grep -c '^/' "$tmp/parsed.spec") paths in %files)"
	else
		fail "rpmspec -P failed" "$(cat "$tmp/rpmspec.err")"
	fi
	if timeout 300 rpmbuild "${rpm_opts[@]}" "${deps_opt[@]}" -bp "$spec" >"$tmp/prep.log" 2>&1 &&
		[ -f "$top/BUILD/$name-$version/meson.build" ]; then
		pass "rpmbuild -bp: %prep unpacked $name-$version.tar.gz into $name-$version/"
	else
		fail "rpmbuild -bp failed" "$(tail -n 20 "$tmp/prep.log")"
	fi
	say "note: FILESERVER_TEST_RPM=1 builds the packages too (rpmbuild -bb, 1.5 to 2 minutes)"
	say "== $((checks - failures))/$checks checks passed"
	[ $failures = 0 ]
	exit
fi

say "== rpmbuild -bb ${check_opt[*]} ${deps_opt[*]}"
t0=$(date +%s)
if timeout 1500 rpmbuild "${rpm_opts[@]}" "${deps_opt[@]}" "${check_opt[@]}" -bb "$spec" >"$tmp/rpmbuild.log" 2>&1; then
	pass "rpmbuild: built in $(($(date +%s) - t0)) s: $(cd "$top/RPMS" && echo */*.rpm)"
else
	fail "rpmbuild failed" "$(tail -n 40 "$tmp/rpmbuild.log")"
	say "== $((checks - failures))/$checks checks passed"
	exit 1
fi

server=$(ls "$top"/RPMS/*/"$name-$version"-*.rpm 2>/dev/null | grep -v -- '-debug' | head -n1)
client=$(ls "$top"/RPMS/*/"$name-client-$version"-*.rpm 2>/dev/null | head -n1)
[ -n "$server" ] && [ -n "$client" ] || die "no $name and $name-client packages in $top/RPMS"

# has_file RPM PATH: man pages are compressed as the distribution does it.
has_file() {
	case $2 in
	*/man/*) rpm -qlp "$1" 2>/dev/null | grep -qxE "${2%.gz}(\.gz|\.bz2|\.xz|\.zst)?" ;;
	*) rpm -qlp "$1" 2>/dev/null | grep -qxF "$2" ;;
	esac
}
missing=
for f in /usr/sbin/fileserverd /usr/lib/systemd/system/fileserver.service /usr/lib/systemd/system/fileserver.socket \
	/usr/lib/systemd/system/fileserver@.service /usr/lib/sysusers.d/fileserver.conf \
	/usr/lib/tmpfiles.d/fileserver.conf /etc/fileserver/fileserver.json /usr/share/man/man8/fileserverd.8.gz \
	/usr/share/man/man5/fileserver.json.5.gz /usr/share/bash-completion/completions/fileserverd; do
	has_file "$server" "$f" || missing="$missing $name:$f"
done
for f in /usr/bin/fileserverctl /usr/share/man/man1/fileserverctl.1.gz /usr/share/bash-completion/completions/fileserverctl; do
	has_file "$client" "$f" || missing="$missing $name-client:$f"
done
if [ -z "$missing" ]; then
	pass "contents: daemon, units, sysusers.d, tmpfiles.d, configuration, man 8+5, completion in $name; client, man 1, completion in $name-client"
else
	fail "contents: missing:$missing" "$(rpm -qlp "$server" "$client" 2>&1)"
fi

config=$(rpm -qcp "$server" 2>&1)
scripts=$(rpm -qp --scripts "$server" 2>&1)
pre=$(sed -n '/^preinstall scriptlet/,/^[a-z]* scriptlet/p' <<<"$scripts")
if [ "$config" = /etc/fileserver/fileserver.json ] && grep -q 'u *fileserver' <<<"$pre" &&
	grep -q 'systemd-tmpfiles --create' <<<"$scripts"; then
	pass "scriptlets: %config /etc/fileserver/fileserver.json; %pre creates the user fileserver; %post creates the root"
else
	fail "configuration files and scriptlets" "rpm -qc: $config" "$scripts"
fi

if command -v rpmlint >/dev/null; then
	timeout 120 rpmlint "$server" "$client" "$spec" >"$tmp/rpmlint.log" 2>&1
	say "rpmlint (report only): $(grep -E '[0-9]+ errors?, [0-9]+ warnings?' "$tmp/rpmlint.log" | tail -n1)"
	grep -E '^[^ ]+: [EW]: ' "$tmp/rpmlint.log" | sed 's/^/      /'
fi

say "== $((checks - failures))/$checks checks passed"
[ $failures = 0 ]
