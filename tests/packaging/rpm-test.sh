#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Builds packaging/rpm/fileserver.spec with rpmbuild -bb from a tarball of
# this tree and checks what the packages hold: files, configuration files,
# scriptlets, and that their file list is exactly what "meson install" puts
# into a DESTDIR for the same build (prefix /usr). The packages are not
# installed. rpmlint runs if present (report only: on Debian it lacks the
# distribution's configuration).
#
# The build compiles the project once more (1.5 to 2 minutes on two cores,
# the unit tests left out). FILESERVER_TEST_RPM=0 only parses the spec and
# runs its %prep on the tarball (a few seconds).
#
# On a host without Fedora's RPM macros (Debian's rpm package has neither
# %meson nor the systemd ones) it loads rpm-macros.fallback, and rpmbuild
# runs with --nodeps, as the build dependencies are Debian packages, unknown
# to the RPM database.
#
# Usage: rpm-test.sh SRCDIR
# Environment: FILESERVER_TEST_RPM=0 skips the build (rpmspec and -bp only);
# FILESERVER_RPM_CHECK=1 also runs the spec's %check (the unit tests);
# KEEP_TMP=1 keeps the temporary directory.
# Exits 77 (skipped) without rpmbuild.

set -u
# shellcheck source=../lib/report.sh
. "$(dirname "$0")/../lib/report.sh"

srcdir=${1:-}
[ -n "$srcdir" ] && [ -f "$srcdir/packaging/rpm/fileserver.spec" ] || die "usage: $0 SRCDIR (the top of the fileserver tree)"
srcdir=$(cd "$srcdir" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
spec=$srcdir/packaging/rpm/fileserver.spec

for tool in rpmbuild rpmspec rpm tar; do
	command -v "$tool" >/dev/null || skip "$tool not found (apt-get install rpm)"
done

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

if [ "${FILESERVER_TEST_RPM:-1}" = 0 ]; then
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
	say "note: without FILESERVER_TEST_RPM=0, the packages are built too (rpmbuild -bb, 1.5 to 2 minutes)"
	finish
	exit
fi

say "== rpmbuild -bb --noclean ${check_opt[*]} ${deps_opt[*]}"
t0=$(date +%s)
# --noclean keeps the build directory for the file list check below (the
# whole of $tmp goes at the end).
if timeout 1500 rpmbuild "${rpm_opts[@]}" "${deps_opt[@]}" "${check_opt[@]}" --noclean -bb "$spec" >"$tmp/rpmbuild.log" 2>&1; then
	pass "rpmbuild: built in $(($(date +%s) - t0)) s: $(cd "$top/RPMS" && echo */*.rpm)"
else
	fail "rpmbuild failed" "$(tail -n 40 "$tmp/rpmbuild.log")"
	finish
	exit 1
fi

server=$(ls "$top"/RPMS/*/"$name-$version"-*.rpm 2>/dev/null | grep -v -- '-debug' | head -n1)
client=$(ls "$top"/RPMS/*/"$name-client-$version"-*.rpm 2>/dev/null | head -n1)
libs=$(ls "$top"/RPMS/*/"$name-client-libs-$version"-*.rpm 2>/dev/null | head -n1)
devel=$(ls "$top"/RPMS/*/"$name-client-devel-$version"-*.rpm 2>/dev/null | head -n1)
[ -n "$server" ] && [ -n "$client" ] && [ -n "$libs" ] && [ -n "$devel" ] ||
	die "no $name, $name-client, $name-client-libs and $name-client-devel packages in $top/RPMS"

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
libdir=$(rpm "${rpm_opts[@]}" --eval '%{_libdir}')
for f in "$libdir/libfileserver-client.so.0" "$libdir/libfileserver-client.so.0.1.0"; do
	has_file "$libs" "$f" || missing="$missing $name-client-libs:$f"
done
for f in /usr/include/fileserver/client.h "$libdir/libfileserver-client.so" "$libdir/pkgconfig/fileserver-client.pc" \
	/usr/share/man/man3/libfileserver-client.3.gz /usr/share/man/man3/fileserver_get_fd.3.gz \
	/usr/share/man/man3/fileserver_get_cb.3.gz "$(rpm "${rpm_opts[@]}" --eval '%{_defaultdocdir}')/$name-client-devel/examples/fetch-file.c"; do
	has_file "$devel" "$f" || missing="$missing $name-client-devel:$f"
done
if [ -z "$missing" ]; then
	pass "contents: daemon, units, sysusers.d, tmpfiles.d, configuration, man 8+5, completion in $name; client, man 1, completion in $name-client; the library in $name-client-libs; header, .so link, .pc, man 3, example in $name-client-devel"
else
	fail "contents: missing:$missing" "$(rpm -qlp "$server" "$client" "$libs" "$devel" 2>&1)"
fi

# The library: ldconfig scriptlets where the distribution's macros want
# them; the -devel package requires the library of the same build.
libs_scripts=$(rpm -qp --scripts "$libs" 2>&1)
devel_requires=$(rpm -qp --requires "$devel" 2>&1)
if [ -n "$(rpm "${rpm_opts[@]}" --eval '%{?ldconfig}')" ]; then
	ldconfig_ok=$(grep -c 'program: /sbin/ldconfig' <<<"$libs_scripts")
else
	ldconfig_ok=2 # the macros add none (file triggers of glibc run ldconfig)
fi
if [ "$ldconfig_ok" = 2 ] && grep -qE "^$name-client-libs(\(x86-64\)|\([a-z0-9_-]+\))? = $version-" <<<"$devel_requires"; then
	pass "library: %post/%postun ldconfig in $name-client-libs; $name-client-devel requires it ($(grep "^$name-client-libs" <<<"$devel_requires"))"
else
	fail "library scriptlets and requirements" "$name-client-libs scripts:" "$libs_scripts" "$name-client-devel requires:" "$devel_requires"
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

# The packages hold exactly what meson installs for the same build (the
# spec's build directory, prefix /usr), no file more or less. Left out, each
# for a stated reason: directories (rpm lists the ones a package owns, %dir;
# a DESTDIR has every parent); %doc and %license files (copied by rpm from
# the source tree, not installed by meson; and meson's documentation files,
# which each distribution places in its own package's documentation
# directory: checked under "contents" above); /usr/lib/.build-id (links rpm
# adds for debuginfo). Man pages are compared without the compression rpm's
# brp-compress adds.
builddir=$top/BUILD/$name-$version/$(rpm "${rpm_opts[@]}" --eval '%{_vpath_builddir}')
docdir=$(rpm "${rpm_opts[@]}" --eval '%{_defaultdocdir}')
licensedir=$(rpm "${rpm_opts[@]}" --eval '%{_defaultlicensedir}')
rpm_files() {
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$server" "$client" "$libs" "$devel" 2>/dev/null |
		awk '$1 !~ /^d/ { print $2 }' |
		grep -v -e "^$docdir/" -e "^$licensedir/" -e '^/usr/lib/\.build-id/' |
		sed -E 's,^(/usr/share/man/.*)\.(gz|bz2|xz|zst)$,\1,' | LC_ALL=C sort -u
}
if [ -f "$builddir/build.ninja" ] &&
	DESTDIR="$tmp/meson-destdir" meson install -C "$builddir" --no-rebuild --quiet >"$tmp/meson-install.log" 2>&1; then
	(cd "$tmp/meson-destdir" && find . ! -type d | sed 's,^\.,,' | grep -v "^$docdir/" | LC_ALL=C sort) >"$tmp/meson.files"
	rpm_files >"$tmp/rpm.files"
	if diff -u "$tmp/meson.files" "$tmp/rpm.files" >"$tmp/files.diff"; then
		pass "file list: the packages hold the $(wc -l <"$tmp/rpm.files") files meson installs into a DESTDIR (prefix /usr), no more, no less"
	else
		fail "file list: rpm -qlp differs from meson install (- only meson installs it, + only the packages hold it)" \
			"$(tail -n +3 "$tmp/files.diff" | grep '^[-+]')"
	fi
else
	fail "file list: cannot install the spec's build directory $builddir into a DESTDIR" "$(tail -n 20 "$tmp/meson-install.log" 2>/dev/null)"
fi

if command -v rpmlint >/dev/null; then
	timeout 120 rpmlint "$server" "$client" "$libs" "$devel" "$spec" >"$tmp/rpmlint.log" 2>&1
	say "rpmlint (report only): $(grep -E '[0-9]+ errors?, [0-9]+ warnings?' "$tmp/rpmlint.log" | tail -n1)"
	grep -E '^[^ ]+: [EW]: ' "$tmp/rpmlint.log" | sed 's/^/      /'
fi

finish
