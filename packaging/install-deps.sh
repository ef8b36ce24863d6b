#!/bin/sh
# Installs what building, running and testing fileserver needs on Debian 12,
# packaging included (dpkg-buildpackage, lintian, rpmbuild).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
	g++ meson ninja-build pkg-config \
	libsystemd-dev nlohmann-json3-dev libspdlog-dev libfmt-dev doctest-dev \
	scdoc groff-base mandoc python3 \
	systemd systemd-container dbus \
	bash-completion \
	dpkg-dev debhelper fakeroot lintian \
	rpm \
	clang libclang-rt-14-dev llvm-14 clang-format-14
