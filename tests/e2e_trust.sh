#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_trust.sh - what `fwctl status` says is enforced is what the kernel
# enforces (issue 13), and one port that cannot be covered never stops the
# rest:
#   - a hook removed behind fwctl's back (`tc qdisc del ... clsact`,
#     `ip link set ... xdp off`) really lets packets through, status says
#     not-enforced and exits 3, and re-running the block repairs it;
#   - a foreign cls_bpf filter at prio 1 runs ahead of fwctl's: status says
#     so, the bypass is real, re-running the block puts fwctl first again;
#     one added with no priority ends up behind fwctl's;
#   - a port of ifindex 300000 is covered like any other;
#   - a port that cannot be covered (another tool's XDP
#     program, native or generic) fails the block with exit 1 naming it,
#     while every other port is still covered, and leaves no "interrupted"
#     mark behind;
#   - a port added while no watch runs shows as "not covered";
#   - `stats --prometheus` carries fwctl_enforced;
#   - status, stats and save never attach or detach anything.
# Echo requests are counted where they arrive (Icmp InEchos of the receiving
# namespace), so a drop on either side of the path cannot hide a bypass.
#
#   fwtesttruhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtesttruc1)
#                                       +-- vethc2 == eth0 .12 (fwtesttruc2)
#                                       +-- vethc3 == eth0 .13 (fwtesttruc3)
#                                       +-- vethc4 == eth0 .14 (added later)
#                                       +-- vbad  (ifindex 300000) <=> vbadp
#                                       +-- vforn (pass.o XDP)     <=> vfornp
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq clang tc
topo_up tru 3
C1=${TOPO_PREFIX}c1
C2=${TOPO_PREFIX}c2
topo_baseline

build_pass_prog

# --- helpers of this file -----------------------------------------------------

# arrive FROM ADDR TO [COUNT]: pings ADDR from FROM; sets ARRIVED to the echo
# requests that reached namespace TO meanwhile, T_DETAIL to what ping said.
ARRIVED=0
arrive() {
	local before
	before=$(in_echos "$3")
	pings "$1" "$2" "${4:-3}"
	ARRIVED=$(($(in_echos "$3") - before))
	T_DETAIL+=$'\n'"echo requests that reached $3: $ARRIVED"
}
# passes FROM ADDR TO: at least one echo request got through (the bypass is real).
passes() {
	arrive "$@"
	[ "$ARRIVED" -gt 0 ]
}
# blocked FROM ADDR TO: not one did.
blocked() {
	arrive "$@"
	[ "$ARRIVED" -eq 0 ]
}

# state IFNAME [DIR]: the interface's state, or one direction's.
state() {
	if [ -n "${2:-}" ]; then
		status_of "$1" ".directions.$2.state // \"none\""
	else
		status_of "$1" '.state // "none"'
	fi
}
# reasons IFNAME: every reason status gives for IFNAME, joined.
reasons() {
	status_of "$1" '[.reason, .directions[]?.reason] | map(select(. != null)) | join("; ")'
}
# st_is NAME IFNAME DIR WANT [REASON-REGEX]: status (already in $STATUS) says
# WANT for IFNAME (DIR "" = the interface as a whole), with a matching reason.
st_is() {
	local name=$1 ifn=$2 dir=$3 want=$4 re=${5:-} got why
	got=$(state "$ifn" "$dir")
	why=$(reasons "$ifn")
	if [ "$got" != "$want" ]; then
		t_fail "$name" "status says $ifn${dir:+ $dir} is '$got', want '$want'" \
			"reasons: $why" "exit $SRC" "$(status_of "$ifn" . | jq -c .)"
	elif [ -n "$re" ] && ! grep -qiE "$re" <<<"$why"; then
		t_fail "$name" "reason for $ifn does not match /$re/" "reasons: $why"
	else
		t_ok "$name"
	fi
}
# status_exit NAME WANT: the last status_now "$H" exited WANT.
status_exit() {
	expect_eq "$1" "$2" "$SRC" "$(printf '%s' "$STATUS" | head -c 1500)"
}

xdp_id() {
	ip -n "$H" -j link show dev "$1" | jq -r '.[0].xdp.prog.id // 0'
}
has_clsact() {
	tc -n "$H" qdisc show dev "$1" | grep -q '^qdisc clsact'
}
# first_filter IF DIR: "<pref> <name>" of the first filter the kernel runs on
# IF's clsact DIR (egress|ingress), or "none".
first_filter() {
	tc -n "$H" -j filter show dev "$1" "$2" 2>/dev/null |
		jq -r '[.[] | select(.options != null)][0] //
			{} | "\(.pref // "none") \(.options.bpf_name // .kind // "-")"' 2>/dev/null ||
		echo none
}
# fw_first IF: fwctl's filter is the first on IF's egress.
fw_first() {
	local f
	f=$(first_filter "$1" egress)
	T_DETAIL="first egress filter on $1: '$f'"$'\n'$(tc -n "$H" filter show dev "$1" egress)
	[[ ${f#* } == fw_* ]]
}
# hooks_whole IF: fwctl's XDP program and its egress filter (first) on IF.
hooks_whole() {
	if [ "$(xdp_id "$1")" != 0 ] && has_clsact "$1" && fw_first "$1"; then
		return 0
	fi
	T_DETAIL+=$'\n'"xdp id $(xdp_id "$1")"
	return 1
}
no_interrupted() {
	run fw -n "$H" status
	T_DETAIL="status: $OUT"$'\n'"$ERR"
	grep -qi interrupt <<<"$OUT$ERR" && return 1
	run fw -n "$H" save
	T_DETAIL+=$'\n'"save: $OUT"$'\n'"$ERR"
	! grep -qi interrupt <<<"$OUT$ERR"
}
# drop_foreign IF: deletes the priorities holding a filter that is not
# fwctl's from IF's egress (fwctl's too if it shares one: a block restores it).
drop_foreign() {
	local p
	for p in $(tc -n "$H" -j filter show dev "$1" egress | jq -r '.[] |
		select(.options != null and ((.options.bpf_name // "") | startswith("fw_") | not)) |
		.pref' | sort -u); do
		tc -n "$H" filter del dev "$1" egress prio "$p"
	done
}
# veth_port NAME [INDEX [XDP-MODE]]: a veth pair NAME <=> NAMEp in $H, NAME
# on docker0; with XDP-MODE (xdpdrv, xdpgeneric) pass.o's XDP program on NAME,
# set before it joins (the kernel refuses XDP under a bridge that has one).
veth_port() {
	local idx=()
	[ -n "${2:-}" ] && idx=(index "$2")
	ip -n "$H" link add "$1" "${idx[@]}" type veth peer name "$1p" &&
		ip -n "$H" link set "$1p" up || return 1
	if [ -n "${3:-}" ]; then
		ip -n "$H" link set dev "$1" "$3" obj "$PASS_O" sec xdp || return 1
	fi
	ip -n "$H" link set "$1" master docker0 up
}
# fresh RULE TARGET: no state, then `block RULE TARGET` with every hook in
# place, so each part starts clean even where the part before failed.
fresh() {
	run fw -n "$H" detach --all
	run fw -n "$H" block "$1" "$2"
	[ "$RC" -eq 0 ] && hooks_whole vethc2 && return 0
	t_fail "fresh_$2" "cannot start the next part clean" "$(last_run)" "$T_DETAIL"
}

# --- 1. hooks removed behind fwctl's back (a port rule: nothing else on the path)
check block_port fw -n "$H" block icmp vethc2
status_now "$H"
status_exit enforced_exit0 0
st_is port_enforced vethc2 "" enforced
st_is port_in_enforced vethc2 in enforced
st_is port_out_enforced vethc2 out enforced
expect_eq status_has_netns "$H" "$(json "$STATUS" '.netns // "none"')"
assert port_blocks_before "echo requests reached c2 with icmp blocked on vethc2" \
	blocked "$H" "${C_IP4[2]}" "$C2"

tc -n "$H" qdisc del dev vethc2 clsact
assert clsact_del_bypass "no echo request reached c2 with its clsact deleted (test broken?)" \
	passes "$H" "${C_IP4[2]}" "$C2"
status_now "$H"
status_exit clsact_del_exit3 3
st_is clsact_del_not_enforced vethc2 out not-enforced 'missing'
st_is clsact_del_in_still vethc2 in enforced
st_is clsact_del_iface_not_enforced vethc2 "" not-enforced
run fw -n "$H" status
if grep -q 'STATE' <<<"$OUT" && grep -E '^vethc2 ' <<<"$OUT" | grep -q 'not-enforced' &&
	grep 'vethc2' <<<"$OUT" | grep -qi 'missing'; then
	t_ok text_status_reason
else
	t_fail text_status_reason "text status lacks STATE, vethc2 not-enforced or its reason" \
		"$(last_run)"
fi
expect_eq text_status_exit3 3 "$RC"
expect_eq text_status_80_columns "" "$(awk 'length > 80' <<<"$OUT")" "$OUT"

check clsact_reblock fw -n "$H" block icmp vethc2
assert clsact_restored "re-running block did not restore vethc2's clsact and filter" \
	hooks_whole vethc2
status_now "$H"
status_exit clsact_restored_exit0 0
st_is clsact_restored_enforced vethc2 out enforced
assert clsact_restored_blocks "echo requests reach c2 after the repair" \
	blocked "$H" "${C_IP4[2]}" "$C2"

ip -n "$H" link set dev vethc2 xdp off
assert xdp_off_bypass "no echo request from c2 reached the host with XDP off (test broken?)" \
	passes "$C2" "$BR_IP4" "$H"
status_now "$H"
status_exit xdp_off_exit3 3
st_is xdp_off_not_enforced vethc2 in not-enforced 'missing'
st_is xdp_off_out_still vethc2 out enforced
check xdp_off_reblock fw -n "$H" block icmp vethc2
assert xdp_off_restored "re-running block did not restore vethc2's XDP program" hooks_whole vethc2
status_now "$H"
status_exit xdp_off_restored_exit0 0
st_is xdp_off_restored_enforced vethc2 in enforced
assert xdp_off_restored_blocks "echo requests from c2 reach the host after the repair" \
	blocked "$C2" "$BR_IP4" "$H"

# Another XDP program replaces fwctl's behind its back.
fresh icmp vethc2
fwid=$(xdp_id vethc2)
ip -force -n "$H" link set dev vethc2 xdpdrv obj "$PASS_O" sec xdp
assert replaced_setup "pass.o did not replace fwctl's XDP program on vethc2" \
	test "$(xdp_id vethc2)" != "$fwid" -a "$(xdp_id vethc2)" != 0
status_now "$H"
status_exit replaced_exit3 3
st_is replaced_not_enforced vethc2 in not-enforced 'replac|another|foreign|not fwctl'
ip -n "$H" link set dev vethc2 xdp off

# --- 2. read-only commands leave the kernel alone -----------------------------
fresh icmp vethc2
tc -n "$H" qdisc del dev vethc2 clsact
ip -n "$H" link set dev vethc2 xdp off
for c in "status" "-j status" "stats" "-j stats" "stats --prometheus" "save"; do
	# shellcheck disable=SC2086 # the words of a command line
	run fw -n "$H" $c
done
untouched() {
	T_DETAIL="xdp id $(xdp_id vethc2); qdiscs: $(tc -n "$H" qdisc show dev vethc2)"
	[ "$(xdp_id vethc2)" == 0 ] && ! has_clsact vethc2
}
assert readonly_untouched "status/stats/save attached something" untouched
check readonly_reblock fw -n "$H" block icmp vethc2
assert readonly_then_restored "block did not restore both hooks of vethc2" hooks_whole vethc2

# --- 3. a foreign filter at prio 1 runs first -----------------------------------
fresh icmp vethc2
tc -n "$H" filter add dev vethc2 egress prio 1 bpf da obj "$PASS_O" sec tc
assert prio1_bypass "no echo request reached c2 past the foreign prio-1 filter (test broken?)" \
	passes "$H" "${C_IP4[2]}" "$C2"
status_now "$H"
status_exit prio1_exit3 3
st_is prio1_not_enforced vethc2 out not-enforced 'first|ahead|before'
check prio1_reblock fw -n "$H" block icmp vethc2
assert prio1_fw_first "fwctl's filter is not first after re-running block" fw_first vethc2
assert prio1_restored_blocks "echo requests reach c2 after fwctl is first again" \
	blocked "$H" "${C_IP4[2]}" "$C2"
status_now "$H"
status_exit prio1_restored_exit0 0
st_is prio1_restored_enforced vethc2 out enforced
drop_foreign vethc2
fresh icmp vethc2

# A foreign filter with no priority: the kernel puts it after fwctl's.
tc -n "$H" filter add dev vethc2 egress bpf da obj "$PASS_O" sec tc
assert noprio_fw_first "a filter added with no priority runs before fwctl's" fw_first vethc2
assert noprio_blocks "echo requests reach c2 with a no-priority foreign filter" \
	blocked "$H" "${C_IP4[2]}" "$C2"
status_now "$H"
st_is noprio_enforced vethc2 out enforced
drop_foreign vethc2

# --- 4. the bridge rule: drift on its ports, repaired by re-running it ----------
run fw -n "$H" detach --all
check block_bridge fw -n "$H" block icmp docker0
status_now "$H"
status_exit bridge_exit0 0
st_is bridge_degraded docker0 "" degraded 'generic'
st_is bridge_port_enforced vethc3 "" enforced
run fw -n "$H" stats --prometheus
prom() {
	grep -E "^fwctl_enforced\{" <<<"$OUT" | grep "netns=\"$H\"" | grep "ifname=\"$1\"" |
		grep "direction=\"$2\"" | awk '{ print $NF }' | head -1
}
expect_eq prom_enforced_out 1 "$(prom vethc3 out)" "$(grep fwctl_enforced <<<"$OUT" | head -20)"
expect_eq prom_enforced_in 1 "$(prom vethc3 in)"
# The kernel refuses XDP changes on a port under a bridge that has XDP
# ("upper device already has a program"): the bridge's own XDP is what drifts.
tc -n "$H" qdisc del dev vethc3 clsact
ip -n "$H" link set dev docker0 xdp off
run fw -n "$H" stats --prometheus
expect_eq prom_not_enforced_out 0 "$(prom vethc3 out)" "$(grep fwctl_enforced <<<"$OUT" | head -20)"
expect_eq prom_not_enforced_in 0 "$(prom docker0 in)"
expect_eq prom_still_enforced 1 "$(prom vethc2 out)"
status_now "$H"
status_exit bridge_drift_exit3 3
st_is bridge_drift_c3 vethc3 out not-enforced 'missing'
st_is bridge_drift_docker0 docker0 in not-enforced 'missing'
st_is bridge_drift_c2 vethc2 "" enforced
check bridge_reblock fw -n "$H" block icmp docker0
for ifn in vethc1 vethc2 vethc3; do
	assert "bridge_restored_$ifn" "re-running block docker0 left $ifn's hooks missing" \
		hooks_whole "$ifn"
done
assert bridge_restored_docker0 "re-running block docker0 left docker0 without XDP" \
	test "$(xdp_id docker0)" != 0
status_now "$H"
status_exit bridge_restored_exit0 0
assert bridge_restored_c2c "c1 -> c3 echo requests reach c3 after the repair" \
	blocked "$C1" "${C_IP4[3]}" "${TOPO_PREFIX}c3"

# --- 5. a port added while no watch runs ---------------------------------------
run bash "$TOPO" up -p "$TOPO_PREFIX" -c 4
status_now "$H"
status_exit uncovered_exit3 3
st_is uncovered_listed vethc4 "" not-enforced 'cover'
check uncovered_next_change fw -n "$H" block udp docker0
status_now "$H"
st_is uncovered_now_covered vethc4 "" enforced
assert uncovered_hooks "the next change did not attach to vethc4" hooks_whole vethc4

# --- 6. ports that cannot be covered -------------------------------------------
# 6a: ifindex 300000, beyond fw_slots' direct table: covered like any other
# port (issue 15.4; tests/e2e_ifindex.sh filters packets on such ports).
if veth_port vbad 300000; then
	check vbad_block fw -n "$H" block icmp docker0
	status_now "$H"
	status_exit vbad_status_exit0 0
	st_is vbad_enforced vbad "" enforced
	assert vbad_hooks "block did not attach to vbad (ifindex 300000)" hooks_whole vbad
	check vbad_later_change fw -n "$H" block tcp docker0
	status_now "$H"
	expect_eq vbad_later_change_applied '["icmp","tcp","udp"]' \
		"$(status_of vbad '.blocked.out | sort | tojson')" "$(status_of vbad .)"
	assert vbad_later_c2c_blocked "c1 -> c2 echo requests pass with vbad present" \
		blocked "$C1" "${C_IP4[2]}" "$C2"
	ip -n "$H" link del vbad
else
	t_fail vbad_port "cannot create a veth with ifindex 300000"
fi
check unblock_tcp fw -n "$H" unblock tcp docker0

# 6b, 6c: another tool's XDP program on a port, native and generic.
for mode in xdpdrv xdpgeneric; do
	n=vforn
	if ! veth_port $n "" "$mode"; then
		t_fail "foreign_${mode}_port" "cannot set up a port with a foreign XDP program"
		ip -n "$H" link del $n 2>/dev/null
		continue
	fi
	foreign=$(xdp_id $n)
	run fw -n "$H" block icmp docker0
	bad=$(last_run)
	expect_eq "foreign_${mode}_exit1" 1 "$RC" "$bad"
	if grep -q $n <<<"$ERR"; then
		t_ok "foreign_${mode}_message"
	else
		t_fail "foreign_${mode}_message" "block's error does not name $n" "$bad"
	fi
	expect_eq "foreign_${mode}_kept" "$foreign" "$(xdp_id $n)"
	status_now "$H"
	status_exit "foreign_${mode}_status_exit3" 3
	st_is "foreign_${mode}_not_enforced" $n "" not-enforced 'another|foreign|program|force'
	st_is "foreign_${mode}_others" vethc3 "" enforced
	assert "foreign_${mode}_no_interrupted" "status or save warns of an interrupted fwctl" \
		no_interrupted
	# Another port's drift is still repaired by the next change.
	tc -n "$H" qdisc del dev vethc3 clsact
	run fw -n "$H" block udp docker0
	assert "foreign_${mode}_others_repaired" "a change with $n present did not repair vethc3" \
		hooks_whole vethc3
	ip -n "$H" link del $n
done

status_now "$H"
status_exit final_exit0 0
check detach_all fw -n "$H" detach --all
t_done
