#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ctl.sh - fwctl's control plane at N covered interfaces: the wall time of
# whole fwctl calls (process start included, as a user or a script sees it),
# taken by bench/ctl_time.c (CLOCK_MONOTONIC around posix_spawn and wait4,
# no shell in between). bench/run.sh sources this file and runs one "case"
# (one N) after another each round; run on its own it does the same:
#
#   bash bench/ctl.sh [-r ROUNDS] [-q] [N...]     (root; default N: 1 10 100 1000)
#
#   fwbench-PID-ctlh ("host")                    fwbench-PID-ctlI ("containers")
#   br0 --+-- vethc1  ==veth==  eth0 (down)      fwbench-PID-ctl1
#         +-- ...                                ...
#         +-- vethcN  ==veth==  eth0 (down)      fwbench-PID-ctlN
#
# Per N, built fresh each round with `ip -b` batches (as tests/scale_containers.sh
# does), so a host with N containers is what every call sees, /run/netns
# included (status and stats name the container behind each port by looking
# into every named namespace). The containers' ends stay down and the host
# namespace has IPv6 off: nothing crosses the bridge, so only fwctl works.
# Then, timed:
#   start         fwctl --version: process start, the floor of every call
#   block-cold    fwctl -n H block icmp br0, nothing attached yet: programs
#                 loaded and attached to all N+1 interfaces (once per round)
#   block, unblock  fwctl -n H block/unblock udp vethcN on the attached port,
#                 in turn (CTL_RULE_CALLS each)
#   status, status-json, stats, stats-json  fwctl -n H [-j] status|stats, in
#                 turn (CTL_VIEW_CALLS each)
#   detach-all    fwctl -n H detach --all (once per round)
# When fwctl refuses N+1 interfaces ("interface table is full", its build's
# FW_MAX_IFACES), the round's rows for that N say "limit" and nothing else
# runs. Rows: round, n, op, call, wall_ms, cpu_ms (the call's user+system
# time, from wait4), status (ok, limit, error:exit-X), netns (entries in
# /run/netns during the case), load1.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	# shellcheck source=bench/lib.sh
	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

CTL_HEADER="round	n	op	call	wall_ms	cpu_ms	status	netns	load1"
# shellcheck disable=SC2034 # run.sh's summary follows this order
CTL_OPS="start block-cold block unblock status status-json stats stats-json detach-all"
CTL_H=$B_PREFIX-$$-ctlh
CTL_C=$B_PREFIX-$$-ctl
CTL_TIME=${CTL_TIME:-$B_OUT/bench/ctl_time}
# The fwctl the control-plane part times (default: the one the rest uses),
# e.g. one built with `make OUTPUT=/tmp/b FW_MAX_IFACES=1024`.
CTL_FWCTL=${CTL_FWCTL:-$FWCTL}
CTL_N_UP=0

# Calls per round at N: "RULE VIEW". block/unblock are cheap at small N and
# asked for as a distribution (p99 over >= 200 calls at N = 1: 40 a round
# over 5-7 rounds); at 1000 interfaces every call walks them all.
ctl_calls() {
	local n=$1
	if [ "${CTL_QUICK:-0}" = 1 ]; then
		if [ "$n" -le 10 ]; then echo "20 3"; elif [ "$n" -le 200 ]; then echo "10 3"; else echo "4 2"; fi
	else
		if [ "$n" -le 10 ]; then echo "40 5"; elif [ "$n" -le 200 ]; then echo "20 5"; else echo "8 3"; fi
	fi
}

# The FW_MAX_IFACES a build folder was made with (the Makefile's stamp).
ctl_build_limit() {
	local s="" f
	for f in "$(dirname "$1")"/.limits-*; do
		[ -e "$f" ] && s=${f##*/.limits-}
	done
	[ "$s" = default ] && s="$(awk '$2 == "FW_MAX_IFACES" && $3 ~ /^[0-9]+$/ { print $3; exit }' \
		"$B_ROOT/xdp/fw_abi.h") (xdp/fw_abi.h)"
	echo "${s:-unknown}"
}

ctl_topo_up() {
	local n=$1 i b=$BENCH_TMP
	ctl_topo_down
	CTL_N_UP=$n
	for ((i = 1; i <= n; i++)); do
		echo "netns add $CTL_C$i"
	done >"$b/ctl-ns.batch"
	{
		echo "link add br0 type bridge stp_state 0 forward_delay 0"
		echo "link set br0 up"
		for ((i = 1; i <= n; i++)); do
			echo "link add vethc$i type veth peer name eth0 netns $CTL_C$i"
			echo "link set vethc$i master br0 up"
		done
	} >"$b/ctl-host.batch"
	ip netns add "$CTL_H" &&
		ip netns exec "$CTL_H" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 &&
		ip -b "$b/ctl-ns.batch" &&
		ip -n "$CTL_H" -b "$b/ctl-host.batch"
}

# fwctl lets go first (its pins outlive the namespace), then one batch
# deletes every namespace.
ctl_topo_down() {
	local i
	if [ -e "/run/netns/$CTL_H" ]; then
		[ -x "$CTL_FWCTL" ] && timeout 30 "$CTL_FWCTL" -q -n "$CTL_H" detach --all >/dev/null 2>&1
		echo "netns del $CTL_H"
	fi >"$BENCH_TMP/ctl-down.batch"
	for ((i = 1; i <= CTL_N_UP; i++)); do
		[ -e "/run/netns/$CTL_C$i" ] && echo "netns del $CTL_C$i"
	done >>"$BENCH_TMP/ctl-down.batch"
	[ -s "$BENCH_TMP/ctl-down.batch" ] && ip -force -b "$BENCH_TMP/ctl-down.batch" >/dev/null 2>&1
	CTL_N_UP=0
	return 0
}

# ctl_time's rows as TSV rows of round R at N; the status of a failed call
# is "limit" when fwctl said the interface table is full. Returns 1 when a
# call failed otherwise.
ctl_timed() {
	local r=$1 n=$2 limit=$3 err=$BENCH_TMP/ctl.err
	shift 3
	: >"$err"
	timeout -k 2 "$limit" "$CTL_TIME" "$@" 2>"$err" >"$BENCH_TMP/ctl.out"
	local st=$?
	cat "$err" >>"$BENCH_TMP/ctl.log"
	local full=0
	grep -q 'interface table is full' "$err" && full=1
	awk -F'\t' -v OFS='\t' -v r="$r" -v n="$n" -v full=$full -v ns="$CTL_NETNS" \
		-v load="$CTL_LOAD" '{
			st = $5 == 0 ? "ok" : full ? "limit" : "error:exit-" $5
			print r, n, $1, $2, sprintf("%.3f", $3 / 1000), sprintf("%.3f", $4 / 1000),
			      st, ns, load }' "$BENCH_TMP/ctl.out"
	if [ $st -ne 0 ] && [ $full = 0 ]; then
		[ $st -eq 124 ] || [ $st -eq 137 ] &&
			echo "$r	$n	timeout	0	-	-	error:timeout-${limit}s	$CTL_NETNS	$CTL_LOAD"
		return 1
	fi
	return 0
}

# One N, round R: build, time every operation, tear down. TSV rows on stdout.
ctl_case() {
	local r=$1 n=$2 rule view port=vethc$2 fw=$CTL_FWCTL h=$CTL_H st=0 op
	read -r rule view <<<"$(ctl_calls "$n")"
	echo "== ctl n=$n round $r" >>"$BENCH_TMP/ctl.log"
	if ! ctl_topo_up "$n" >>"$BENCH_TMP/ctl.log" 2>&1; then
		ctl_topo_down
		echo "$r	$n	topology	1	0	0	error:topology	-	-"
		return 1
	fi
	CTL_NETNS=$(find /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	CTL_LOAD=$(cut -d' ' -f1 /proc/loadavg)

	ctl_timed "$r" "$n" 60 -n "$view" start "$fw" --version || st=1
	ctl_timed "$r" "$n" 120 block-cold "$fw" -q -n "$h" block icmp br0 || st=1
	if grep -q 'interface table is full' "$BENCH_TMP/ctl.err"; then
		# The rest would time a namespace fwctl does not cover.
		for op in block unblock status status-json stats stats-json detach-all; do
			echo "$r	$n	$op	1	-	-	limit	$CTL_NETNS	$CTL_LOAD"
		done
	else
		ctl_timed "$r" "$n" 300 -n "$rule" \
			block "$fw" -q -n "$h" block udp "$port" :: \
			unblock "$fw" -q -n "$h" unblock udp "$port" || st=1
		ctl_timed "$r" "$n" 300 -n "$view" \
			status "$fw" -n "$h" status :: \
			status-json "$fw" -n "$h" -j status :: \
			stats "$fw" -n "$h" stats :: \
			stats-json "$fw" -n "$h" -j stats || st=1
		ctl_timed "$r" "$n" 60 detach-all "$fw" -q -n "$h" detach --all || st=1
	fi
	ctl_topo_down
	return $st
}

# On its own: rounds of the named N (default 1 10 100 1000), rows on stdout.
ctl_main() {
	local rounds=3 r n ns=()
	while getopts 'r:q' opt; do
		case $opt in
		r) rounds=$OPTARG ;;
		q) CTL_QUICK=1 ;;
		*)
			sed -n 's/^#   bash /usage: bash /p' "$0" >&2
			return 2
			;;
		esac
	done
	shift $((OPTIND - 1))
	ns=("$@")
	[ ${#ns[@]} -gt 0 ] || ns=(1 10 100 1000)
	[ "$(id -u)" -eq 0 ] || b_die "needs root (namespaces, BPF programs)"
	b_need ip timeout
	[ -x "$CTL_FWCTL" ] || b_die "$CTL_FWCTL not built (make)"
	[ -x "$CTL_TIME" ] || b_die "$CTL_TIME not built (make)"
	b_tmp_init
	trap 'ctl_topo_down; b_tmp_cleanup' EXIT
	trap 'exit 130' INT TERM
	echo "$CTL_HEADER"
	for r in $(seq "$rounds"); do
		for n in "${ns[@]}"; do
			ctl_case "$r" "$n"
		done
	done
}

[ "${BASH_SOURCE[0]}" = "$0" ] && ctl_main "$@"
