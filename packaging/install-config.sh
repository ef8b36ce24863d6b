#!/bin/sh
# SPDX-License-Identifier: MIT
#
# meson install script: installs the default configuration file into DIR
# (under $DESTDIR) unless a file of that name is already there, so that
# installing a new build over an old one keeps the administrator's changes.
# Package builds install into an empty DESTDIR and always get the file; the
# package manager then treats it as a configuration file.
#
# Usage: install-config.sh FILE DIR
set -eu
src=$1
dir=${DESTDIR:-}$2
dest=$dir/$(basename "$src")
if [ -e "$dest" ] || [ -L "$dest" ]; then
	echo "Keeping existing $dest (the new default is $src)"
	exit 0
fi
install -d -m 0755 "$dir"
install -m 0644 "$src" "$dest"
echo "Installing $src to $dir"
