#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_refused.sh - a program the kernel's verifier refuses (as an older
# kernel might) changes nothing: the running programs and the rules stay,
# fwctl prints the verifier's reason in one line and exits 1.
#
# The refused program is real: fwctl built with BPF_EXTRA_CFLAGS=
# -DFW_TEST_REFUSED, whose XDP program reads past the packet unchecked.
#
#   fwtestref:   ref0 <=veth=> ref0p       (filtered by the good build)
#   fwtestrefb:  refb0 <=veth=> refb0p     (never had fwctl state)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool make

BAD=$T_TMP/refused/fwctl
if ! make -C "$T_ROOT" -s OUTPUT="$T_TMP/refused" BPF_EXTRA_CFLAGS=-DFW_TEST_REFUSED \
	"$T_TMP/refused/fwctl" >"$T_TMP/build.log" 2>&1; then
	t_fail build_refused "cannot build fwctl with -DFW_TEST_REFUSED" "$(tail -5 "$T_TMP/build.log")"
	t_done
fi

veth_ns() {
	bare_ns "$1"
	ip -n "$BARE" link add "$2" type veth peer name "$2p" &&
		ip -n "$BARE" link set "$2" up && ip -n "$BARE" link set "$2p" up
}
veth_ns ref ref0 || { t_fail topology "cannot create veth pair"; t_done; }
NS=$BARE
veth_ns refb refb0 || { t_fail topology "cannot create veth pair"; t_done; }
FRESH=$BARE

xdp_id() {
	ip -n "$1" -j link show "$2" | jq -r '.[0].xdp.prog.id // 0'
}
pinned_ids() {
	local p
	for p in "$(state_dir "$NS")"/fw_prog_*; do
		bpftool -j prog show pinned "$p" | jq -r .id
	done | tr '\n' ' '
}
snapshot() {
	fw -n "$NS" -j status | jq -S -c .
	fw -n "$NS" save | grep -v '^#'
	xdp_id "$NS" ref0
	pinned_ids
}

check good_block fw -n "$NS" block icmp ref0
before=$(snapshot)
assert good_xdp "no XDP program on ref0 after block" test "$(xdp_id "$NS" ref0)" != 0

# refused RC ERR: exit 1, one line naming the program and the verifier's words.
refused() {
	T_DETAIL="exit $RC, stderr: $ERR"
	[ "$RC" -eq 1 ] && [ "$(wc -l <<<"$ERR")" -eq 1 ] &&
		grep -q "kernel refused program fw_xdp: .*invalid mem access" <<<"$ERR"
}

# An upgrade to the refused build: nothing swapped, nothing re-pinned.
run "$BAD" -n "$NS" attach --upgrade
assert upgrade_refused "attach --upgrade with a refused program" refused
unchanged() {
	local now
	now=$(snapshot)
	T_DETAIL=$(diff <(echo "$before") <(echo "$now"))
	[ "$now" == "$before" ]
}
assert upgrade_changed_nothing "the refused upgrade changed status, rules, the XDP program or the pins" \
	unchanged
run fw -n "$NS" status
assert good_status_after "status after the refused upgrade: want exit 0 and nothing on stderr" \
	test "$RC" -eq 0 -a -z "$ERR"

# A first block with the refused build: no state made, nothing attached.
run "$BAD" -n "$FRESH" block icmp refb0
assert first_block_refused "block with a refused program" refused
assert first_block_no_state "state left behind: $(state_dir "$FRESH")" test -z "$(state_dir "$FRESH")"
assert first_block_no_xdp "an XDP program is attached to refb0" test "$(xdp_id "$FRESH" refb0)" = 0
no_tc() {
	! tc -n "$FRESH" filter show dev refb0 egress 2>/dev/null | grep -q fw_tc_
}
assert first_block_no_tc "a TC filter of fwctl is on refb0" no_tc

check detach_all fw -n "$NS" detach --all
t_done
