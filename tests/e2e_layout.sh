#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_layout.sh - fw_meta, the record of whose state this is:
#  - a state of another layout version is refused with a clear message and
#    left untouched, by readers and writers alike;
#  - the mark of a change under way, found set (as a killed fwctl leaves it),
#    is left alone by a read (status never changes the kernel) and makes the
#    next change enforce the stored rules again, checking the kernel and not
#    only its own notes: an XDP program removed behind fwctl's back comes
#    back, and fwctl says what it did;
#  - a fwctl built with FW_MAX_IFACES=2048 on state made for 1024 says what
#    to do, changes nothing, and can still save the rules.
#
#   fwtestlay:  lay0 <=veth=> lay0p
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool
bare_ns lay
NS=$BARE
if ! { ip -n "$NS" link add lay0 type veth peer name lay0p &&
	ip -n "$NS" link set lay0 up && ip -n "$NS" link set lay0p up; }; then
	t_fail topology "cannot create the veth pair"
	t_done
fi

check block_icmp fw -n "$NS" block icmp lay0
DIR=$(state_dir "$NS")
META=$DIR/fw_meta

# meta_bytes: fw_meta's 24 bytes as hex, space separated.
meta_bytes() {
	bpftool -j map lookup pinned "$META" key 0 0 0 0 | jq -r '.value | map(ltrimstr("0x")) | join(" ")'
}
# meta_put BYTES: write fw_meta whole.
meta_put() {
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update pinned "$META" key 0 0 0 0 value hex $1
}
# with_byte BYTES INDEX HEX: BYTES with byte INDEX replaced.
with_byte() {
	local -a b
	read -ra b <<<"$1"
	b[$2]=$3
	echo "${b[*]}"
}

orig=$(meta_bytes)
assert meta_readable "cannot read $META" test "$(wc -w <<<"$orig")" -eq 24
assert meta_version_4 "fw_meta does not start with layout version 4: $orig" \
	test "${orig:0:11}" = "04 00 00 00"

# --- another layout version -------------------------------------------------------

meta_put "$(with_byte "$orig" 0 02)"
rules_before=$(bpftool -j map lookup pinned "$DIR/fw_rules" key 0 0 0 0 | jq -c .value)
run fw -n "$NS" status
refused() {
	[ "$RC" -eq 1 ] && grep -q "layout version 2, this fwctl knows 4" <<<"$ERR" &&
		[ "$(wc -l <<<"$ERR")" -eq 1 ]
}
assert old_layout_status_refused "status on a version-2 state: want exit 1 and one line naming both versions" refused
run fw -n "$NS" block udp lay0
assert old_layout_block_refused "block on a version-2 state: want exit 1 and one line naming both versions" refused
unchanged() {
	[ "$(bpftool -j map lookup pinned "$DIR/fw_rules" key 0 0 0 0 | jq -c .value)" == "$rules_before" ] &&
		[ "$(meta_bytes)" == "$(with_byte "$orig" 0 02)" ]
}
assert old_layout_untouched "the refused block changed the rules or fw_meta" unchanged
meta_put "$orig"

# A layout-3 state has no fw_slots_hi: the missing pin is reported as the
# layout it is, not as a broken state.
mv "$DIR/fw_slots_hi" "$DIR/fw_slots_hi_aside"
meta_put "$(with_byte "$orig" 0 03)"
run fw -n "$NS" status
refused3() {
	[ "$RC" -eq 1 ] && grep -q "layout version 3, this fwctl knows 4" <<<"$ERR" &&
		[ "$(wc -l <<<"$ERR")" -eq 1 ]
}
assert layout3_refused "status on a version-3 state without fw_slots_hi: want exit 1 and one line naming both versions; got $RC: $ERR" refused3
mv "$DIR/fw_slots_hi_aside" "$DIR/fw_slots_hi"
meta_put "$orig"

# --- a change found half made ------------------------------------------------------

xdp_id() {
	ip -n "$NS" -j link show lay0 | jq -r '.[0].xdp.prog.id // 0'
}
assert xdp_attached "no XDP program on lay0 after block" test "$(xdp_id)" != 0
# What a fwctl killed mid-change may leave: the mark set, the kernel not
# running what the record says. A read (status) leaves the kernel alone;
# the next change repairs.
ip -n "$NS" link set dev lay0 xdp off
meta_put "$(with_byte "$orig" 4 01)"
run fw -n "$NS" -j status
assert read_no_repair "status changed the kernel (an XDP program is back on lay0)" \
	test "$(xdp_id)" == 0
assert read_mark_kept "status cleared the mark" test "$(meta_bytes | cut -d' ' -f5)" = 01
run fw -n "$NS" block udp lay0
repaired_said() {
	[ "$RC" -eq 0 ] && grep -q "interrupted fwctl left a change half made; repaired" <<<"$ERR"
}
assert repair_reported "block did not repair and say so" repaired_said
assert repair_reattached "lay0 has no XDP program after the repair" test "$(xdp_id)" != 0
run fw -n "$NS" -j status
status_names_it() {
	[ "$(jq -r '.interfaces[0].xdp.prog_id' <<<"$OUT")" == "$(xdp_id)" ]
}
assert repair_status_agrees "status names another XDP program than the kernel runs" status_names_it
assert repair_mark_cleared "the mark is still set after the repair" \
	test "$(meta_bytes | cut -d' ' -f5)" = 00
run fw -n "$NS" status
assert repair_once "a second status repaired again: $ERR" test -z "$ERR"

# --- a build for another number of interfaces (FW_MAX_IFACES) ----------------------

B2=$T_TMP/b2048
run make -s OUTPUT="$B2" FW_MAX_IFACES=2048 "$B2/fwctl"
if [ "$RC" -ne 0 ]; then
	t_fail build_2048 "cannot build fwctl with FW_MAX_IFACES=2048" "$(last_run)"
else
	# The rules, less the comment line: it carries the time of the save.
	save_want=$(fw -n "$NS" save | grep -v '^#')
	guidance() {
		T_DETAIL=$(last_run)
		[ "$RC" -eq 1 ] && [ "$(wc -l <<<"$ERR")" -eq 1 ] &&
			grep -q "was made for 1024 interfaces, this fwctl is built for 2048: run 'fwctl save > rules.conf; fwctl detach --all' with the fwctl that made it, then 'fwctl restore rules.conf' with this one" <<<"$ERR"
	}
	run "$B2/fwctl" -n "$NS" status
	assert limits_status_guidance "status with a 2048 build: want exit 1 and what to do" guidance
	run "$B2/fwctl" -n "$NS" block tcp lay0
	assert limits_block_guidance "block with a 2048 build: want exit 1 and what to do" guidance
	run "$B2/fwctl" -n "$NS" save
	saves() {
		T_DETAIL=$(last_run)
		[ "$RC" -eq 0 ] && [ "$(grep -v '^#' <<<"$OUT")" == "$save_want" ]
	}
	assert limits_save_works "save with a 2048 build does not print the rules" saves
	assert limits_untouched "the 2048 build changed the state" \
		test "$(fw -n "$NS" save | grep -v '^#')" == "$save_want"
fi
check detach_all fw -n "$NS" detach --all
t_done
