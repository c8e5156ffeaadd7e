#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_directions.sh - a container target's directions come back as the user
# stated them (issue 14.2). `block udp netns:C1 --dir out` blocks what the
# container sends; real UDP from the container is dropped and UDP to it
# passes, and status, stats and monitor name those rows in the container's
# terms ("from", "to") in text, while JSON keeps the host-side port's own
# in/out and adds container_direction(s). A port of no container (docker0)
# keeps in/out and a null container direction.
#
#   fwtestdirhost: docker0 172.31.X.1 --- vethc1 == eth0 .11 (fwtestdirc1)
#   rules: block udp netns:fwtestdirc1 --dir out; attach docker0
#   UDP: c1 -> docker0:9 (from the container: dropped on vethc1's in)
#        host -> c1:9     (to the container: passes vethc1's out)
# shellcheck disable=SC2016 # jq and awk programs, in single quotes on purpose
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up dir 1
C1=${TOPO_PREFIX}c1
topo_baseline

# udp_noports NS: datagrams NS's kernel received for a port nobody listens
# on (/proc/net/snmp): a count fwctl cannot touch, so it tells what arrived.
udp_noports() {
	in_ns "$1" awk '/^Udp:/ { if (h) { print $i; exit } for (i = 1; i <= NF; i++)
		if ($i == "NoPorts") { h = 1; break } }' /proc/net/snmp
}

# send_udp NS ADDR N: N real datagrams from NS to ADDR port 9.
send_udp() {
	in_ns "$1" bash -c 'for ((i = 0; i < $2; i++)); do echo fwctl >/dev/udp/$1/9; sleep 0.05; done' \
		_ "$2" "$3" 2>/dev/null
}

check block_from_container fw -n "$H" block udp "netns:$C1" --dir out
check attach_bridge fw -n "$H" attach docker0

host_before=$(udp_noports "$H")
c1_before=$(udp_noports "$C1")
send_udp "$C1" "$BR_IP4" 3
send_udp "$H" "${C_IP4[1]}" 3
sleep 0.2
expect_eq udp_from_container_dropped 0 $(($(udp_noports "$H") - host_before)) \
	"the host received datagrams the container sent, though blocked"
expect_eq udp_to_container_passes 3 $(($(udp_noports "$C1") - c1_before)) \
	"the container did not receive the host's datagrams"

# --- status --------------------------------------------------------------------

run fw -n "$H" status
STATUS_TXT=$OUT
# block IFNAME: IFNAME's lines of text status (its row, then the indented
# lines under it), joined.
block() {
	awk -v i="$1" '/^[^ ]/ { if (p) exit; p = ($1 == i) } p' <<<"$STATUS_TXT" | paste -sd' '
}
row=$(block vethc1)
if [[ $row =~ from:\ udp\ +to:\ -$ ]] && [[ $row == *" $C1 "* ]] && [[ $row != *"in: udp"* ]]; then
	t_ok status_text_from_container
else
	t_fail status_text_from_container "status does not show udp blocked 'from:' the container" \
		"$(last_run)"
fi
row=$(block docker0)
if [[ $row =~ in:\ -\ +out:\ -$ ]]; then
	t_ok status_text_plain_iface
else
	t_fail status_text_plain_iface "docker0 is not shown with in:/out:" "$(last_run)"
fi

run fw -n "$H" -j status
got=$(json "$OUT" -c '.interfaces[] | select(.ifname == "vethc1") |
	[.blocked.in, .blocked.out, .container_directions]')
expect_eq status_json_iface_dirs '[["udp"],[],{"in":"from","out":"to"}]' "$got" "$(last_run)"
got=$(json "$OUT" -c '.interfaces[] | select(.ifname == "docker0") | .container_directions')
expect_eq status_json_plain_null null "$got" "$(last_run)"
got=$(json "$OUT" -c '.rules[] | select(.target == "netns:'"$C1"'") | [.in, .out]')
expect_eq status_json_rule_as_stated '[[],["udp"]]' "$got" "$(last_run)"

# --- stats ---------------------------------------------------------------------

# Columns: IFACE CONTAINER DIR PROTO PASSED PASS_BYTES DROPPED DROP_BYTES.
run fw -n "$H" stats
got=$(awk -v c="$C1" '$1 == "vethc1" && $2 == c && $3 == "from" && $4 == "udp" { print $7 }' <<<"$OUT")
expect_eq stats_text_from_dropped 3 "$got" "$(last_run)"
got=$(awk '$1 == "vethc1" && $3 == "to" && $4 == "udp" { print $5 }' <<<"$OUT")
expect_eq stats_text_to_passed 3 "$got" "$(last_run)"
got=$(awk '$1 == "vethc1" && ($3 == "in" || $3 == "out")' <<<"$OUT")
expect_eq stats_text_no_iface_words_for_container "" "$got" "$(last_run)"
got=$(awk '$1 == "docker0" && $4 == "udp" { print $3 }' <<<"$OUT" | sort -u | tr '\n' ' ')
expect_eq stats_text_plain_iface "out " "$got" "$(last_run)"

run fw -n "$H" -j stats
got=$(json "$OUT" -c '[.interfaces[] | select(.ifname == "vethc1") | .counters[] |
	select(.proto == "udp") | [.direction, .container_direction, .passed_packets,
	.dropped_packets]] | sort')
expect_eq stats_json_dirs '[["in","from",0,3],["out","to",3,0]]' "$got" "$(last_run)"
got=$(json "$OUT" -c '[.interfaces[] | select(.ifname == "docker0") | .counters[] |
	.container_direction] | unique')
expect_eq stats_json_plain_null '[null]' "$got" "$(last_run)"

# --- monitor -------------------------------------------------------------------

"$FWCTL" -n "$H" -j monitor --interval 0.5 --count 3 >"$T_TMP/mon.json" 2>&1 &
mon=$!
t_bg "$mon"
sleep 0.2
send_udp "$C1" "$BR_IP4" 2
wait "$mon"
got=$(jq -sc '[.[] | select(.ifname == "vethc1" and .proto == "udp") |
	[.direction, .container_direction]] | unique' "$T_TMP/mon.json")
expect_eq monitor_json_dirs '[["in","from"]]' "$got" "$(cat "$T_TMP/mon.json")"

"$FWCTL" -n "$H" monitor --interval 0.5 --count 3 >"$T_TMP/mon.txt" 2>&1 &
mon=$!
t_bg "$mon"
sleep 0.2
send_udp "$C1" "$BR_IP4" 2
wait "$mon"
if grep -qE " vethc1 \($C1\) from udp dropped 2 packets" "$T_TMP/mon.txt" &&
	! grep -qE " vethc1 .* (in|out) udp " "$T_TMP/mon.txt"; then
	t_ok monitor_text_from
else
	t_fail monitor_text_from "monitor does not say 'from udp' for vethc1" "$(cat "$T_TMP/mon.txt")"
fi

t_done
