#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages fwctl needs to build, test and benchmark, but only
# those missing, so a machine that has them all never touches apt.
set -euo pipefail

PKGS=(
	clang llvm gcc make pkg-config bpftool
	libbpf-dev libxdp-dev libnl-3-dev libnl-route-3-dev libelf-dev zlib1g-dev
	libjansson-dev libcurl4-openssl-dev
	iproute2 xdp-tools netsniff-ng nftables iptables busybox-static
	util-linux libcap2-bin procps psmisc kmod jq curl
	man-db groff-base systemd python3-yaml tmux strace docker.io
	python3-scapy libclang-rt-14-dev gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
