#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_detach.sh - `detach TARGET` removes one interface's programs and nothing
# else; `detach --all` leaves no fwctl program, link, map or pin of this
# namespace behind (other namespaces' state may exist meanwhile, so only what
# belongs to ours is looked at: its pinned maps, the programs using them, the
# links running those programs).
#
#   fwtestdethost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestdetc1)
#                                       +-- vethc2 == eth0 .12 (fwtestdetc2)
#                                       +-- vethc3 == eth0 .13 (fwtestdetc3)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool
topo_up det 3
topo_baseline

BPFFS=/sys/fs/bpf/fwctl

xdp_id() {
	ip -n "$H" -j -d link show dev "$1" | jq -r '.[0].xdp.prog.id // 0'
}

# Ids of the maps pinned under DIR, of the fw_ programs using them, and of the
# links running those programs; one "kind:id" per line.
owned_objects() {
	local dir=$1 f maps
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	maps=$(for f in "$dir"/*; do
		bpftool -j map show pinned "$f" 2>/dev/null | jq -r '.id // empty'
	done | sort -u)
	[ -z "$maps" ] && return
	printf '%s\n' "$maps" | sed 's/^/map:/'
	local progs
	progs=$(bpftool -j prog show | jq -r --argjson m "$(printf '%s\n' "$maps" | jq -s .)" \
		'.[] | select(.name | startswith("fw_")) |
		select(any(.map_ids[]?; . as $id | $m | index($id))) | .id')
	printf '%s\n' "$progs" | sed '/^$/d; s/^/prog:/'
	bpftool -j link show | jq -r --argjson p "$(printf '%s\n' "$progs" | jq -s .)" \
		'.[] | select(.prog_id as $id | $p | index($id)) | "link:\(.id)"'
}

# Which of the "kind:id" OBJECTS still exist; waits up to 3 s, since the
# kernel frees programs and maps a moment after their last reference goes.
survivors() {
	local objs=$1 left i o
	for ((i = 0; i < 30; i++)); do
		left=$(for o in $objs; do
			bpftool "${o%%:*}" show id "${o#*:}" >/dev/null 2>&1 && echo "$o"
		done)
		[ -z "$left" ] && return
		sleep 0.1
	done
	echo "$left"
}

# One port first: detach TARGET touches that port only.
check block_port1 fw -n "$H" block icmp vethc1
check block_port2 fw -n "$H" block icmp vethc2
check detach_one fw -n "$H" detach vethc1
expect_eq detach_one_xdp_gone 0 "$(xdp_id vethc1)"
assert detach_one_c1_back "c1 not answered after detach vethc1" ping_ok "$H" "${C_IP4[1]}"
assert detach_one_c2_kept "c2 answered: detach vethc1 removed vethc2's rule" \
	ping_none "$H" "${C_IP4[2]}"
if [ "$(xdp_id vethc2)" != 0 ]; then
	t_ok detach_one_keeps_other
else
	t_fail detach_one_keeps_other "vethc2 lost its XDP program"
fi

# A bridge as TARGET: its ports go with it, unless a rule of their own keeps
# them (vethc2's). The kernel refuses to change a port's XDP while the bridge
# has a program, so the order of release matters.
check block_bridge_first fw -n "$H" block icmp docker0
check detach_bridge fw -n "$H" detach docker0
expect_eq detach_bridge_xdp_gone 0 "$(xdp_id docker0)"
expect_eq detach_bridge_port1_gone 0 "$(xdp_id vethc1)"
expect_eq detach_bridge_port3_gone 0 "$(xdp_id vethc3)"
assert detach_bridge_c1_back "c1 not answered after detach docker0" ping_ok "$H" "${C_IP4[1]}"
assert detach_bridge_c2_kept "c2 answered: its own rule went with the bridge's" \
	ping_none "$H" "${C_IP4[2]}"

# Every kind of attachment: generic XDP on the bridge, native on ports, TC
# egress everywhere, TC ingress on one port.
check block_bridge fw -n "$H" block icmp,udp docker0
check attach_tc_ingress fw -n "$H" attach vethc3 --hook tc
dir=$(state_dir "$H")
objs=$(owned_objects "$dir")
if [ -n "$dir" ] && [ -d "$dir" ] && grep -q '^prog:' <<<"$objs" &&
	grep -q '^map:' <<<"$objs"; then
	t_ok state_found
else
	t_fail state_found "cannot find this namespace's pins, maps and programs" \
		"dir: '$dir'" "objects: $objs" "$(ls -la "$BPFFS" 2>&1)"
fi

check detach_all fw -n "$H" detach --all
left=$(survivors "$objs")
expect_eq no_programs_left "" "$(grep '^prog:' <<<"$left" | tr '\n' ' ')"
expect_eq no_maps_left "" "$(grep '^map:' <<<"$left" | tr '\n' ' ')"
expect_eq no_links_left "" "$(grep '^link:' <<<"$left" | tr '\n' ' ')"
if [ -n "$dir" ] && [ -e "$dir" ]; then
	t_fail no_pins_left "$dir still exists" "$(ls -la "$dir" 2>&1)"
else
	t_ok no_pins_left
fi
for ifn in docker0 vethc1 vethc2 vethc3; do
	expect_eq "no_xdp_$ifn" 0 "$(xdp_id "$ifn")"
	filters=$(in_ns "$H" tc filter show dev "$ifn" egress 2>&1
		in_ns "$H" tc filter show dev "$ifn" ingress 2>&1)
	if grep -q 'fw_' <<<"$filters"; then
		t_fail "no_tc_$ifn" "a cls_bpf filter of fwctl is left" "$filters"
	else
		t_ok "no_tc_$ifn"
	fi
done
run fw -n "$H" -j status
expect_eq status_empty 0 "$(json "$OUT" '[.interfaces[]? |
	select(.xdp.attached or .tc.egress or .tc.ingress)] | length')" "$(last_run)"
both_answer() {
	ping_ok "$H" "${C_IP4[1]}" && ping_ok "$H" "${C_IP4[2]}"
}
assert all_pass_again "c1 or c2 not answered after detach --all" both_answer

# Nothing left to detach is not an error.
check detach_all_twice fw -n "$H" detach --all
expect_eq detach_all_twice_no_dir "" "$(state_dir "$H")"

t_done
