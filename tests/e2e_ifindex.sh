#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_ifindex.sh - every ifindex is covered (issue 15.4): ports whose index is
# beyond fw_slots' direct table (262144, 300000, 2147483000) are filtered with
# real packets, counted exactly, shown enforced, and released on unblock.
#
#   fwtestifxa                         fwtestifxb
#   fwhi0 (index 262144) 10.250.0.1 == fwhi0p 10.250.0.2
#   fwhi1 (index 300000) 10.250.1.1 == fwhi1p 10.250.1.2
#   fwhi2 (index 2147483000) .2.1   == fwhi2p 10.250.2.2
#
# ICMP is blocked on what fwhiN receives: fwtestifxb's pings are dropped on
# fwhiN's XDP hook (or TC ingress with --hook tc), where each one is counted;
# the sender's own egress is not covered, so ping never sees ENOBUFS.
# An echo request with 56 data bytes is 14 + 20 + 8 + 56 = 98 bytes at L2.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
bare_ns ifxb
B=$BARE
bare_ns ifxa
A=$BARE
IDX=(262144 300000 2147483000)

made=0
for i in 0 1 2; do
	ip -n "$A" link add fwhi$i index "${IDX[i]}" type veth peer name fwhi${i}p netns "$B" &&
		ip -n "$A" addr add 10.250.$i.1/24 dev fwhi$i &&
		ip -n "$B" addr add 10.250.$i.2/24 dev fwhi${i}p &&
		ip -n "$A" link set fwhi$i up && ip -n "$B" link set fwhi${i}p up && made=$((made + 1))
done
got_index() {
	ip -n "$A" -j link show dev "$1" | jq -r '.[0].ifindex'
}
expect_eq ports_made 3 "$made" "veth ports with a chosen index could not be made"
for i in 0 1 2; do
	expect_eq index_$i "${IDX[i]}" "$(got_index fwhi$i)"
done
[ "$T_FAILS" -eq 0 ] || t_done
for i in 0 1 2; do
	assert baseline_$i "ping over fwhi$i fails before fwctl" ping_ok "$B" 10.250.$i.1
done
[ "$T_FAILS" -eq 0 ] || t_done

STATS=
get_stats() {
	run fw -n "$A" -j stats
	STATS=$OUT
	[ "$RC" -eq 0 ] && is_json "$STATS" && return 0
	t_fail stats "fwctl -j stats failed or printed no JSON" "$(last_run)"
	return 1
}
expect_counter() {
	local name=$1 field=$2 want=$3
	shift 3
	expect_eq "$name" "$want" "$(counter "$field" "$STATS" "$@")" \
		"$field for ifname='${1:-*}' proto='${2:-*}' dir='${3:-*}' in:" \
		"$(json "$STATS" -c '.interfaces[]?' 2>&1)"
}
# if_state IFNAME: what `status` says of the interface as a whole.
if_state() {
	fw -n "$A" -j status 2>/dev/null |
		jq -r --arg i "$1" '[.interfaces[]? | select(.ifname == $i)][0].state // "none"'
}
slots_hi_entries() {
	local d
	d=$(state_dir "$A")
	[ -n "$d" ] || { echo none; return; }
	bpftool -j map dump pinned "$d/fw_slots_hi" 2>/dev/null | jq 'length'
}

for i in 0 1 2; do
	check block_$i fw -n "$A" block icmp fwhi$i --dir in
done
for i in 0 1 2; do
	expect_eq enforced_$i enforced "$(if_state fwhi$i)"
done
if command -v bpftool >/dev/null; then
	expect_eq slots_hi_3 3 "$(slots_hi_entries)" "fw_slots_hi should hold the three ports"
fi
for i in 0 1 2; do
	assert dropped_$i "ping over fwhi$i answered with icmp blocked" ping_none "$B" 10.250.$i.1 5
done
get_stats
for i in 0 1 2; do
	expect_counter drops_$i dropped_packets 5 fwhi$i 1 in
	expect_counter drop_bytes_$i dropped_bytes 490 fwhi$i 1 in
	expect_counter no_pass_$i passed_packets 0 fwhi$i 1 in
done

# Detached, fwhi2's entry is gone; TC ingress takes the same lookup.
check detach_2 fw -n "$A" detach fwhi2
assert back_2 "ping over fwhi2 not answered after detach" ping_ok "$B" 10.250.2.1
if command -v bpftool >/dev/null; then
	expect_eq slots_hi_2 2 "$(slots_hi_entries)" "detach should free fwhi2's entry"
fi
check block_tc_2 fw -n "$A" block icmp fwhi2 --dir in --hook tc
expect_eq enforced_tc_2 enforced "$(if_state fwhi2)"
check reset fw -n "$A" stats --reset
assert dropped_tc_2 "ping over fwhi2 answered with icmp blocked on tc" \
	ping_none "$B" 10.250.2.1 4
get_stats
expect_counter drops_tc_2 dropped_packets 4 fwhi2 1 in
expect_counter drop_bytes_tc_2 dropped_bytes 392 fwhi2 1 in

# Detached, every port answers again.
check detach_all fw -n "$A" detach --all
for i in 0 1 2; do
	assert back_all_$i "ping over fwhi$i not answered after detach" ping_ok "$B" 10.250.$i.1
done
t_done
