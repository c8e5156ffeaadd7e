#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_persist.sh - the filter keeps enforcing after fwctl exits, and each later
# fwctl process (whichever way it names the namespace) finds and changes the
# same state.
#
#   fwtestperhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestperc1)
#                                       +-- vethc2 == eth0 .12 (fwtestperc2)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up per 2
C1=${TOPO_PREFIX}c1
topo_baseline

# Process 1 blocks and exits.
check block_then_exit fw -n "$H" block icmp vethc1
assert enforced_after_exit "c1 -> host ping answered after fwctl exited" \
	ping_none "$C1" "$BR_IP4" 3

# Process 2 reads the state the first one left.
run fw -n "$H" -j status vethc1
expect_eq second_process_sees '["icmp"] ["icmp"]' \
	"$(json "$OUT" -c '.interfaces[] | select(.ifname == "vethc1") |
		.blocked.in, .blocked.out' 2>&1 | tr '\n' ' ' | sed 's/ $//')" "$(last_run)"

# The same namespace reached by path and by pid: the same state.
# nsenter itself, not in_ns: $! must be the process inside the namespace.
nsenter --net="/run/netns/$H" sleep 60 &
holder=$!
for spec in "/run/netns/$H" "pid:$holder" "/proc/$holder/ns/net"; do
	run fw -n "$spec" -j status vethc1
	got=$(json "$OUT" -c '.interfaces[] | select(.ifname == "vethc1") |
		.blocked.in' 2>&1)
	expect_eq "netns_spec_${spec//[^a-z0-9]/_}" '["icmp"]' "$got" "$(last_run)"
done
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# Process 3 unblocks; process 4 reports what happened in between.
check unblock_other_process fw -n "$H" unblock icmp vethc1
assert ping_back "c1 -> host ping not answered after unblock" ping_ok "$C1" "$BR_IP4"
run fw -n "$H" -j stats vethc1
expect_eq stats_third_process "3 294" \
	"$(counter dropped_packets "$OUT" vethc1 1 in) $(counter dropped_bytes "$OUT" vethc1 1 in)" \
	"$(last_run)"
run fw -n "$H" -j status vethc1
# An interface left with nothing blocked may stay listed or drop out.
expect_eq unblocked_for_all '[] []' \
	"$(json "$OUT" '[.interfaces[]? | select(.ifname == "vethc1")] |
		if length == 0 then "[] []" else .[0] |
		"\(.blocked.in | tojson) \(.blocked.out | tojson)" end' 2>&1)" "$(last_run)"

t_done
