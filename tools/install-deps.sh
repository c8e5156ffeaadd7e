#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages one part of fwctl needs, but only those missing,
# so a machine that has them all never touches apt.
#
#   bash tools/install-deps.sh GROUP...   GROUP: build test demo bench all
#
# make calls it per target: `make` needs build, `make test` build and test,
# `make demo` build and demo, `make bench` build and bench; `make deps` all.
set -euo pipefail

# Compilers, headers, libraries and the skeleton generator: `make`.
BUILD=(
	gcc make pkg-config clang llvm bpftool libc6-dev
	libbpf-dev libxdp-dev libnl-3-dev libnl-route-3-dev libelf-dev zlib1g-dev
	libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev
)
# The demo: namespaces, a bridge, busybox's httpd and ping, curl.
DEMO=(iproute2 util-linux procps busybox-static curl)
# The suite: the demo's tools, real Docker, the deploy checks, fuzzing, and
# everything a test calls on the host (nc is netcat-openbsd; file is not used);
# promtool (prometheus), node_exporter and valgrind check the metrics and leaks;
# tshark and tcpdump read back monitor --packets' pcap.
TEST=(
	"${DEMO[@]}" iptables nftables psmisc kmod jq libcap2-bin
	man-db groff-base systemd python3 python3-yaml python3-scapy tmux strace
	docker.io netcat-openbsd libclang-rt-14-dev xdp-tools
	prometheus prometheus-node-exporter valgrind tshark tcpdump
)
# The benchmarks' peers (nft, iptables, tc, xdp-filter), traffic and the chart.
BENCH=("${DEMO[@]}" nftables iptables xdp-tools netsniff-ng jq python3 gnuplot-nox)

want=()
for g in "${@:-build}"; do
	case $g in
	build) want+=("${BUILD[@]}") ;;
	test) want+=("${TEST[@]}") ;;
	demo) want+=("${DEMO[@]}") ;;
	bench) want+=("${BENCH[@]}") ;;
	all) want+=("${BUILD[@]}" "${TEST[@]}" "${DEMO[@]}" "${BENCH[@]}") ;;
	*)
		echo "install-deps: unknown group '$g' (build, test, demo, bench, all)" >&2
		exit 2
		;;
	esac
done

missing=()
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
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
