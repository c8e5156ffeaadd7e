#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_bypass.sh - the ways a blocked protocol might hide from the parser, with
# real frames between two namespaces: VLAN and QinQ tags, IPv4 options, IPv4
# fragments (first, middle, last, overlapping), IPv6 behind the longest
# extension chain the parser walks and behind one header more (malformed:
# dropped when anything is blocked), IPv6 fragments, AH (IPv4's protocol 51,
# and IPv6's AH header walked to the protocol behind it). For each class and
# each direction: it arrives with nothing attached; with the rule, not one
# frame arrives and `fwctl -j stats` counts exactly the frames and bytes sent
# as dropped under the protocol; after `unblock all` it arrives again, counted
# as passed (under the protocol for TCP, UDP, ICMP and ICMPv6, which have rows
# of their own, under "other" for the rest: docs/limits.md#counters). Then the anti-lockout: with `block ipv6-icmp` neighbour discovery
# still resolves (echo fails), with --strict it does not; with `block icmp`
# fragmentation-needed passes (echo does not), with --strict it is dropped.
#
#   fwtestbptx                          fwtestbprx
#   +-------------------+              +----------------------------+
#   | txv 10.66.6.1/24  +====veth======+ rxv 10.66.6.2/24           |
#   |     fd66:6::1/64  |              |     fd66:6::2/64           |
#   | bypass.py send    |  in  ----->  | fwctl: XDP in, TC out      |
#   | bypass.py sniff   |  <-----  out | bypass.py send / sniff     |
#   +-------------------+              +----------------------------+
#
# Frames are built by tests/bypass.py with scapy (Debian: python3-scapy) and
# sent from an AF_PACKET socket; an AF_PACKET sniffer on the receiving end
# records each frame's marker. A non-IP sync frame after each batch tells
# when the receiver has seen all it will see.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_fwctl
require_cmd nsenter jq ip busybox
PY=/usr/bin/python3
BYPASS=$T_ROOT/tests/bypass.py
[ -x "$PY" ] && "$PY" -c 'import scapy.layers.inet6' 2>/dev/null ||
	t_skip_file "needs python3-scapy (apt-get install python3-scapy)"
# Frames per class and check; every one must be accounted for.
ROUNDS=5

bare_ns bptx
TX=$BARE
bare_ns bprx
RX=$BARE
# The counters must see only the test's frames: no router solicitations, no
# link-local address (so no DAD), static neighbours (so no neighbour
# discovery but in the ND checks), and test frames addressed to .99/::99 and
# .98/::98, which neither end owns, so neither stack answers them.
for ns in "$TX" "$RX"; do
	nsenter --net="/run/netns/$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
done
ip -n "$TX" link add txv type veth peer name rxv netns "$RX" &&
	ip -n "$TX" link set txv addrgenmode none && ip -n "$RX" link set rxv addrgenmode none &&
	ip -n "$TX" addr add 10.66.6.1/24 dev txv &&
	ip -n "$TX" addr add fd66:6::1/64 dev txv nodad &&
	ip -n "$RX" addr add 10.66.6.2/24 dev rxv &&
	ip -n "$RX" addr add fd66:6::2/64 dev rxv nodad &&
	ip -n "$TX" link set txv up && ip -n "$RX" link set rxv up ||
	{ t_fail topology "cannot build the veth pair"; t_done; }
TX_MAC=$(ip -n "$TX" -j link show txv | jq -r '.[0].address')
RX_MAC=$(ip -n "$RX" -j link show rxv | jq -r '.[0].address')
static_neigh() {
	ip -n "$TX" neigh replace 10.66.6.2 lladdr "$RX_MAC" nud permanent dev txv
	ip -n "$TX" neigh replace fd66:6::2 lladdr "$RX_MAC" nud permanent dev txv
	ip -n "$RX" neigh replace 10.66.6.1 lladdr "$TX_MAC" nud permanent dev rxv
	ip -n "$RX" neigh replace fd66:6::1 lladdr "$TX_MAC" nud permanent dev rxv
}
static_neigh
# MLD reports for the new addresses' groups go out in the first second or two.
sleep 3

# One sniffer per side for the whole file, bounded in time.
for side in rx tx; do
	ns=$RX ifc=rxv
	[ $side == tx ] && ns=$TX ifc=txv
	nsenter --net="/run/netns/$ns" "$PY" "$BYPASS" sniff $ifc "$T_TMP/$side.log" 230 \
		2>"$T_TMP/$side.err" &
	t_bg $!
done
for _ in $(seq 50); do
	grep -q ready "$T_TMP/rx.log" 2>/dev/null && grep -q ready "$T_TMP/tx.log" 2>/dev/null &&
		break
	sleep 0.1
done
grep -q ready "$T_TMP/rx.log" 2>/dev/null && grep -q ready "$T_TMP/tx.log" 2>/dev/null || {
	t_fail sniffers "the sniffers did not start" "$(cat "$T_TMP"/*.err)"
	t_done
}

# xmit DIR CLASS TOKEN: ROUNDS rounds of CLASS toward the filtered side (in:
# TX -> RX) or from it (out: RX -> TX). Sets SENT, SENT_BYTES and SEEN (how
# many of them the other end received).
xmit() {
	local dir=$1 cls=$2 tok=$3 from ifc mac log i
	local addrs=()
	if [ "$dir" == in ]; then
		from=$TX ifc=txv mac=$RX_MAC log=$T_TMP/rx.log
		addrs=(--src4 10.66.6.1 --dst4 10.66.6.99 --src6 fd66:6::1 --dst6 fd66:6::99)
	else
		from=$RX ifc=rxv mac=$TX_MAC log=$T_TMP/tx.log
		addrs=(--src4 10.66.6.2 --dst4 10.66.6.98 --src6 fd66:6::2 --dst6 fd66:6::98)
	fi
	SENT=0 SENT_BYTES=0 SEEN=0
	run nsenter --net="/run/netns/$from" "$PY" "$BYPASS" "${addrs[@]}" send $ifc "$mac" \
		"$cls" $ROUNDS "$tok"
	[ "$RC" -eq 0 ] || return 1
	read -r _ SENT SENT_BYTES <<<"$OUT"
	for i in $(seq 30); do
		grep -qFx "$tok.sync" "$log" && break
		sleep 0.1
	done
	grep -qFx "$tok.sync" "$log" || { LAST_CMD+=" (sync frame never seen)"; return 1; }
	SEEN=$(grep -cFx "$tok" "$log")
	return 0
}

stats() {
	fw -n "$RX" -j stats rxv 2>&1
}

# counted NAME FIELD PROTO DIR WANT BEFORE AFTER: FIELD of PROTO/DIR on rxv
# moved by exactly WANT between the two stats documents.
counted() {
	local name=$1 field=$2 proto=$3 dir=$4 want=$5 a b
	a=$(counter "$field" "$6" rxv "$proto" "$dir")
	b=$(counter "$field" "$7" rxv "$proto" "$dir")
	expect_eq "$name" "$want" "$((b - a))" "stats before: $6" "stats after: $7"
}

mapfile -t CLASSES < <("$PY" "$BYPASS" classes)
[ ${#CLASSES[@]} -gt 0 ] || { t_fail classes "bypass.py lists no class"; t_done; }

# --- nothing attached: every class arrives ------------------------------------

for dir in in out; do
	for c in "${CLASSES[@]}"; do
		read -r cls _ _ _ <<<"$c"
		if ! xmit $dir "$cls" "$dir-$cls-bare"; then
			t_fail "$dir/$cls/arrives-unfiltered" "cannot send" "$(last_run)"
			continue
		fi
		expect_eq "$dir/$cls/arrives-unfiltered" "$SENT" "$SEEN"
	done
done

# --- each class: dropped with its rule, counted, and back after unblock ----------

for dir in in out; do
	for c in "${CLASSES[@]}"; do
		read -r cls rule proto _ <<<"$c"
		n="$dir/$cls"
		run fw -n "$RX" block "$rule" rxv --dir $dir
		if [ "$RC" -ne 0 ]; then
			t_fail "$n/block" "fwctl block failed" "$(last_run)"
			continue
		fi
		s0=$(stats)
		if ! xmit $dir "$cls" "$dir-$cls-blocked"; then
			t_fail "$n/blocked" "cannot send" "$(last_run)"
			continue
		fi
		s1=$(stats)
		expect_eq "$n/blocked-none-arrive" 0 "$SEEN" "block $rule rxv --dir $dir"
		counted "$n/dropped-packets-counted" dropped_packets "$proto" $dir "$SENT" "$s0" "$s1"
		counted "$n/dropped-bytes-counted" dropped_bytes "$proto" $dir "$SENT_BYTES" "$s0" "$s1"
		counted "$n/none-passed" passed_packets "$proto" $dir 0 "$s0" "$s1"

		run fw -n "$RX" unblock all rxv --dir $dir
		[ "$RC" -eq 0 ] || t_fail "$n/unblock" "fwctl unblock failed" "$(last_run)"
		s0=$(stats)
		if ! xmit $dir "$cls" "$dir-$cls-unblocked"; then
			t_fail "$n/unblocked" "cannot send" "$(last_run)"
			continue
		fi
		s1=$(stats)
		expect_eq "$n/arrives-after-unblock" "$SENT" "$SEEN"
		case $proto in
		1 | 6 | 17 | 58 | *[!0-9]*) prow=$proto ;; # and malformed, non-ip
		*) prow=other ;;
		esac
		counted "$n/passed-counted" passed_packets "$prow" $dir "$SENT" "$s0" "$s1"
	done
done

# --- anti-lockout: IPv6 neighbour discovery under `block ipv6-icmp` --------------

# neigh_state NS ADDR: the neighbour cache state of ADDR on NS's veth.
neigh_state() {
	local ifc=txv
	[ "$1" == "$RX" ] && ifc=rxv
	ip -n "$1" -6 neigh show "$2" dev $ifc | awk '{ print $NF }'
}

flush_neigh() {
	ip -n "$TX" -6 neigh del fd66:6::2 dev txv 2>/dev/null
	ip -n "$RX" -6 neigh del fd66:6::1 dev rxv 2>/dev/null
	ip -n "$TX" -6 neigh flush dev txv
	ip -n "$RX" -6 neigh flush dev rxv
}

fw -n "$RX" -q unblock all rxv >/dev/null 2>&1
flush_neigh
assert nd/baseline-ping6 "ping6 fails with nothing blocked" ping_ok "$TX" fd66:6::2 2

run fw -n "$RX" block ipv6-icmp rxv
[ "$RC" -eq 0 ] || t_fail nd/block "fwctl block failed" "$(last_run)"
flush_neigh
s0=$(stats)
assert nd/ping6-blocked "an echo got through block ipv6-icmp" ping_none "$TX" fd66:6::2 2
s1=$(stats)
st=$(neigh_state "$TX" fd66:6::2)
T_DETAIL="$TX: fd66:6::2 is '$st'"
if [[ $st =~ ^(REACHABLE|STALE|DELAY|PROBE)$ ]]; then
	t_ok nd/neighbour-resolved
else
	t_fail nd/neighbour-resolved "neighbour discovery broken by block ipv6-icmp" "$T_DETAIL"
fi
a=$(counter passed_packets "$s0" rxv 58 in) b=$(counter passed_packets "$s1" rxv 58 in)
c=$(counter passed_packets "$s0" rxv 58 out) d=$(counter passed_packets "$s1" rxv 58 out)
e=$(counter dropped_packets "$s0" rxv 58 in) f=$(counter dropped_packets "$s1" rxv 58 in)
if [ $((b - a)) -ge 1 ] && [ $((d - c)) -ge 1 ] && [ $((f - e)) -ge 2 ]; then
	t_ok nd/counted-solicit-advert-passed-echo-dropped
else
	t_fail nd/counted-solicit-advert-passed-echo-dropped \
		"expected >= 1 passed in (NS), >= 1 passed out (NA), >= 2 dropped in (echo); got $((b - a)), $((d - c)), $((f - e))" \
		"$s1"
fi

run fw -n "$RX" unblock all rxv
run fw -n "$RX" block ipv6-icmp rxv --strict
[ "$RC" -eq 0 ] || t_fail nd/block-strict "fwctl block --strict failed" "$(last_run)"
flush_neigh
s0=$(stats)
ping_none "$TX" fd66:6::2 2 >/dev/null
# Neighbour discovery gives up after 3 solicitations a second apart.
for _ in $(seq 40); do
	st=$(neigh_state "$TX" fd66:6::2)
	[[ $st =~ ^(INCOMPLETE)$ ]] || break
	sleep 0.1
done
s1=$(stats)
T_DETAIL="$TX: fd66:6::2 is '${st:-absent}'"
if [[ $st =~ ^(REACHABLE|STALE|DELAY|PROBE)$ ]]; then
	t_fail nd/strict-neighbour-unresolved "neighbour discovery got through --strict" "$T_DETAIL"
else
	t_ok nd/strict-neighbour-unresolved
fi
e=$(counter dropped_packets "$s0" rxv 58 in) f=$(counter dropped_packets "$s1" rxv 58 in)
a=$(counter passed_packets "$s0" rxv 58 in) b=$(counter passed_packets "$s1" rxv 58 in)
if [ $((f - e)) -ge 1 ] && [ $((b - a)) -eq 0 ]; then
	t_ok nd/strict-solicit-counted-dropped
else
	t_fail nd/strict-solicit-counted-dropped \
		"expected >= 1 dropped and 0 passed in; got $((f - e)) and $((b - a))" "$s1"
fi
run fw -n "$RX" unblock all rxv
static_neigh

# --- anti-lockout: path-MTU discovery under `block icmp` -------------------------

run fw -n "$RX" block icmp rxv --dir in
s0=$(stats)
if xmit in icmp-frag-needed pmtu-frag-needed; then
	expect_eq pmtu/frag-needed-arrives "$SENT" "$SEEN"
else
	t_fail pmtu/frag-needed-arrives "cannot send" "$(last_run)"
fi
s1=$(stats)
counted pmtu/frag-needed-counted-passed passed_packets 1 in "$SENT" "$s0" "$s1"
s0=$s1
if xmit in icmp-echo pmtu-echo; then
	expect_eq pmtu/echo-dropped 0 "$SEEN"
else
	t_fail pmtu/echo-dropped "cannot send" "$(last_run)"
fi
s1=$(stats)
counted pmtu/echo-counted-dropped dropped_packets 1 in "$SENT" "$s0" "$s1"

run fw -n "$RX" unblock all rxv --dir in
run fw -n "$RX" block icmp rxv --dir in --strict
s0=$(stats)
if xmit in icmp-frag-needed pmtu-strict; then
	expect_eq pmtu/strict-frag-needed-dropped 0 "$SEEN"
else
	t_fail pmtu/strict-frag-needed-dropped "cannot send" "$(last_run)"
fi
s1=$(stats)
counted pmtu/strict-frag-needed-counted-dropped dropped_packets 1 in "$SENT" "$s0" "$s1"

t_done
