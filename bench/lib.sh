# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # its constants serve live.sh and run.sh
#
# lib.sh - what bench/run.sh and bench/live.sh share: paths, the scratch
# directory, the two-namespace veth topology, CPU and counter snapshots.
# Sourced, never run.
#
# Environment: OUTPUT (build folder, default build), FWCTL (default
# $OUTPUT/fwctl), PROG_COST (default $OUTPUT/bench/prog_cost), UDP_FLOOD
# (default $OUTPUT/bench/udp_flood, compiled into the scratch folder when
# missing), BENCH_TMP (scratch folder, made when unset).

B_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B_OUT=${OUTPUT:-build}
[[ $B_OUT == /* ]] || B_OUT=$B_ROOT/$B_OUT
FWCTL=${FWCTL:-$B_OUT/fwctl}
[[ $FWCTL == /* ]] || FWCTL=$B_ROOT/$FWCTL
PROG_COST=${PROG_COST:-$B_OUT/bench/prog_cost}
UDP_FLOOD=${UDP_FLOOD:-$B_OUT/bench/udp_flood}

# Every namespace a run makes starts with this, then the run's PID, so two
# runs never touch each other's and leftovers are easy to name.
B_PREFIX=fwbench
B_TX=$B_PREFIX-$$-tx # the sender: a "container"
B_RX=$B_PREFIX-$$-rx # the receiver: the host side of the container's veth
B_TXIF=fwb-tx
B_RXIF=fwb-rx
B_TXMAC=02:fb:00:00:00:01
B_RXMAC=02:fb:00:00:00:02
B_TXIP=10.201.0.1
B_RXIP=10.201.0.2
# Nothing listens there: with no filter, UDP drops the datagram (UdpNoPorts).
B_PORT=9

b_log() { printf '%s\n' "$*" >&2; }
b_die() {
	echo "bench: $*" >&2
	exit 1
}

b_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || b_die "needs $c (bash tools/install-deps.sh)"
	done
}

b_tmp_init() {
	if [ -z "${BENCH_TMP:-}" ]; then
		BENCH_TMP=$(mktemp -d /tmp/fwbench.XXXXXX) || b_die "cannot make a scratch folder"
		B_TMP_OWNED=1
	fi
	export BENCH_TMP
}

b_tmp_cleanup() {
	[ -n "${B_TMP_OWNED:-}" ] && [ -d "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
	return 0
}

# The do-nothing programs every hook is measured against, built now so the
# bench needs no object in the tree: XDP_DROP for XDP, TC_ACT_SHOT for tc.
b_build_trivial() {
	local src=$BENCH_TMP/drop.bpf.c
	B_DROP_OBJ=$BENCH_TMP/drop.bpf.o
	[ -s "$B_DROP_OBJ" ] && return 0
	cat >"$src" <<-'EOF'
		#include <linux/bpf.h>
		#include <linux/pkt_cls.h>
		#define SEC(n) __attribute__((section(n), used))
		SEC("xdp") int xdp_drop(struct xdp_md *ctx) { return XDP_DROP; }
		SEC("tc") int tc_drop(struct __sk_buff *skb) { return TC_ACT_SHOT; }
		char _license[] SEC("license") = "GPL";
	EOF
	clang -target bpf -O2 -I"/usr/include/$(gcc -print-multiarch)" -c "$src" \
		-o "$B_DROP_OBJ" || b_die "cannot compile the trivial BPF programs"
}

# The socket sender for the container cases (bench/udp_flood.c), from the
# build when it is there.
b_build_flood() {
	[ -x "$UDP_FLOOD" ] && return 0
	UDP_FLOOD=$BENCH_TMP/udp_flood
	gcc -O2 -Wall -o "$UDP_FLOOD" "$B_ROOT/bench/udp_flood.c" ||
		b_die "cannot compile bench/udp_flood.c"
}

# sender ns               receiver ns
#  fwb-tx 10.201.0.1 <== veth ==> fwb-rx 10.201.0.2
# Static neighbours (no ARP in the counts), no IPv6 (no ND, no MLD).
b_topo_up() {
	b_topo_down
	ip netns add "$B_TX" && ip netns add "$B_RX" || return 1
	ip -n "$B_TX" link add "$B_TXIF" address "$B_TXMAC" type veth \
		peer name "$B_RXIF" address "$B_RXMAC" netns "$B_RX" || return 1
	ip netns exec "$B_TX" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 "net.ipv6.conf.$B_TXIF.disable_ipv6=1" &&
		ip netns exec "$B_RX" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 "net.ipv6.conf.$B_RXIF.disable_ipv6=1" &&
		ip -n "$B_TX" addr add "$B_TXIP/24" dev "$B_TXIF" &&
		ip -n "$B_RX" addr add "$B_RXIP/24" dev "$B_RXIF" &&
		ip -n "$B_TX" link set lo up && ip -n "$B_RX" link set lo up &&
		ip -n "$B_TX" link set "$B_TXIF" up && ip -n "$B_RX" link set "$B_RXIF" up &&
		ip -n "$B_TX" neigh replace "$B_RXIP" lladdr "$B_RXMAC" dev "$B_TXIF" nud permanent &&
		ip -n "$B_RX" neigh replace "$B_TXIP" lladdr "$B_TXMAC" dev "$B_RXIF" nud permanent
}

# fwctl's pins live in the host's bpffs and outlive a namespace, so fwctl
# lets go first; deleting a namespace removes its veth, programs and rules.
b_topo_down() {
	local ns pids
	for ns in "$B_TX" "$B_RX"; do
		[ -e "/run/netns/$ns" ] || continue
		[ -x "$FWCTL" ] && timeout 10 "$FWCTL" -q -n "$ns" detach --all >/dev/null 2>&1
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # one pid per word
		[ -n "$pids" ] && kill $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# Busy and total jiffies since boot, all CPUs and CPU 0: "busy all0 busy0".
# Busy is user+nice+system+irq+softirq; idle, iowait and steal (time the
# hypervisor kept) are not work done here.
b_cpu_snap() {
	awk '$1 == "cpu" { a = $2 + $3 + $4 + $7 + $8 }
	     $1 == "cpu0" { z = $2 + $3 + $4 + $7 + $8 }
	     END { print a, z }' /proc/stat
}

# What the machine is busy with before a run, in CPU-seconds per second, all
# CPUs and CPU 0: "all cpu0". Other work on a shared machine (a build, a
# fuzzer) is then taken out of the run's figures instead of blamed on the
# filter; on an idle machine both are about 0.
B_BG_SECONDS=${B_BG_SECONDS:-0.4}
b_cpu_background() {
	local a0 z0 a1 z1 t0 t1
	read -r a0 z0 <<<"$(b_cpu_snap)"
	t0=$(date +%s%N)
	sleep "$B_BG_SECONDS"
	read -r a1 z1 <<<"$(b_cpu_snap)"
	t1=$(date +%s%N)
	awk -v a="$((a1 - a0))" -v z="$((z1 - z0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.4f %.4f\n", a / hz / (t / 1e9), z / hz / (t / 1e9) }'
}

# One counter from /proc/net/snmp in a namespace: b_snmp NS Ip InReceives
b_snmp() {
	# shellcheck disable=SC2016 # an awk program
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '
		$1 == p && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == p && h { print $col[f]; exit }' /proc/net/snmp
}

b_rx_packets() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# Dropped packets fwctl counted: b_fwctl_dropped NS IF DIR
b_fwctl_dropped() {
	"$FWCTL" -n "$1" -j stats "$2" 2>/dev/null | jq --arg d "$3" \
		'[.interfaces[].counters[] | select(.proto == "udp" and .direction == $d)
		  | .dropped_packets] | add // 0'
}

# Packets the clsact qdisc saw dropped (a tc filter answered TC_ACT_SHOT).
b_clsact_drops() {
	tc -n "$1" -s -j qdisc show dev "$2" 2>/dev/null |
		jq '[.[] | select(.kind == "clsact") | .drops] | add // 0'
}

# Packets counted by every counter in an nft table: b_nft_packets NS FAMILY TABLE
b_nft_packets() {
	ip netns exec "$1" nft -j list table "$2" "$3" 2>/dev/null |
		jq '[.. | .counter? | objects | .packets] | add // 0'
}

# User+system seconds of this shell's waited-for children so far (getrusage,
# which on this kernel includes the softirq work done in their context), in
# the variable named $1. `times` must run in this shell, not in $(...): a
# forked subshell starts with no children.
b_children_cpu() {
	local f=$BENCH_TMP/times
	times >"$f"
	printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) {
			split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.3f", s }' "$f")"
}

# Ticks ksoftirqd/N spent so far: the receive work the kernel deferred out of
# the sender's context.
b_ksoftirqd_ticks() {
	local p n=0 f
	for p in $(pgrep '^ksoftirqd/'); do
		read -r -a f <"/proc/$p/stat" 2>/dev/null || continue
		n=$((n + f[13] + f[14]))
	done
	echo "$n"
}

# --- a host namespace under `fwctl watch` (bench/exposure.sh, bench/drift.sh)
# b_host_init TAG HOST: checks what the script needs, makes a scratch folder
# ($B_HTMP), sets the traps, and removes a leftover HOST of an interrupted
# run. A script may define b_host_extra_down, called before HOST goes.
B_WATCH=
b_host_init() {
	B_TAG=$1
	B_HOST=$2
	[ "$(id -u)" -eq 0 ] || b_host_die "needs root (namespaces, BPF programs)"
	[ -x "$FWCTL" ] || b_host_die "$FWCTL not built (make)"
	command -v python3 >/dev/null || b_host_die "needs python3"
	trap b_host_down EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	# A leftover of an interrupted run would skew the first figures.
	B_HTMP=
	[ -e "/run/netns/$B_HOST" ] && b_host_down
	B_HTMP=$(mktemp -d "/tmp/fwctl-$B_TAG.XXXXXX") || b_host_die "cannot make a scratch folder"
}

b_host_die() {
	echo "${B_TAG:-bench}: $*" >&2
	exit 1
}

b_host_down() {
	if [ -n "$B_WATCH" ]; then
		kill "$B_WATCH" 2>/dev/null
		wait "$B_WATCH" 2>/dev/null
		B_WATCH=
	fi
	[ -e "/run/netns/$B_HOST" ] &&
		timeout 20 "$FWCTL" -q -n "$B_HOST" detach --all >/dev/null 2>&1
	declare -F b_host_extra_down >/dev/null && b_host_extra_down
	[ -e "/run/netns/$B_HOST" ] && ip netns del "$B_HOST"
	[ -d "${B_HTMP:-}" ] && rm -rf "$B_HTMP"
	return 0
}

# `fwctl watch` on the host namespace, in the background; its log in
# $B_HTMP/watch.log.
b_watch_start() {
	"$FWCTL" -n "$B_HOST" watch >"$B_HTMP/watch.log" 2>&1 &
	B_WATCH=$!
	sleep 0.5
	kill -0 "$B_WATCH" 2>/dev/null || b_host_die "fwctl watch exited: $(cat "$B_HTMP/watch.log")"
}

# b_observe SCRIPT ARGS...: a python observer inside the host namespace,
# with bench/hooks.py importable.
b_observe() {
	PYTHONPATH=$B_ROOT/bench nsenter --net="/run/netns/$B_HOST" python3 "$@"
}

# Whether watch lived through the run; 1 (and its last words) if not.
b_watch_check() {
	kill -0 "$B_WATCH" 2>/dev/null && return 0
	echo "$B_TAG: fwctl watch died:" >&2
	tail -5 "$B_HTMP/watch.log" >&2
	return 1
}
