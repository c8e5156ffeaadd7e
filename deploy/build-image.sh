#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-image.sh - the fwctl container image, built with no registry:
#   1. a base image, imported (`docker import`) from a scratch-like root
#      filesystem holding only the shared libraries fwctl links (ldd), libxdp's
#      xdp-dispatcher.o, a static busybox for the node script's shell, and
#      /etc/protocols;
#   2. deploy/Dockerfile on top of it: fwctl and deploy/fwctl-node.sh.
# The build context is a folder of its own with just those files, so nothing
# else of the tree is sent to the engine.
#
# usage: deploy/build-image.sh [-f FWCTL] [-t TAG] [-b BASE_TAG]
#   -f FWCTL   the fwctl binary to ship (default build/fwctl)
#   -t TAG     the image (default fwctl:$(cat VERSION))
#   -b BASE    the base image (default fwctl-base:bookworm)
# DOCKER (default docker) and DOCKER_HOST choose the engine. Prints the image
# ID on success.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
fwctl=$ROOT/build/fwctl
tag=fwctl:$(cat "$ROOT/VERSION")
base='fwctl-base:bookworm'
DOCKER=${DOCKER:-docker}

die() {
	echo "build-image.sh: $*" >&2
	exit 1
}

while getopts f:t:b:h opt; do
	case $opt in
	f) fwctl=$OPTARG ;;
	t) tag=$OPTARG ;;
	b) base=$OPTARG ;;
	*)
		sed -n 's/^# usage: /usage: /p; s/^#   -/  -/p' "${BASH_SOURCE[0]}" >&2
		exit 2
		;;
	esac
done
[ -x "$fwctl" ] || die "no fwctl binary at '$fwctl' (make build/fwctl)"
busybox=$(command -v busybox) || die "needs busybox (apt-get install busybox-static)"
bash "$ROOT/tools/is-static.sh" "$busybox" ||
	die "$busybox is not static (apt-get install busybox-static)"
command -v "$DOCKER" >/dev/null || die "needs the docker client ($DOCKER)"

work=$(mktemp -d /tmp/fwctl-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
ctx=$work/context
# Merged /usr as on the host: /lib and /lib64 lead into /usr, so a library
# and libxdp's objects are where both ldd's path and the compiled-in one say.
mkdir -p "$rootfs"/{bin,etc/fwctl,usr/lib,usr/lib64,usr/sbin,proc,sys/fs/bpf,dev,run/netns,tmp}
ln -s usr/lib "$rootfs/lib"
ln -s usr/lib64 "$rootfs/lib64"
mkdir -p "$rootfs/var" && ln -s ../run "$rootfs/var/run"
chmod 1777 "$rootfs/tmp"

# Every library fwctl loads, at the path the loader looks for it; and those
# it opens (dlopen) with their own: libcurl for container: targets,
# libmicrohttpd for watch --metrics-listen.
curl_lib=$(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
[ -n "$curl_lib" ] || die "libcurl.so.4 not found (apt-get install libcurl4)"
mhd_lib=$(ldconfig -p | awk '$1 == "libmicrohttpd.so.12" { print $NF; exit }')
[ -n "$mhd_lib" ] || die "libmicrohttpd.so.12 not found (apt-get install libmicrohttpd12)"
libs=$( (echo "$curl_lib"; echo "$mhd_lib"; ldd "$fwctl" "$curl_lib" "$mhd_lib") |
	awk '/=> \// { print $3 } /^\t\// { print $1 } /^\// && !/:$/ { print $1 }' | sort -u)
[ -n "$libs" ] || die "ldd found no libraries for $fwctl"
for lib in $libs; do
	mkdir -p "$rootfs$(dirname "$lib")"
	cp -L "$lib" "$rootfs$lib"
done

# libxdp loads its dispatcher from an object file next to it, and fails the
# attach (not only the dispatcher) when the file is missing.
for lib in $libs; do
	case ${lib##*/} in
	libxdp.so*)
		obj=$(dirname "$(readlink -f "$lib")")/bpf/xdp-dispatcher.o
		[ -r "$obj" ] || die "libxdp's $obj is missing (apt-get install libxdp1)"
		mkdir -p "$rootfs$(dirname "$obj")"
		cp "$obj" "$rootfs$obj"
		;;
	esac
done

# The node script's shell and tools: one static binary and its applet links.
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh cat cut date echo ls mkdir rm sha256sum sleep stat timeout; do
	ln -s busybox "$rootfs/bin/$applet"
done
[ -r /etc/protocols ] && cp /etc/protocols "$rootfs/etc/protocols"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"

tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
"$DOCKER" import \
	--change 'ENV PATH=/usr/sbin:/bin' \
	--message "fwctl base: the libraries of $(basename "$fwctl") and busybox" \
	"$work/rootfs.tar" "$base" >/dev/null

mkdir -p "$ctx"
cp "$fwctl" "$ctx/fwctl"
cp "$ROOT/deploy/fwctl-node.sh" "$ctx/fwctl-node"
chmod 0755 "$ctx/fwctl" "$ctx/fwctl-node"
cp "$ROOT/deploy/Dockerfile" "$ctx/Dockerfile"
# The classic builder uses the local base as it is; it never asks a registry.
DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg "BASE=$base" \
	--build-arg "VERSION=$(cat "$ROOT/VERSION")" -t "$tag" "$ctx"
