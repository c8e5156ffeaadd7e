#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_counters.sh - counters are exact: K echo requests dropped show up as K
# dropped ICMP packets of K * frame-size bytes, once, on the interface and in
# the direction that saw them.
#
#   fwtestcnthost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestcntc1)
#                                       +-- vethc2 == eth0 .12 (fwtestcntc2)
#
# Where an echo request is seen, with a rule on docker0 (bridge + ports):
#   host -> c1   sent by docker0 (TC egress "out"), or, if the bridge's own
#                egress is not hooked, by vethc1 (TC egress "out")
#   c1 -> c2     received by vethc1 (XDP "in"): bridged frames never reach
#                docker0's hooks
#   c1 -> .1     received by vethc1 (XDP "in")
# An ICMP echo with 56 data bytes is 14 + 20 + 8 + 56 = 98 bytes at L2.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up cnt 2
C1=${TOPO_PREFIX}c1
topo_baseline

STATS=
get_stats() {
	run fw -n "$H" -j stats "$@"
	STATS=$OUT
	[ "$RC" -eq 0 ] && is_json "$STATS" && return 0
	t_fail stats "fwctl -j stats failed or printed no JSON" "$(last_run)"
	return 1
}

# expect_counter NAME FIELD WANT [IFNAME] [PROTO] [DIR]: against $STATS.
expect_counter() {
	local name=$1 field=$2 want=$3
	shift 3
	expect_eq "$name" "$want" "$(counter "$field" "$STATS" "$@")" \
		"$field for ifname='${1:-*}' proto='${2:-*}' dir='${3:-*}' in:" \
		"$(json "$STATS" -c '.interfaces[]?' 2>&1)"
}

reset() {
	check "$1" fw -n "$H" stats --reset
}

check block_icmp fw -n "$H" block icmp docker0
get_stats
expect_counter fresh_counters_zero dropped_packets 0 "" 1

# host -> c1: five requests, each dropped once on its way out.
ping_none "$H" "${C_IP4[1]}" 5
get_stats
expect_counter host_drops_packets dropped_packets 5 "" 1
expect_counter host_drops_bytes dropped_bytes 490 "" 1
expect_counter host_drops_out dropped_packets 5 "" 1 out
expect_counter host_nothing_passed passed_packets 0 "" 1
where=$(json "$STATS" '[.interfaces[] | select(any(.counters[]?;
	.number == 1 and .dropped_packets > 0)) | .ifname] | join(",")')
if [ "$where" == docker0 ] || [ "$where" == vethc1 ]; then
	t_ok host_drops_one_place
else
	t_fail host_drops_one_place "drops seen on '$where', want docker0 or vethc1 alone" \
		"$STATS"
fi

reset reset_all
get_stats
expect_counter reset_zero_packets dropped_packets 0 "" 1
expect_counter reset_zero_bytes dropped_bytes 0 "" 1

# c1 -> c2: bridged, so only the ports' hooks see it.
ping_none "$C1" "${C_IP4[2]}" 4
get_stats
expect_counter c2c_drops_vethc1_in dropped_packets 4 vethc1 1 in
expect_counter c2c_drops_bytes dropped_bytes 392 vethc1 1 in
expect_counter c2c_drops_total dropped_packets 4 "" 1
expect_counter c2c_not_on_vethc2 dropped_packets 0 vethc2 1

# c1 -> bridge address, with a non-default size: 14 + 20 + 8 + 200 = 242.
reset reset_again
in_ns "$C1" "${PING[@]}" -c 3 -s 200 -i 0.2 -W 1 "$BR_IP4" >/dev/null 2>&1
get_stats
expect_counter c2h_drops_packets dropped_packets 3 vethc1 1 in
expect_counter c2h_drops_bytes dropped_bytes 726 vethc1 1 in
expect_counter c2h_drops_total dropped_bytes 726 "" 1

# Only the target's rows when a target is given.
get_stats vethc1
got=$(json "$STATS" '[.interfaces[]?.ifname] | unique | join(",")')
expect_eq stats_target_filters vethc1 "$got" "$STATS"

# The JSON has the contract's fields and types.
stats_shape_ok() {
	T_DETAIL=$STATS
	json "$STATS" -e '.interfaces | type == "array" and length > 0 and
	all(.[]; (.ifname | type) == "string" and (.ifindex | type) == "number" and
		has("netns") and has("container") and (.counters | type) == "array" and
		all(.counters[]; (.proto | type) == "string" and
			(.number | type) == "number" and
			(.direction == "in" or .direction == "out") and
			all(.passed_packets, .passed_bytes, .dropped_packets, .dropped_bytes;
				type == "number" and . >= 0)))' >/dev/null
}
get_stats
assert stats_shape "stats JSON lacks contract fields" stats_shape_ok

# Passed traffic is counted too, per direction: icmp is not blocked on vethc2
# any more, udp is, so both hooks run and count the echo and its reply.
check unblock_icmp fw -n "$H" unblock icmp docker0
check block_udp_vethc2 fw -n "$H" block udp vethc2
reset reset_for_pass
assert pass_ping "host -> c2 ping not answered" ping_ok "$H" "${C_IP4[2]}" 3
get_stats
expect_counter pass_out_packets passed_packets 3 vethc2 1 out
expect_counter pass_out_bytes passed_bytes 294 vethc2 1 out
expect_counter pass_in_packets passed_packets 3 vethc2 1 in
expect_counter pass_in_bytes passed_bytes 294 vethc2 1 in
expect_counter pass_no_drops dropped_packets 0 "" 1

# Directions on a port: --dir out drops the requests toward c2; --dir in lets
# them through and drops the replies.
check unblock_udp fw -n "$H" unblock all vethc2
check block_dir_out fw -n "$H" block icmp vethc2 --dir out
reset reset_dir_out
ping_none "$H" "${C_IP4[2]}" 3
get_stats
expect_counter dir_out_drops dropped_packets 3 vethc2 1 out
expect_counter dir_out_no_in_drops dropped_packets 0 vethc2 1 in
check unblock_dir_out fw -n "$H" unblock icmp vethc2 --dir out
check block_dir_in fw -n "$H" block icmp vethc2 --dir in
reset reset_dir_in
assert dir_in_ping_fails "ping answered with replies blocked" ping_none "$H" "${C_IP4[2]}" 3
get_stats
expect_counter dir_in_drops dropped_packets 3 vethc2 1 in
expect_counter dir_in_bytes dropped_bytes 294 vethc2 1 in
expect_counter dir_in_no_out_drops dropped_packets 0 vethc2 1 out

# Prometheus text: the same drops under fwctl_packets_total.
run fw -n "$H" stats --prometheus
prom=$(printf '%s\n' "$OUT" | awk '/^fwctl_packets_total\{/ && /ifname="vethc2"/ &&
	/proto="icmp"/ && /direction="in"/ && /verdict="drop/ { s += $NF } END { print s + 0 }')
if [ "$RC" -eq 0 ] && grep -q '^# TYPE fwctl_packets_total counter' <<<"$OUT" &&
	[ "$prom" == 3 ]; then
	t_ok prometheus
else
	t_fail prometheus "want exit 0, a TYPE line and 3 dropped icmp in on vethc2, got $prom" \
		"$(last_run)"
fi

t_done
