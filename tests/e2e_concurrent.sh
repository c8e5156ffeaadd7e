#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_concurrent.sh - 16 fwctl processes at once on the same interface, each
# blocking a different protocol, lose no update: the blocked set is the union.
# Then 8 concurrent unblocks leave exactly the other 8. The first round also
# races on attaching the interface, which none of them finds attached.
#
#   fwtestconhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestconc1)
#                                       +-- vethc2 == eth0 .12 (fwtestconc2)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up con 2
topo_baseline

# Names and numbers mixed; none of them is icmp, so ping keeps working.
PROTOS=(tcp udp gre sctp esp ah 4 8 9 41 103 112 136 137 200 254)
WANT="4 6 8 9 17 41 47 50 51 103 112 132 136 137 200 254"

# par_run TARGET VERB PROTO...: `fwctl VERB PROTO TARGET` for every PROTO, all
# at once; prints their exit statuses in order.
par_run() {
	local target=$1 verb=$2 p i=0 pids=() rcs=""
	shift 2
	for p in "$@"; do
		fw -n "$H" "$verb" "$p" "$target" >"$T_TMP/par.$i.out" 2>&1 &
		pids+=($!)
		i=$((i + 1))
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}"
		rcs+="$? "
	done
	echo "$rcs"
}

rcs=$(par_run vethc1 block "${PROTOS[@]}")
expect_eq parallel_block_exits "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " "$rcs" \
	"$(cat "$T_TMP"/par.*.out 2>/dev/null)"
run fw -n "$H" -j status vethc1
expect_eq union_in "$WANT" "$(blocked_numbers "$OUT" vethc1 in)" "$(last_run)"
expect_eq union_out "$WANT" "$(blocked_numbers "$OUT" vethc1 out)" "$(last_run)"
xdp=$(ip -n "$H" -j -d link show dev vethc1 | jq -r '.[0].xdp.prog.id // 0')
expect_eq one_program_attached "$xdp" "$(json "$OUT" '.interfaces[] |
	select(.ifname == "vethc1") | .xdp.prog_id')" "$(last_run)"
assert tcp_enforced "HTTP to c1 answered with tcp blocked" http_fails "$H" "${C_IP4[1]}"
assert icmp_untouched "ping to c1 broken" ping_ok "$H" "${C_IP4[1]}"

rm -f "$T_TMP"/par.*.out
rcs=$(par_run vethc1 unblock tcp udp gre esp 4 103 200 254)
expect_eq parallel_unblock_exits "0 0 0 0 0 0 0 0 " "$rcs" \
	"$(cat "$T_TMP"/par.*.out 2>/dev/null)"
run fw -n "$H" -j status vethc1
expect_eq rest_in "8 9 41 51 112 132 136 137" "$(blocked_numbers "$OUT" vethc1 in)" "$(last_run)"
expect_eq rest_out "8 9 41 51 112 132 136 137" "$(blocked_numbers "$OUT" vethc1 out)" "$(last_run)"
assert tcp_back "HTTP to c1 not answered after tcp unblocked" \
	http_ok "$H" "${C_IP4[1]}" "${TOPO_PREFIX}c1"

# Different interfaces at once, on a bridge whose ports are shared.
rm -f "$T_TMP"/par.*.out
rcs=$(par_run docker0 block icmp igmp)
rcs2=$(par_run vethc2 block udp 99)
expect_eq parallel_targets_exit "0 0 0 0 " "$rcs$rcs2" "$(cat "$T_TMP"/par.*.out 2>/dev/null)"
run fw -n "$H" -j status vethc2
expect_eq port_union "1 2 17 99" "$(blocked_numbers "$OUT" vethc2 in)" "$(last_run)"

t_done
