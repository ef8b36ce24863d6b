#!/bin/bash
# SPDX-License-Identifier: MIT
#
# libfileserver-client as a program outside the tree sees it: installs the
# build into a DESTDIR ("meson install --destdir"), checks what the library
# exports and needs, compiles the installed examples/fetch-file.c with the
# flags of the installed fileserver-client.pc (pkg-config with
# PKG_CONFIG_SYSROOT_DIR), runs it against a fileserverd of the build
# (LD_LIBRARY_PATH into the DESTDIR) and compares the file byte for byte.
#
# Usage: install-test.sh BUILDDIR FILESERVERD
# Environment: KEEP_TMP=1 keeps the temporary directory; FILESERVER_SANITIZE
# (meson's b_sanitize) other than "none" skips the test (exit 77).

set -u
# shellcheck source=../lib/report.sh
. "$(dirname "$0")/../lib/report.sh"

builddir=${1:-}
fileserverd=${2:-}
[ -d "$builddir" ] && [ -x "$fileserverd" ] || die "usage: $0 BUILDDIR FILESERVERD"
case ${FILESERVER_SANITIZE:-none} in
none) ;;
*) skip "the build uses -fsanitize=$FILESERVER_SANITIZE: a plain cc cannot link its library" ;;
esac
for tool in pkg-config cc readelf nm meson cmp; do
	command -v "$tool" >/dev/null || skip "$tool not found"
done

tmp=$(mktemp -d /tmp/fileserver-libclient-install.XXXXXX) || die "mktemp failed"
queue=/fileserver-libclient-install-$$-$RANDOM
daemon=
cleanup() {
	local rc=$?
	if [ -n "$daemon" ]; then
		kill "$daemon" 2>/dev/null
		wait "$daemon" 2>/dev/null
	fi
	# The server leaves its queue by design; /dev/mqueue is not mounted
	# everywhere, so mq_unlink() it (python's ctypes), else remove the file.
	python3 -c 'import ctypes, sys; ctypes.CDLL("librt.so.1").mq_unlink(sys.argv[1].encode())' \
		"$queue" 2>/dev/null || rm -f "/dev/mqueue${queue}"
	if [ "${KEEP_TMP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

dest=$tmp/dest
# Not --no-rebuild: meson test builds only what the tests depend on, and
# this one installs everything.
if ! meson install -C "$builddir" --quiet --destdir "$dest" >"$tmp/install.log" 2>&1; then
	die "meson install --destdir failed: $(tail -n 20 "$tmp/install.log")"
fi

pc=$(find "$dest" -name fileserver-client.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || die "no fileserver-client.pc installed"
export PKG_CONFIG_PATH=${pc%/*} PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=${pc%/*}
# The variables as installed (pkgconf would put the sysroot in front).
pcvar() { PKG_CONFIG_SYSROOT_DIR= pkg-config --variable="$1" fileserver-client; }
libdir=$(pcvar libdir)
includedir=$(pcvar includedir)
prefix=$(pcvar prefix)
lib=$dest$libdir/libfileserver-client.so.0.1.0

# -- what is installed -------------------------------------------------------

missing=()
for f in "$includedir/fileserver/client.h" "$libdir/libfileserver-client.so" \
	"$libdir/libfileserver-client.so.0" "$libdir/libfileserver-client.so.0.1.0" \
	"$prefix/share/doc/libfileserver-client-dev/examples/fetch-file.c"; do
	[ -e "$dest$f" ] || missing+=("$f")
done
calls=(error_message session_open session_close signal_cleanup ping status stat get_fd get_cb get_ahead list_open list_next list_close)
for c in "${calls[@]}"; do
	[ -e "$dest$prefix/share/man/man3/fileserver_$c.3" ] || missing+=("man3/fileserver_$c.3")
done
[ -e "$dest$prefix/share/man/man3/libfileserver-client.3" ] || missing+=("man3/libfileserver-client.3")
if [ ${#missing[@]} = 0 ]; then
	pass "installed: header, library and its links, .pc, example, man3 pages for all ${#calls[@]} calls"
else
	fail "installed files missing" "${missing[@]}"
fi

[ "$(readlink "$dest$libdir/libfileserver-client.so")" = libfileserver-client.so.0 ] &&
	[ "$(readlink "$dest$libdir/libfileserver-client.so.0")" = libfileserver-client.so.0.1.0 ] &&
	pass "links: libfileserver-client.so -> .so.0 -> .so.0.1.0" ||
	fail "links of libfileserver-client.so" "$(ls -l "$dest$libdir"/libfileserver-client.so*)"

# -- what the library exports and needs --------------------------------------

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libfileserver-client.so.0 ] && pass "SONAME libfileserver-client.so.0" ||
	fail "SONAME is '$soname'"

exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | LC_ALL=C sort)
expected=$(for c in "${calls[@]}"; do echo "fileserver_$c@@FILESERVER_CLIENT_0"; done; echo FILESERVER_CLIENT_0)
expected=$(echo "$expected" | LC_ALL=C sort)
if [ "$exported" = "$expected" ]; then
	pass "exports exactly the ${#calls[@]} fileserver_* calls, version FILESERVER_CLIENT_0"
else
	fail "exported symbols differ (- expected, + exported)" "$(diff <(echo "$expected") <(echo "$exported") | grep '^[-+]')"
fi

needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
unexpected=$(echo "$needed" | grep -Ev '^(libstdc\+\+\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libm\.so\.6|ld-linux[-a-z0-9_.]*\.so\.[0-9]+)$')
if [ -z "$unexpected" ] && grep -qx 'libc\.so\.6' <<<"$needed"; then
	pass "needs only the C and C++ runtimes: $(echo $needed)"
else
	fail "needs more than the C and C++ runtimes (no spdlog, fmt, libsystemd)" $unexpected
fi

# -- a program built against the installed files ------------------------------

flags=$(pkg-config --cflags --libs fileserver-client)
case "$flags" in
*"-I$dest"*"-L$dest"*) pass "pkg-config: $flags" ;;
*) fail "pkg-config flags do not point into the DESTDIR: $flags" ;;
esac

example=$dest$prefix/share/doc/libfileserver-client-dev/examples/fetch-file.c
# shellcheck disable=SC2086
if cc -std=c99 -Wall -Wextra -Werror -pedantic -o "$tmp/fetch-file" "$example" $flags 2>"$tmp/cc.log"; then
	pass "the installed fetch-file.c compiles with pkg-config's flags (C99, -Wall -Wextra -pedantic)"
else
	fail "cc of the installed fetch-file.c" "$(cat "$tmp/cc.log")"
	finish
	exit
fi
export LD_LIBRARY_PATH=$dest$libdir
resolved=$(ldd "$tmp/fetch-file" | awk '$1 == "libfileserver-client.so.0" {print $3}')
[ "$resolved" = "$dest$libdir/libfileserver-client.so.0" ] &&
	pass "fetch-file loads libfileserver-client.so.0 from the DESTDIR" ||
	fail "fetch-file loads libfileserver-client.so.0 from '$resolved'"

# -- against a running server ------------------------------------------------

root=$tmp/root
mkdir -p "$root/sub"
head -c 1234567 /dev/urandom >"$root/sub/data.bin"
printf '{"root": "%s", "queue": "%s", "workers": 2, "log_level": "info", "queue_max_messages": 10, "queue_message_size": 4416}\n' \
	"$root" "$queue" >"$tmp/fileserver.json"
"$fileserverd" --config "$tmp/fileserver.json" >"$tmp/fileserverd.log" 2>&1 &
daemon=$!

# fetch-file exits 1 while no server answers.
ready() { "$tmp/fetch-file" -q "$queue" -t 500 sub/data.bin "$tmp/out.bin" 2>/dev/null; }
if ! wait_for 10 ready; then
	fail "no server ready on $queue" "$(cat "$tmp/fileserverd.log")"
	finish
	exit
fi
cmp -s "$root/sub/data.bin" "$tmp/out.bin" && pass "fetch-file PATH OUTPUT: the same bytes" ||
	fail "fetch-file PATH OUTPUT: the output differs from the served file"

"$tmp/fetch-file" -q "$queue" sub/data.bin >"$tmp/stdout.bin" 2>"$tmp/err.log"
rc=$?
[ $rc = 0 ] && cmp -s "$root/sub/data.bin" "$tmp/stdout.bin" && pass "fetch-file PATH: the same bytes on standard output" ||
	fail "fetch-file PATH to standard output (exit $rc)" "$(cat "$tmp/err.log")"

"$tmp/fetch-file" -q "$queue" sub/missing "$tmp/x" 2>"$tmp/err.log"
rc=$?
[ $rc = 3 ] && grep -q "sub/missing" "$tmp/err.log" && pass "a missing file: exit 3, named in the message" ||
	fail "a missing file: exit $rc (expected 3)" "$(cat "$tmp/err.log")"

"$tmp/fetch-file" -q "$queue" sub "$tmp/x" 2>"$tmp/err.log"
rc=$?
[ $rc = 4 ] && pass "a directory: exit 4" || fail "a directory: exit $rc (expected 4)" "$(cat "$tmp/err.log")"

"$tmp/fetch-file" -q "$queue-none" sub/data.bin "$tmp/x" 2>"$tmp/err.log"
rc=$?
[ $rc = 1 ] && grep -q "no server queue" "$tmp/err.log" && pass "no server: exit 1, said so" ||
	fail "no server: exit $rc (expected 1)" "$(cat "$tmp/err.log")"

finish
