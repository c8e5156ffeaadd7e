#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_ipnetns.sh - under `ip netns exec`, /sys/fs/bpf is a fresh, empty bpffs
# that vanishes with the command. fwctl must either still use the host's
# bpffs (the state is visible to `fwctl -n NS` afterwards) or refuse with an
# error pointing to -n and change nothing; never leave a program behind whose
# state has vanished.
#
#   fwtestipnhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestipnc1)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up ipn 1
topo_baseline

xdp_ids() {
	ip -n "$H" -j -d link show | jq -r '[.[] | .xdp.prog.id // empty] | join(",")'
}

run ip netns exec "$H" "$FWCTL" block icmp docker0
blocked=$(fw -n "$H" -j status docker0 2>/dev/null |
	jq -c '.interfaces[]? | select(.ifname == "docker0") | .blocked.in' 2>/dev/null)
if [ "$RC" -eq 0 ]; then
	expect_eq ipnetns_exec_uses_host_state '["icmp"]' "$blocked" "$(last_run)"
	assert ipnetns_exec_enforced "ping answered after a block under ip netns exec" \
		ping_none "$H" "${C_IP4[1]}"
else
	if [ "$(printf '%s' "$ERR" | grep -c '')" -eq 1 ] && [[ $ERR == "fwctl: "* ]] &&
		grep -q -- '-n' <<<"$ERR"; then
		t_ok ipnetns_exec_refused
	else
		t_fail ipnetns_exec_refused "want one 'fwctl: ' line pointing to -n" "$(last_run)"
	fi
	expect_eq ipnetns_exec_no_programs "" "$(xdp_ids)"
	expect_eq ipnetns_exec_no_state "" "$blocked"
fi

# Reading under ip netns exec tells the same story as -n, or refuses: under
# -j with one JSON error on stdout and nothing on stderr.
run ip netns exec "$H" "$FWCTL" -j status docker0
if [ "$RC" -eq 0 ]; then
	expect_eq ipnetns_exec_status_agrees "$(fw -n "$H" -j status docker0 | jq -cS .interfaces)" \
		"$(json "$OUT" -cS .interfaces 2>&1)" "$(last_run)"
else
	expect_eq ipnetns_exec_status_refused "1 1 ip netns exec" \
		"$RC $(json "$OUT" '.exit' 2>&1) $([ -z "$ERR" ] && json "$OUT" '.error' | grep -o 'ip netns exec' | head -1)" \
		"$(last_run)"
fi

t_done
