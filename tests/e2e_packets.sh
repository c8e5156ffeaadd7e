#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_packets.sh - `fwctl monitor --packets` (issue 16.1): real dropped
# frames come back as samples, one line (or JSON object, or pcap record)
# each, with the right interface, container, direction, protocol,
# addresses, ports, ICMP type and code, VLAN id; tshark and tcpdump read the
# pcap back. The rate limit holds in the kernel and what it leaves out is
# counted exactly: shown + not shown + lost = the drops `stats` counted,
# with --rate and with --count.
# One listener per namespace; a killed one's flag is taken over by the next
# listener, or cleared by a running watch; the flag is off when no one
# listens.
#
#   fwtestpkhost: docker0 172.31.X.1 --- vethc1 == eth0 .11 (fwtestpkc1)
#                                    \-- vethc2 == eth0 .12 (fwtestpkc2)
#   rules: block icmp docker0; block udp netns:fwtestpkc2 --dir out
#   frames: 3 pings c1 -> docker0 (dropped on vethc1 in, XDP); from c2 to
#   docker0: 2 UDP 40001 -> 9, a VLAN 100 tagged UDP 40002 -> 9 and an
#   IPv6 UDP 40003 -> 9 behind hop-by-hop and destination options (all
#   dropped on vethc2 in); host -> c1 ping (dropped on docker0 out, TC).
# shellcheck disable=SC2016 # jq programs, in single quotes on purpose
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq python3 tshark tcpdump bpftool
topo_up pk 2
C1=${TOPO_PREFIX}c1
C2=${TOPO_PREFIX}c2
topo_baseline

check block_bridge fw -n "$H" block icmp docker0
check block_c2_out fw -n "$H" block udp "netns:$C2" --dir out
DIR=$(state_dir "$H")
[ -n "$DIR" ] || { t_fail state_dir "no state directory for $H"; t_done; }
BR_MAC=$(ip -n "$H" -j link show docker0 | jq -r '.[0].address')

# flag: the programs' sample flag as the kernel holds it (on, pid).
flag() {
	bpftool map dump pinned "$DIR/fw_sample_ctl" -j 2>/dev/null |
		jq -r '.[0].formatted.value[".data"][0].fw_sample_ctl | "\(.on) \(.pid)"'
}

# flag_becomes WANT [LOG]: waits (up to 5 s) until the flag reads WANT.
flag_becomes() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(flag)" == "$1" ] && return 0
		sleep 0.05
	done
	T_DETAIL="flag: $(flag)${2:+; $(cat "$2")}"
	return 1
}

# armed PID: the listener PID holds the flag.
armed() {
	flag_becomes "1 $1"
}

# finish PID: waits (up to 10 s) for a listener to end by itself, then
# interrupts it; RC is its exit status.
finish() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -INT "$1" 2>/dev/null
	wait "$1"
	RC=$?
}

# udp_from NS SRC_PORT DST N: N datagrams from a fixed source port.
udp_from() {
	in_ns "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", int(sys.argv[1])))
for _ in range(int(sys.argv[3])):
    s.sendto(b"fwctl", (sys.argv[2], 9))
' "$2" "$3" "$4"
}

# raw_from NS: the VLAN-tagged and the IPv6 extension-header frames, sent
# as built (scapy) from NS's eth0, so nothing rewrites them.
raw_from() {
	# Debian's python3, where python3-scapy is (not a python3 earlier in PATH)
	in_ns "$1" /usr/bin/python3 - "$BR_MAC" "${C_IP4[2]}" "$BR_IP4" "${C_IP6[2]}" "$BR_IP6" <<'EOF'
import logging, socket, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.l2 import Ether, Dot1Q
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt
mac, s4, d4, s6, d6 = sys.argv[1:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
src = s.getsockname()[4].hex(":")
frames = [
    Ether(src=src, dst=mac) / Dot1Q(vlan=100) / IP(src=s4, dst=d4) / UDP(sport=40002, dport=9) / b"fwctl",
    Ether(src=src, dst=mac) / IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
    / UDP(sport=40003, dport=9) / b"fwctl",
]
for f in frames:
    s.send(bytes(f))
EOF
}

# traffic: the seven frames dropped on the ports' XDP hooks.
traffic() {
	in_ns "$C1" "${PING[@]}" -c 3 -i 0.2 -W 1 "$BR_IP4" >/dev/null 2>&1
	udp_from "$C2" 40001 "$BR_IP4" 2
	raw_from "$C2"
}

# --- JSON and pcap: one listener ---------------------------------------------

"$FWCTL" -n "$H" -j monitor --packets --count 7 -w "$T_TMP/s.pcap" >"$T_TMP/s.json" 2>"$T_TMP/s.err" &
mon=$!
t_bg "$mon"
assert json_armed "the listener never set the programs' flag" armed "$mon"
traffic
finish "$mon"
expect_eq json_exit 0 "$RC" "$(cat "$T_TMP/s.err")"
S=$(cat "$T_TMP/s.json")
DETAIL="$S"
# One object per sample, then the summary.
expect_eq json_samples 7 "$(jq -s '[.[] | select(.time)] | length' <<<"$S")" "$DETAIL"
expect_eq json_summary '7 0 0' "$(jq -rs '.[-1] | "\(.samples) \(.unsampled) \(.lost)"' <<<"$S")" "$DETAIL"
expect_eq json_stderr_empty "" "$(cat "$T_TMP/s.err")"
got=$(jq -c 'select(.proto == "icmp") | [.ifname, .container, .direction,
	.container_direction, .src, .dst, .sport, .dport, .icmp_type, .icmp_code, .vlan, .len]' <<<"$S" |
	sort | uniq -c | sed 's/^ *//')
expect_eq json_icmp "3 [\"vethc1\",\"$C1\",\"in\",\"from\",\"${C_IP4[1]}\",\"$BR_IP4\",null,null,8,0,[],98]" \
	"$got" "$DETAIL"
got=$(jq -c 'select(.proto == "udp") | [.ifname, .container, .container_direction, .src, .dst,
	.sport, .dport, .icmp_type, .vlan]' <<<"$S" | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
want="2 [\"vethc2\",\"$C2\",\"from\",\"${C_IP4[2]}\",\"$BR_IP4\",40001,9,null,[]];"
want+="1 [\"vethc2\",\"$C2\",\"from\",\"${C_IP4[2]}\",\"$BR_IP4\",40002,9,null,[100]];"
want+="1 [\"vethc2\",\"$C2\",\"from\",\"${C_IP6[2]}\",\"$BR_IP6\",40003,9,null,[]];"
sorted() { tr ';' '\n' <<<"$1" | sed '/^$/d' | sort | tr '\n' ';'; }
expect_eq json_udp_vlan_ipv6 "$(sorted "$want")" "$(sorted "$got")" "$DETAIL"
got=$(jq -r 'select(.time) | .time' <<<"$S" | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}$')
expect_eq json_iso_times 0 "$got" "$DETAIL"

# The pcap, as two independent readers see it.
got=$(tshark -r "$T_TMP/s.pcap" -T fields -E separator=, -e vlan.id -e ip.src -e ipv6.src \
	-e udp.srcport -e udp.dstport -e icmp.type 2>"$T_TMP/tshark.err" | sort | uniq -c |
	sed 's/^ *//' | sort | tr '\n' ';')
want="1 ,,${C_IP6[2]},40003,9,;1 100,${C_IP4[2]},,40002,9,;2 ,${C_IP4[2]},,40001,9,;"
want+="3 ,${C_IP4[1]},,,,8;"
expect_eq pcap_tshark "$(sorted "$want")" "$(sorted "$got")" \
	"$(cat "$T_TMP/tshark.err")"
got=$(tcpdump -nn -r "$T_TMP/s.pcap" 2>/dev/null | wc -l)
expect_eq pcap_tcpdump_count 7 "$got"
got=$(tcpdump -nn -e -r "$T_TMP/s.pcap" 2>/dev/null | grep -c 'vlan 100')
expect_eq pcap_tcpdump_vlan 1 "$got"
expect_eq pcap_private 600 "$(stat -c %a "$T_TMP/s.pcap")"
expect_eq flag_off_after '0 0' "$(flag)"

# --- text --------------------------------------------------------------------

"$FWCTL" -n "$H" monitor --packets --count 7 >"$T_TMP/t.txt" 2>"$T_TMP/t.err" &
mon=$!
t_bg "$mon"
assert text_armed "the listener never set the programs' flag" armed "$mon"
traffic
finish "$mon"
T=$(cat "$T_TMP/t.txt")
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}'
c1=${C_IP4[1]//./\\.} c2=${C_IP4[2]//./\\.} br=${BR_IP4//./\\.}
expect_eq text_icmp 3 "$(grep -cE "^$ts vethc1 \($C1\) from icmp $c1 > $br type 8 code 0 len 98$" <<<"$T")" "$T"
expect_eq text_udp 2 "$(grep -cE "^$ts vethc2 \($C2\) from udp $c2:40001 > $br:9 len [0-9]+$" <<<"$T")" "$T"
expect_eq text_vlan 1 "$(grep -cE "^$ts vethc2 \($C2\) from udp vlan 100 $c2:40002 > $br:9 len [0-9]+$" <<<"$T")" "$T"
expect_eq text_ipv6 1 "$(grep -cF "from udp [${C_IP6[2]}]:40003 > [$BR_IP6]:9 len" <<<"$T")" "$T"
expect_eq text_lines 7 "$(wc -l <<<"$T")" "$T"
expect_eq text_summary "7 samples shown; 0 drops not shown (over 100 a second per CPU, or past --count), 0 lost (ring full)" \
	"$(cat "$T_TMP/t.err")"

# --- TC egress: host -> c1, dropped on docker0's egress ----------------------

"$FWCTL" -n "$H" -j monitor --packets docker0 --count 1 >"$T_TMP/e.json" 2>&1 &
mon=$!
t_bg "$mon"
assert egress_armed "the listener never set the programs' flag" armed "$mon"
in_ns "$H" "${PING[@]}" -c 1 -W 1 "${C_IP4[1]}" >/dev/null 2>&1
finish "$mon"
got=$(jq -rc 'select(.time) | [.ifname, .direction, .proto, .src, .dst, .icmp_type]' "$T_TMP/e.json")
expect_eq egress_tc_sample "[\"docker0\",\"out\",\"icmp\",\"$BR_IP4\",\"${C_IP4[1]}\",8]" "$got" \
	"$(cat "$T_TMP/e.json")"

# --- the rate limit: exact accounting of what it leaves out -------------------

before=$(counter dropped_packets "$("$FWCTL" -n "$H" -j stats)" vethc2 udp in)
"$FWCTL" -n "$H" -j monitor --packets --rate 1 vethc2 >"$T_TMP/r.json" 2>&1 &
mon=$!
t_bg "$mon"
assert rate_armed "the listener never set the programs' flag" armed "$mon"
udp_from "$C2" 40004 "$BR_IP4" 200
sleep 0.3
kill -INT "$mon"
finish "$mon"
after=$(counter dropped_packets "$("$FWCTL" -n "$H" -j stats)" vethc2 udp in)
R=$(cat "$T_TMP/r.json")
samples=$(jq -s '[.[] | select(.time)] | length' <<<"$R")
summary=$(jq -rs '.[-1] | "\(.samples) \(.unsampled) \(.lost)"' <<<"$R")
read -r s_n s_un s_lost <<<"$summary"
expect_eq rate_dropped_200 200 $((after - before))
expect_eq rate_summary_counts_shown "$samples" "$s_n" "$R"
expect_eq rate_all_accounted 200 $((s_n + s_un + s_lost)) "$R"
# One sample a second per CPU, over at most two windows per CPU.
ncpu=$(nproc)
assert rate_limited "more samples than the rate allows: $samples" [ "$samples" -ge 1 ] &&
	[ "$samples" -le $((2 * ncpu)) ]

# --count: the samples past it are counted, not lost.
before=$(counter dropped_packets "$("$FWCTL" -n "$H" -j stats)" vethc2 udp in)
"$FWCTL" -n "$H" -j monitor --packets --count 2 >"$T_TMP/c.json" 2>&1 &
mon=$!
t_bg "$mon"
assert count_armed "the listener never set the programs' flag" armed "$mon"
# Stopped while the 50 are dropped, so all 50 land in its ring before it
# reads the first: 2 shown, the other 48 counted.
kill -STOP "$mon"
udp_from "$C2" 40005 "$BR_IP4" 50
kill -CONT "$mon"
finish "$mon"
after=$(counter dropped_packets "$("$FWCTL" -n "$H" -j stats)" vethc2 udp in)
C=$(cat "$T_TMP/c.json")
expect_eq count_shown 2 "$(jq -s '[.[] | select(.time)] | length' <<<"$C")" "$C"
expect_eq count_dropped_50 50 $((after - before))
expect_eq count_all_accounted "2 48 0" "$(jq -rs '.[-1] | "\(.samples) \(.unsampled) \(.lost)"' <<<"$C")" "$C"

# --- one listener; a killed one is taken over ----------------------------------

"$FWCTL" -n "$H" monitor --packets >/dev/null 2>&1 &
mon=$!
t_bg "$mon"
assert second_armed "the listener never set the programs' flag" armed "$mon"
expect_exit 1 second_listener_refused fw -n "$H" monitor --packets --count 1
expect_eq second_listener_says "fwctl: monitor --packets already runs in netns $H (pid $mon); one listener per namespace" "$ERR"
kill -KILL "$mon"
wait "$mon" 2>/dev/null
expect_eq killed_flag_stays "1 $mon" "$(flag)"
"$FWCTL" -n "$H" monitor --packets --count 1 >"$T_TMP/k.txt" 2>&1 &
mon=$!
t_bg "$mon"
assert takeover_armed "a new listener did not take a killed one's flag over" armed "$mon"
in_ns "$C1" "${PING[@]}" -c 1 -W 1 "$BR_IP4" >/dev/null 2>&1
finish "$mon"
expect_eq takeover_sampled 1 "$(grep -c " from icmp " "$T_TMP/k.txt")" "$(cat "$T_TMP/k.txt")"
expect_eq takeover_flag_off '0 0' "$(flag)"

# A running watch clears a killed listener's flag at its next full check.
"$FWCTL" -n "$H" monitor --packets >/dev/null 2>&1 &
mon=$!
t_bg "$mon"
assert reap_armed "the listener never set the programs' flag" armed "$mon"
kill -KILL "$mon"
wait "$mon" 2>/dev/null
"$FWCTL" -n "$H" watch --recheck 1 >"$T_TMP/watch.log" 2>&1 &
watch=$!
t_bg "$watch"
assert watch_reaps_killed_listener "watch left a killed listener's flag on" flag_becomes \
	"0 0" "$T_TMP/watch.log"
kill "$watch"
wait "$watch" 2>/dev/null
expect_eq watch_says_reaped 1 "$(grep -c "monitor --packets (pid $mon) is gone; its flag is cleared" "$T_TMP/watch.log")" \
	"$(cat "$T_TMP/watch.log")"

# --- bad input: one line, exit 2 (or 1), the flag untouched -------------------

expect_exit 2 rate_zero fw -n "$H" monitor --packets --rate 0
expect_exit 2 rate_without_packets fw -n "$H" monitor --rate 5
expect_exit 2 interval_with_packets fw -n "$H" monitor --packets --interval 2
expect_exit 2 json_and_pcap_stdout fw -n "$H" -j monitor --packets -w -
expect_exit 1 pcap_unwritable fw -n "$H" monitor --packets -w "$T_TMP/none/x.pcap"
expect_eq pcap_unwritable_one_line 1 "$(wc -l <<<"$ERR")" "$ERR"
expect_eq bad_input_flag_off '0 0' "$(flag)"
expect_exit 2 unknown_target fw -n "$H" monitor --packets vethzz
expect_eq unknown_target_flag_off '0 0' "$(flag)"

t_done
