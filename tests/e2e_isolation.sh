#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_isolation.sh - a rule acts where it was put and nowhere else: on one port
# and not its neighbour, in one network namespace and not in another whose
# interfaces carry the same indexes.
#
#   fwtestisahost: docker0 (2) --+-- vethc1 (3) == fwtestisac1 .11
#                                +-- vethc2 (4) == fwtestisac2 .12
#   fwtestisbhost: docker0 (2) --+-- vethc1 (3) == fwtestisbc1 .11
#                                +-- vethc2 (4) == fwtestisbc2 .12
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq

topo_up isb 2
B=$H
B_C1=${C_IP4[1]}
topo_up isa 2
A=$H
topo_baseline

blocked_anywhere() {
	fw -n "$1" -j status | jq -r '[.interfaces[]? | .blocked.in[]?, .blocked.out[]?] | length'
}

# One port only.
check block_port fw -n "$A" block icmp vethc1
assert port_c1_dropped "c1 answered with icmp blocked on vethc1" ping_none "$A" "${C_IP4[1]}"
assert port_c2_passes "c2 not answered though only vethc1 has a rule" ping_ok "$A" "${C_IP4[2]}"
assert port_c2_to_host "c2 -> host ping broken by vethc1's rule" \
	ping_ok "${TOPO_PREFIX}c2" "$BR_IP4"
run fw -n "$A" -j status vethc2
expect_eq port_c2_status_clean 0 \
	"$(json "$OUT" '[.interfaces[]? | .blocked.in[]?, .blocked.out[]?] | length')" \
	"$(last_run)"
check unblock_port fw -n "$A" unblock icmp vethc1

# Two namespaces, equal ifindexes: state must be kept per namespace.
ia=$(ip -n "$A" -j link show dev docker0 | jq '.[0].ifindex')
ib=$(ip -n "$B" -j link show dev docker0 | jq '.[0].ifindex')
if [ "$ia" != "$ib" ]; then
	t_skip same_ifindex "docker0 has ifindex $ia in $A but $ib in $B"
else
	t_ok same_ifindex
fi

check block_in_a fw -n "$A" block icmp docker0
assert a_dropped "A's c1 answered with icmp blocked in A" ping_none "$A" "${C_IP4[1]}"
assert b_passes "B's c1 not answered: A's rule leaked into B" ping_ok "$B" "$B_C1"
expect_eq b_status_clean 0 "$(blocked_anywhere "$B")" "$(fw -n "$B" -j status 2>&1)"
run fw -n "$B" -j stats
expect_eq b_stats_clean 0 "$(counter dropped_packets "$OUT")" "$(last_run)"

# The other way round, and a detach in one leaves the other enforcing.
check block_in_b fw -n "$B" block tcp docker0
assert a_http_passes "A's HTTP broken by B's tcp rule" http_ok "$A" "${C_IP4[1]}" "${TOPO_PREFIX}c1"
check detach_a fw -n "$A" detach --all
assert a_ping_back "A's c1 not answered after detach --all in A" ping_ok "$A" "${C_IP4[1]}"
assert b_still_enforced "B's tcp rule gone after detach --all in A" http_fails "$B" "$B_C1"
expect_eq b_status_kept '["tcp"]' \
	"$(fw -n "$B" -j status docker0 | jq -c '.interfaces[] | select(.ifname == "docker0") |
		.blocked.in')"
expect_eq a_status_empty 0 "$(blocked_anywhere "$A")"

t_done
