#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_tamper.sh - status checks what the programs read, not only what fwctl
# stated: each fw_policy entry holds the stated set and the act bytes the
# XDP/TC programs decide by. With `block icmp vethc2`, ICMP's act byte of
# vethc2's egress entry is flipped to pass with bpftool (the set untouched):
#   - `status -j` says vethc2 out not-enforced, naming the interface, the
#     direction and that icmp passes though blocked; status exits 3; text
#     status says it too; `stats --prometheus` has fwctl_enforced 0 there;
#   - echo requests from the host really reach c2 (the status was right);
#   - re-running `fwctl block icmp vethc2` rewrites the entry: enforced,
#     exit 0, echo requests stopped again;
#   - tampered again, a starting `fwctl watch` repairs it the same way, and
#     a running one at its next full check (--recheck 1), with no event;
#   - a byte whose verdict is right but whose counter cell is not is
#     degraded (exit 0) and repaired by the next block.
# Echo requests are counted where they arrive (Icmp InEchos of c2).
#
#   fwtesttamhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtesttamc1)
#                                       +-- vethc2 == eth0 .12 (fwtesttamc2)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool python3
topo_up tam 2
C2=${TOPO_PREFIX}c2
topo_baseline

# Cells and bits of fw_abi.h: FW_CELLS 128, FW_ACT_DROP 0x80.
CELL_ICMP_PASS=124  # FW_CELL_ICMP_PASS
CELL_ICMPV6_DROP=127 # FW_CELL_ICMPV6_DROP
ACT_OFF=40          # offsetof(struct fw_compiled, act): after struct fw_policy

# arrived: echo requests from the host that reached c2 out of 3 sent.
arrived() {
	local before
	before=$(in_echos "$C2")
	pings "$H" "${C_IP4[2]}" 3
	echo $(($(in_echos "$C2") - before))
}
passes() {
	local n
	n=$(arrived)
	T_DETAIL="echo requests that reached c2: $n"
	[ "$n" -gt 0 ]
}
blocked() {
	local n
	n=$(arrived)
	T_DETAIL="echo requests that reached c2: $n"
	[ "$n" -eq 0 ]
}

# st_is NAME DIR WANT [REASON-REGEX]: vethc2's DIR in $STATUS.
st_is() { status_dir_is "$1" vethc2 "$2" "$3" "${4:-}"; }

POLICY=''
# act_byte KIND: vethc2's egress entry's act byte for KIND (decimal).
# tamper KIND VALUE: sets it with bpftool, the rest of the entry unchanged.
# The slot is found through fw_ifaces (ifindex first in struct fw_iface).
entry_key() {
	local ifindex
	ifindex=$(ip -n "$H" -j link show dev vethc2 | jq -r '.[0].ifindex')
	bpftool -j map dump pinned "$(state_dir "$H")/fw_ifaces" | python3 -c '
import json, sys
ifindex = int(sys.argv[1])
for e in json.load(sys.stdin):
    v = bytes(int(b, 16) for b in e["value"][:4])
    if int.from_bytes(v, "little") == ifindex:
        slot = int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little")
        print(" ".join("%d" % b for b in (slot * 2 + 1).to_bytes(4, "little")))
' "$ifindex"
}
entry_value() {
	# shellcheck disable=SC2046 # the key's bytes
	bpftool -j map lookup pinned "$POLICY" key $(entry_key) | jq -r '.value | join(" ")'
}
act_byte() {
	local v
	read -ra v <<<"$(entry_value)"
	echo $((v[ACT_OFF + $1]))
}
tamper() {
	local v
	read -ra v <<<"$(entry_value)"
	[ "${#v[@]}" -gt $((ACT_OFF + $1)) ] || return 1
	v[ACT_OFF + $1]=$2
	# shellcheck disable=SC2046 # the key's bytes
	bpftool map update pinned "$POLICY" key $(entry_key) value "${v[@]}"
}

# --- enforced, then ICMP's act byte flipped to pass behind fwctl's back --------
check block fw -n "$H" block icmp vethc2
POLICY=$(state_dir "$H")/fw_policy
assert policy_pinned "no pinned fw_policy under $(state_dir "$H")" test -e "$POLICY"
status_now "$H"
expect_eq enforced_exit0 0 "$SRC" "$STATUS"
st_is out_enforced out enforced
assert blocks_before "echo requests reached c2 with icmp blocked on vethc2" blocked
expect_eq act_drops_before 1 "$(($(act_byte 1) >> 7))"

assert tamper_act "bpftool could not rewrite vethc2's egress entry" \
	tamper 1 "$CELL_ICMP_PASS"
expect_eq act_passes "$CELL_ICMP_PASS" "$(act_byte 1)"
status_now "$H"
expect_eq tampered_exit3 3 "$SRC" "$STATUS"
st_is tampered_not_enforced out not-enforced 'vethc2 out: .*passes icmp though blocked'
st_is tampered_in_still in enforced
expect_eq tampered_blocked_still_says_icmp icmp \
	"$(status_of vethc2 '.blocked.out | map(tostring) | join(",")')"
assert tampered_bypass "no echo request reached c2 with the act byte flipped (test broken?)" \
	passes
run fw -n "$H" status
# Continuation lines (indented) joined to the line they continue.
if grep -E '^vethc2 ' <<<"$OUT" | grep -q 'not-enforced' &&
	sed -z 's/\n  */ /g' <<<"$OUT" | grep -q 'vethc2 to: not-enforced: .*passes icmp though blocked'; then
	t_ok text_names_it
else
	t_fail text_names_it "text status lacks vethc2 not-enforced or the reason" "$(last_run)"
fi
expect_eq text_exit3 3 "$RC"
expect_eq text_80_columns "" "$(awk 'length > 80' <<<"$OUT")" "$OUT"
run fw -n "$H" stats --prometheus
expect_eq prom_enforced_0 0 "$(grep -E '^fwctl_enforced\{' <<<"$OUT" | grep 'ifname="vethc2"' |
	grep 'direction="out"' | awk '{ print $NF }' | head -1)" "$(grep fwctl_enforced <<<"$OUT")"

# --- the next block rewrites the entry -----------------------------------------
run fw -n "$H" block icmp vethc2
expect_eq reblock_exit0 0 "$RC" "$(last_run)"
if grep -q 'vethc2.*passes icmp.*repaired' <<<"$ERR"; then
	t_ok reblock_says_repaired
else
	t_fail reblock_says_repaired "block did not say what it repaired" "$(last_run)"
fi
expect_eq reblock_act_drops 1 "$(($(act_byte 1) >> 7))"
status_now "$H"
expect_eq reblock_exit0_status 0 "$SRC" "$STATUS"
st_is reblock_enforced out enforced
assert reblock_blocks "echo requests reach c2 after the repair" blocked

# --- a starting watch repairs it the same way ----------------------------------
tamper 1 "$CELL_ICMP_PASS"
status_now "$H"
st_is watch_tampered out not-enforced 'passes icmp'
"$FWCTL" -n "$H" watch >"$T_TMP/watch.log" 2>&1 &
WATCH=$!
t_bg "$WATCH"
# act_repaired LOG: ICMP's act byte drops again within 5 s (LOG: watch's).
act_repaired() {
	local i
	for i in $(seq 1 50); do
		[ "$(($(act_byte 1) >> 7))" == 1 ] && return 0
		sleep 0.1
	done
	T_DETAIL="act byte $(act_byte 1); watch log: $(cat "$1")"
	return 1
}
assert watch_repairs "a starting watch left ICMP's act byte passing" act_repaired \
	"$T_TMP/watch.log"
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
status_now "$H"
expect_eq watch_exit0 0 "$SRC" "$STATUS"
st_is watch_enforced out enforced
assert watch_blocks "echo requests reach c2 after watch's repair" blocked

# --- a running watch repairs it at its next full check (--recheck) -----------
"$FWCTL" -n "$H" watch --recheck 1 >"$T_TMP/watch2.log" 2>&1 &
WATCH=$!
t_bg "$WATCH"
sleep 1.5 # its first check done: what follows is behind its back, no event
tamper 1 "$CELL_ICMP_PASS"
assert running_watch_repairs "a running watch --recheck 1 left ICMP's act byte passing" \
	act_repaired "$T_TMP/watch2.log"
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
if grep -q 'repaired' "$T_TMP/watch2.log"; then
	t_ok running_watch_says_repaired
else
	t_fail running_watch_says_repaired "watch did not log its repair" "$(cat "$T_TMP/watch2.log")"
fi
st_is running_watch_enforced out enforced

# --- right verdict, wrong counter cell: degraded, and repaired -----------------
tamper 1 $((128 | CELL_ICMPV6_DROP))
status_now "$H"
expect_eq cell_exit0 0 "$SRC" "$STATUS"
st_is cell_degraded out degraded 'vethc2 out: .*counts icmp in the wrong cells'
assert cell_still_blocks "echo requests reached c2 with only the cell changed" blocked
check cell_reblock fw -n "$H" block icmp vethc2
status_now "$H"
st_is cell_repaired out enforced

t_done
