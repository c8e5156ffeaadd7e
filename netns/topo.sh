#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# topo.sh - a bridge and N "containers" in network namespaces of their own, for
# fwctl's end-to-end tests and the demo. Nothing is created in, or sent from,
# the caller's network namespace.
#
#  ${P}host                                 ${P}c1              ${P}cN
#  +-------------------------------+       +----------------+  +------------------+
#  | docker0 (bridge)              |       | eth0           |  | eth0             |
#  | 172.31.X.1/24  fd00:X::1/64   |       | 172.31.X.11/24 |  | 172.31.X.(10+N)  |
#  |    |                          |       | fd00:X::11/64  |  | fd00:X::(10+N)   |
#  |    +-- vethc1 ================+=veth==+ httpd :80      |  | httpd :80        |
#  |    |                          |       +----------------+  +--------+---------+
#  |    +-- vethcN ================+=veth===============================+
#  +-------------------------------+
#
# X comes from a hash of the prefix (or -s X), so two topologies built at once
# use different subnets; they live in separate namespaces anyway. Containers
# route everything through docker0 (.1). Interfaces are created in the same
# order in every topology, so two topologies have equal ifindexes: the tests
# rely on that to check that fwctl keeps per-namespace state apart.
#
# usage: topo.sh up   [-p PREFIX] [-c N] [-s X]   build (idempotent)
#        topo.sh down [-p PREFIX]                 remove everything (idempotent)
#        topo.sh env  [-p PREFIX] [-s X]          print shell assignments for tests
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly STATE_ROOT=${TOPO_STATE:-/run/fwctl-topo}
readonly MAX_CONTAINERS=64

prefix=fwt
count=2
subnet=

die() {
	echo "topo.sh: $*" >&2
	exit 1
}

usage() {
	sed -n 's/^# usage: /usage: /p; s/^#        topo.sh/       topo.sh/p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# in_ns NS CMD...: runs CMD with only the network namespace switched, so it
# still sees the host's /sys/fs/bpf (ip netns exec would mount a fresh sysfs).
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

ns_exists() {
	[ -e "/run/netns/$1" ]
}

# A subnet byte from the prefix, 1-254, stable across runs.
subnet_of() {
	local sum
	sum=$(printf '%s' "$1" | cksum | cut -d' ' -f1)
	echo $((sum % 254 + 1))
}

# Namespaces this prefix owns: exactly ${prefix}host and ${prefix}c<digits>, so
# "fwt" never claims "fwtx"'s namespaces.
owned_namespaces() {
	local ns
	ip netns list 2>/dev/null | cut -d' ' -f1 | while read -r ns; do
		case $ns in
		"${prefix}host") echo "$ns" ;;
		"${prefix}c"*)
			[[ ${ns#"${prefix}c"} =~ ^[0-9]+$ ]] && echo "$ns"
			;;
		esac
	done
}

add_ns() {
	local ns=$1
	ns_exists "$ns" || ip netns add "$ns"
	ip -n "$ns" link set lo up
	# No DAD and no router solicitations: addresses usable at once, and no
	# chatter that is not the test's own.
	in_ns "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0
}

add_bridge() {
	local host=$1 x=$2
	if ! ip -n "$host" link show docker0 >/dev/null 2>&1; then
		ip -n "$host" link add docker0 type bridge stp_state 0 forward_delay 0
	fi
	ip -n "$host" addr replace "172.31.$x.1/24" dev docker0
	ip -n "$host" addr replace "fd00:$x::1/64" dev docker0 nodad
	ip -n "$host" link set docker0 up
}

add_container() {
	local host=$1 x=$2 i=$3
	local ns=${prefix}c$i veth=vethc$i
	add_ns "$ns"
	if ! ip -n "$host" link show "$veth" >/dev/null 2>&1; then
		ip -n "$ns" link del eth0 2>/dev/null || true
		ip -n "$host" link add "$veth" type veth peer name eth0 netns "$ns"
	fi
	ip -n "$host" link set "$veth" master docker0 up
	ip -n "$ns" addr replace "172.31.$x.$((10 + i))/24" dev eth0
	ip -n "$ns" addr replace "fd00:$x::$((10 + i))/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route replace default via "172.31.$x.1"
	ip -n "$ns" -6 route replace default via "fd00:$x::1"
	start_httpd "$ns"
}

pid_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q httpd
}

# Waits (bounded: 2 s) until something listens on port 80 in NS.
wait_listen() {
	local ns=$1 i
	for ((i = 0; i < 40; i++)); do
		# /proc/net is the reader's namespace: 0050 is port 80, 0A LISTEN.
		in_ns "$ns" cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk '$2 ~ /:0050$/ && $4 == "0A" { found = 1 } END { exit !found }' &&
			return 0
		sleep 0.05
	done
	return 1
}

start_httpd() {
	local ns=$1 dir=$STATE/$1 pid=
	mkdir -p "$dir/www"
	echo "fwctl-topo $ns" >"$dir/www/index.html"
	[ -f "$dir/httpd.pid" ] && pid=$(cat "$dir/httpd.pid")
	pid_alive "$pid" && return 0
	# setsid: the server outlives this script and the caller's terminal.
	setsid nsenter --net="/run/netns/$ns" busybox httpd -f -p 80 -h "$dir/www" \
		</dev/null >/dev/null 2>&1 &
	echo $! >"$dir/httpd.pid"
	wait_listen "$ns" || die "httpd in $ns did not start listening"
}

topo_up() {
	local x=${subnet:-$(subnet_of "$prefix")} host=${prefix}host i
	if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1 || count > MAX_CONTAINERS)); then
		die "-c wants 1-$MAX_CONTAINERS containers"
	fi
	if ! [[ $x =~ ^[0-9]+$ ]] || ((x < 1 || x > 254)); then
		die "-s wants 1-254"
	fi
	mkdir -p "$STATE"
	chmod 0755 "$STATE"
	echo "$x" >"$STATE/subnet"
	add_ns "$host"
	add_bridge "$host" "$x"
	for ((i = 1; i <= count; i++)); do
		add_container "$host" "$x" "$i"
	done
	echo "$count" >"$STATE/count"
}

# Kills what runs in NS: our httpd first, then anything else still inside, so
# `ip netns del` really frees the namespace.
stop_ns_processes() {
	local ns=$1 pid i
	[ -f "$STATE/$ns/httpd.pid" ] && pid=$(cat "$STATE/$ns/httpd.pid") &&
		pid_alive "$pid" && kill "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		pid=$(ip netns pids "$ns" 2>/dev/null) || break
		[ -z "$pid" ] && break
		# shellcheck disable=SC2086 # one pid per word
		if ((i < 10)); then kill $pid 2>/dev/null; else kill -9 $pid 2>/dev/null; fi
		sleep 0.05
	done
}

# Pins outlive the namespace, so fwctl's state goes before the namespace does.
detach_fwctl() {
	local ns=$1 fwctl=${FWCTL:-$ROOT/build/fwctl}
	[ -x "$fwctl" ] || return 0
	timeout 10 "$fwctl" -q -n "$ns" detach --all >/dev/null 2>&1 || true
}

topo_down() {
	local ns
	for ns in $(owned_namespaces); do
		detach_fwctl "$ns"
		stop_ns_processes "$ns"
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$STATE"
	rmdir "$STATE_ROOT" 2>/dev/null || true
}

topo_env() {
	local x
	x=$(cat "$STATE/subnet" 2>/dev/null) || x=${subnet:-$(subnet_of "$prefix")}
	echo "TOPO_PREFIX=$prefix"
	echo "TOPO_HOST=${prefix}host"
	echo "TOPO_NET4=172.31.$x"
	echo "TOPO_NET6=fd00:$x"
	echo "TOPO_COUNT=$(cat "$STATE/count" 2>/dev/null || echo 0)"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	while getopts 'p:c:s:' opt; do
		case $opt in
		p) prefix=$OPTARG ;;
		c) count=$OPTARG ;;
		s) subnet=$OPTARG ;;
		*) usage ;;
		esac
	done
	[[ $prefix =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "bad prefix '$prefix'"
	STATE=$STATE_ROOT/$prefix
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
	case $cmd in
	up) topo_up ;;
	down) topo_down ;;
	env) topo_env ;;
	*) usage ;;
	esac
}

main "$@"
