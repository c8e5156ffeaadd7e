#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_status.sh - `fwctl status` tells the truth: its hook, mode and program id
# for every interface agree with what `ip link` shows, a bridge falls back to
# generic XDP (and says so on stderr), a veth runs native XDP; its text fits
# 80 columns with realistic names (veth1234567, a 20-character container).
#
#   fwteststahost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwteststac1)
#                                       +-- vethc2 == eth0 .12 (fwteststac2)
#                                       +-- vethc3 == eth0 .13 (fwteststac3)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up sta 3
topo_baseline

STATUS=
get_status() {
	run fw -n "$H" -j status "$@"
	STATUS=$OUT
	[ "$RC" -eq 0 ] && is_json "$STATUS" && return 0
	t_fail status "fwctl -j status failed or printed no JSON" "$(last_run)"
	STATUS='{"interfaces": []}'
	return 1
}

# st IFNAME FILTER: FILTER applied to IFNAME's entry in $STATUS.
st() {
	json "$STATUS" --arg i "$1" ".interfaces[] | select(.ifname == \$i) | $2"
}

# "<mode> <prog id>" for IFNAME, as ip link reports it.
ip_xdp() {
	ip -n "$H" -j -d link show dev "$1" | jq -r '.[0].xdp as $x |
		({"1": "native", "2": "generic", "3": "offload"}[($x.mode // 0) | tostring]
		// "none") + " " + (($x.prog.id // 0) | tostring)'
}

# "<mode> <prog id>" for IFNAME, as fwctl status reports it.
st_xdp() {
	st "$1" '(.xdp.mode // "none") + " " + ((.xdp.prog_id // 0) | tostring)'
}

# The word ip link prints in its first line: xdp (native) or xdpgeneric.
ip_word() {
	ip -n "$H" -d link show dev "$1" | head -1 | grep -oE ' xdp(generic|offload)? ' | tr -d ' '
}

# agree NAME IFNAME WANT_MODE: status and ip link show the same mode and id.
agree() {
	local name=$1 ifname=$2 want=$3 mine theirs word
	mine=$(st_xdp "$ifname")
	theirs=$(ip_xdp "$ifname")
	word=$(ip_word "$ifname")
	local detail="status: '$mine'  ip link: '$theirs' (word '$word')"
	if [ "$mine" != "$theirs" ]; then
		t_fail "$name" "status and ip link disagree on $ifname" "$detail"
	elif [ "${mine%% *}" != "$want" ]; then
		t_fail "$name" "$ifname runs '${mine%% *}', want '$want'" "$detail"
	elif [ "$want" == generic ] && [ "$word" != xdpgeneric ]; then
		t_fail "$name" "ip -d link does not say xdpgeneric" "$detail"
	elif [ "$want" == native ] && [ "$word" != xdp ]; then
		t_fail "$name" "ip -d link does not say xdp" "$detail"
	else
		t_ok "$name"
	fi
}

# One line on stderr naming the fallback, as the contract asks of --mode auto.
check block_icmp_bridge fw -n "$H" block icmp docker0
if grep -qi generic <<<"$ERR"; then
	t_ok fallback_said_on_stderr
else
	t_fail fallback_said_on_stderr "block on a bridge did not mention generic XDP" "$(last_run)"
fi

get_status
agree bridge_generic docker0 generic
agree port1_native vethc1 native
agree port2_native vethc2 native
agree port3_native vethc3 native
expect_eq bridge_kind bridge "$(st docker0 .kind)" "$STATUS"
expect_eq veth_kind veth "$(st vethc1 .kind)" "$STATUS"
expect_eq ifindex_agrees \
	"$(ip -n "$H" -j link show dev vethc2 | jq -r '.[0].ifindex')" "$(st vethc2 .ifindex)"
for ifn in docker0 vethc1 vethc2 vethc3; do
	expect_eq "blocked_$ifn" '["icmp"] ["icmp"]' \
		"$(st "$ifn" '(.blocked.in | tojson) + " " + (.blocked.out | tojson)')" "$STATUS"
	expect_eq "tc_egress_$ifn" true "$(st "$ifn" .tc.egress)" "$STATUS"
done
# Whatever status lists, ip link agrees with; lo is never touched.
for ifn in $(json "$STATUS" '.interfaces[].ifname'); do
	[ "$(st_xdp "$ifn")" == "$(ip_xdp "$ifn")" ] ||
		t_fail "agree_$ifn" "status '$(st_xdp "$ifn")', ip link '$(ip_xdp "$ifn")'"
done
expect_eq lo_untouched "none 0" "$(ip_xdp lo)"

get_status vethc2
expect_eq status_target_filters vethc2 \
	"$(json "$STATUS" '[.interfaces[].ifname] | join(",")')" "$STATUS"

run fw -n "$H" status
if [ "$RC" -eq 0 ] && grep -q docker0 <<<"$OUT" && grep -qi generic <<<"$OUT"; then
	t_ok text_status
else
	t_fail text_status "text status does not show docker0 and generic" "$(last_run)"
fi

# Text status fits 80 columns with realistic names: a port veth1234567 whose
# peer sits in a namespace of a 20-character name (its container), blocking a
# long protocol set, next to the degraded bridge with its reason.
bare_ns sta-webfront-1
ip -n "$H" link add veth1234567 type veth peer name eth0 netns "$BARE" &&
	ip -n "$H" link set veth1234567 master docker0 up
check block_long_set fw -n "$H" block icmp,udp,gre,esp,ah,sctp,ipip,igmp,pim,l2tp,vrrp veth1234567
run fw -n "$H" status
expect_eq text_80_columns "" "$(awk 'length > 80' <<<"$OUT")" "$OUT"
if grep -qE "^veth1234567 +veth +$BARE +(xdp|tc)[a-z -]* (enforced|degraded)$" <<<"$OUT" &&
	grep -q 'l2tp' <<<"$OUT" && grep -q '^docker0 in: degraded: generic XDP' <<<"$OUT"; then
	t_ok text_row_named
else
	t_fail text_row_named "want veth1234567's row naming $BARE, its set and docker0's reason" \
		"$(last_run)"
fi
ip -n "$H" link del veth1234567

# Explicit modes and hooks on single ports, with the bridge rule gone.
check detach_all fw -n "$H" detach --all
for ifn in docker0 vethc1 vethc2 vethc3; do
	expect_eq "detached_$ifn" "none 0" "$(ip_xdp "$ifn")"
done

check attach_generic fw -n "$H" attach vethc1 --mode generic
check attach_native fw -n "$H" attach vethc2 --mode native
check attach_tc_hook fw -n "$H" attach vethc3 --hook tc
get_status
agree veth_forced_generic vethc1 generic
agree veth_forced_native vethc2 native
expect_eq tc_hook_no_xdp "none 0" "$(ip_xdp vethc3)"
expect_eq tc_hook_status_mode none "$(st vethc3 .xdp.mode)" "$STATUS"
expect_eq tc_hook_ingress true "$(st vethc3 .tc.ingress)" "$STATUS"
expect_eq attach_blocks_nothing '[] []' \
	"$(st vethc1 '(.blocked.in | tojson) + " " + (.blocked.out | tojson)')" "$STATUS"
assert attach_passes_ping "ping to c3 broken by a bare attach" ping_ok "$H" "${C_IP4[3]}"

# With the tc hook, a block still drops what the port receives.
check block_on_tc_hook fw -n "$H" block icmp vethc3 --dir in
assert tc_hook_drops "c3 -> host ping answered with icmp blocked on TC ingress" \
	ping_none "${TOPO_PREFIX}c3" "$BR_IP4"

# -q silences the fallback note.
check detach_all_again fw -n "$H" detach --all
run fw -n "$H" -q block icmp docker0
expect_eq quiet_block "0 ''" "$RC '$ERR'"

t_done
