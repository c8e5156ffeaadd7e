#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_statsview.sh - the live views say what happens: at 5 echo requests a
# second, `stats --watch 1` shows 5 drops/s (rates over measured intervals,
# rounded); on a terminal (a tmux pane of 80x24, wrapped lines joined) it is one full screen with
# a header (ISO 8601 time with zone, namespace, interval) that never
# scrolls, no line wider than 80, `q` quits with status 0 and the terminal
# is given back as it was (after q and after SIGTERM); off a terminal -j
# prints NDJSON with time, netns, interval and rates; monitor's times carry
# date and zone; stats -j names its netns.
#
#   fwtestsva: va 192.168.232.1/30 ==== vb 192.168.232.2/30 :fwtestsvb
#                                       icmp blocked --dir in
#   va -> vb: busybox ping -i 0.2 (5 a second), each dropped by vb's XDP.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq tmux
bare_ns sva
A=$BARE
bare_ns svb
B=$BARE
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.232.1/30 dev va
ip -n "$B" addr add 192.168.232.2/30 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
check block fw -n "$B" block icmp vb --dir in

# A private tmux server, killed on exit with everything in it.
TM=(tmux -L "fwtest-statsview-$$" -f /dev/null)
tm_cleanup() {
	"${TM[@]}" kill-server 2>/dev/null
	t_cleanup
}
trap tm_cleanup EXIT

# pinger SECONDS: 5 echo requests a second toward vb, in the background.
pinger() {
	in_ns "$A" "${PING[@]}" -q -i 0.2 -c $(($1 * 5)) -W 1 192.168.232.2 >/dev/null 2>&1 &
	t_bg $!
}

# majority_5 VALUE...: most of the values are 5.
majority_5() {
	local v n=0
	for v in "$@"; do [ "$v" == 5 ] && n=$((n + 1)); done
	[ $((n * 2)) -gt $# ]
}

# --- on a terminal ---------------------------------------------------------------
pinger 12
sleep 0.5
"${TM[@]}" new-session -d -s view -x 80 -y 24 \
	"stty -a >'$T_TMP/stty.before'; '$FWCTL' -n '$B' stats --watch 1; \
	echo \$? >'$T_TMP/rc'; stty -a >'$T_TMP/stty.after'; sleep 30"
HEADER="^fwctl stats  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}  netns $B  every 1 s"
rates=() frames=
sleep 3.4
for i in 1 2 3 4; do
	"${TM[@]}" capture-pane -p -J -t view >"$T_TMP/frame$i"
	frames+="--- frame $i"$'\n'$(cat "$T_TMP/frame$i")$'\n'
	rates+=("$(awk '$1 == "vb" && $2 == "in" && $3 == "icmp" { print $5 }' "$T_TMP/frame$i")")
	sleep 1
done
header_ok() {
	local i
	for i in 1 2 3 4; do
		head -1 "$T_TMP/frame$i" | grep -qE "$HEADER" || return 1
	done
}
assert tty_header_on_top "a frame without the header on its first line" header_ok
T_DETAIL=$frames
expect_eq tty_titles "IFACE DIR PROTO PASS/s DROP/s PASS_B/s DROP_B/s" \
	"$(sed -n 2p "$T_TMP/frame4" | tr -s ' ')" "$frames"
assert tty_rate_5 "5 pings a second not shown as 5 drops/s (got ${rates[*]})" \
	majority_5 "${rates[@]}"
expect_eq tty_width_80 0 "$(cat "$T_TMP"/frame? | awk 'length > 80' | wc -l)" "$frames"
# Idle rows hidden: every row shown moves.
expect_eq tty_no_idle_rows "" "$(awk 'NR > 2 && NF == 7 && $4 == 0 && $5 == 0' "$T_TMP/frame4")" \
	"$frames"
"${TM[@]}" send-keys -t view q
quit_ok() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$T_TMP/stty.after" ] && break
		sleep 0.1
	done
	T_DETAIL="exit status: $(cat "$T_TMP/rc" 2>&1)"$'\n'$("${TM[@]}" capture-pane -p -t view)
	[ "$(cat "$T_TMP/rc" 2>/dev/null)" == 0 ]
}
assert tty_q_quits "q did not end stats --watch with status 0 within 5 s" quit_ok
expect_eq tty_restored_after_q "$(cat "$T_TMP/stty.before")" "$(cat "$T_TMP/stty.after" 2>&1)"

# SIGTERM restores the terminal too.
rm -f "$T_TMP/rc" "$T_TMP/stty.after"
"${TM[@]}" new-session -d -s term -x 80 -y 24 \
	"'$FWCTL' -n '$B' stats --watch 1; echo \$? >'$T_TMP/rc'; \
	stty -a >'$T_TMP/stty.after'; sleep 30"
sleep 1.5
shell=$("${TM[@]}" display-message -p -t term '#{pane_pid}')
fwpid=$(pgrep -P "$shell" -x fwctl)
[ -n "$fwpid" ] && kill -TERM "$fwpid"
term_ok() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$T_TMP/stty.after" ] && break
		sleep 0.1
	done
	T_DETAIL="fwctl pid '$fwpid', exit status $(cat "$T_TMP/rc" 2>&1)"
	[ -n "$fwpid" ] && [ -s "$T_TMP/stty.after" ]
}
assert tty_sigterm_ends "SIGTERM did not end stats --watch within 5 s" term_ok
expect_eq tty_restored_after_sigterm "$(cat "$T_TMP/stty.before")" \
	"$(cat "$T_TMP/stty.after" 2>&1)"
"${TM[@]}" kill-server 2>/dev/null

# --- off a terminal ----------------------------------------------------------------
pinger 7
sleep 0.5
run fw -n "$B" -j stats --watch 1 --count 5
ndjson_ok() {
	T_DETAIL=$(last_run)
	[ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" -eq 5 ] &&
		jq -e --arg ns "$B" -s 'length == 5 and all(.[];
		(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?[+-][0-9]{2}:[0-9]{2}$"))
		and .netns == $ns and .interval == 1 and (.elapsed | type) == "number"
		and all(.interfaces[].counters[]; (.rates.dropped_packets | type) == "number"))' \
			<<<"$OUT" >/dev/null
}
assert ndjson_shape "-j stats --watch is not 5 NDJSON lines with time, netns, interval, rates" \
	ndjson_ok
mapfile -t nd < <(jq -r '[.interfaces[] | select(.ifname == "vb") | .counters[] |
	select(.proto == "icmp" and .direction == "in") | .rates.dropped_packets][0] // 0 |
	. + 0.5 | floor' <<<"$OUT" 2>/dev/null)
assert ndjson_rate_5 "NDJSON drop rates at 5 pings/s, rounded: ${nd[*]}" majority_5 "${nd[@]}"

run fw -n "$B" stats --watch 1 --count 2 --all
plain_ok() {
	T_DETAIL=$(last_run)
	[ "$RC" -eq 0 ] && [ "$(grep -cE "$HEADER" <<<"$OUT")" -eq 2 ] &&
		! grep -q $'\033' <<<"$OUT" && [ "$(awk 'length > 80' <<<"$OUT" | wc -l)" -eq 0 ]
}
assert plain_blocks "off a terminal: not 2 plain blocks with headers within 80 columns" plain_ok

run fw -n "$B" stats
expect_eq totals_width_80 0 "$(awk 'length > 80' <<<"$OUT" | wc -l)" "$(last_run)"
exact_ok() {
	T_DETAIL=$(last_run)
	awk '$1 == "vb" && $2 == "in" && $3 == "icmp" { exit !($6 ~ /^[0-9]+$/ && $6 > 0) }' <<<"$OUT"
}
assert totals_exact "dropped count not an exact number" exact_ok
run fw -n "$B" -j stats
expect_eq stats_json_netns "$B" "$(json "$OUT" .netns)" "$(last_run)"

# monitor: a drop's time has a date and a zone.
pinger 2
run fw -n "$B" -j monitor --interval 0.5 --count 3
expect_eq monitor_iso_time "" "$(jq -r 'select((.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9]{2}:[0-9]{2}$") | not) or .netns != "'"$B"'")' <<<"$OUT")" \
	"$(last_run)"
[ -n "$OUT" ] || t_fail monitor_saw_drops "monitor printed no drops" "$(last_run)"

t_done
