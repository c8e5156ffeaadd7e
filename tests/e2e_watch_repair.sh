#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_watch_repair.sh - a running `fwctl watch` repairs drift on its own
# (issue 13): a deleted clsact, XDP turned off, a foreign cls_bpf filter at
# prio 1 ahead of fwctl's are undone within 1 s with no other command, each
# event and action logged in one line; a port that cannot be covered
# (ifindex 300000) neither stops a starting watch nor makes a running one
# busy-loop (CPU below 5 % over 10 s), and the other ports are still repaired.
# Port rules serve the drift on a port: the kernel refuses any XDP change on a
# port under a bridge that has XDP, so under the bridge rule docker0's own XDP
# drifts. Repair times are measured by polling the kernel (ip, tc) every 20 ms and
# printed in the ok lines and in a line "  repair_ms ..." (VERBOSE=1 shows it).
#
#   fwtestwrehost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestwrec1)
#                                       +-- vethc2 == eth0 .12 (fwtestwrec2)
#                                       +-- vethc3 == eth0 .13 (fwtestwrec3)
#                                       +-- vbad (ifindex 300000) <=> vbadp
#   rules: block icmp vethc2, then block icmp docker0
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq clang tc
topo_up wre 3
topo_baseline

build_pass_prog
# The goal, and what a loaded 2-core machine may take without failing.
GOAL_MS=1000
LIMIT_MS=3000
HZ=$(getconf CLK_TCK)

xdp_id() {
	ip -n "$H" -j link show dev "$1" | jq -r '.[0].xdp.prog.id // 0'
}
has_clsact() {
	tc -n "$H" qdisc show dev "$1" | grep -q '^qdisc clsact'
}
# fw_first IF: fwctl's filter is the first the kernel runs on IF's egress.
fw_first() {
	tc -n "$H" -j filter show dev "$1" egress 2>/dev/null |
		jq -e '[.[] | select(.options != null)][0].options.bpf_name // "" |
			startswith("fw_")' >/dev/null 2>&1
}
hooks_whole() {
	[ "$(xdp_id "$1")" != 0 ] && has_clsact "$1" && fw_first "$1"
}
tc_whole() {
	has_clsact "$1" && fw_first "$1"
}
xdp_back() {
	[ "$(xdp_id "$1")" != 0 ]
}

# repair_ms CMD...: polls CMD every 20 ms for up to LIMIT_MS; prints the ms
# until it first held, or "timeout".
repair_ms() {
	local t0 now
	t0=$(date +%s%N)
	while :; do
		now=$(date +%s%N)
		if "$@"; then
			echo $(((now - t0) / 1000000))
			return 0
		fi
		[ $(((now - t0) / 1000000)) -ge $LIMIT_MS ] && break
		sleep 0.02
	done
	echo timeout
}

watch_start() {
	"$FWCTL" -n "$H" watch >"$T_TMP/watch.log" 2>&1 &
	WATCH=$!
	t_bg "$WATCH"
	sleep 0.7
	kill -0 "$WATCH" 2>/dev/null
}
watch_stop() {
	kill "$WATCH" 2>/dev/null
	wait "$WATCH" 2>/dev/null
}
log_lines() {
	wc -l <"$T_TMP/watch.log"
}

# drift NAME IF CHECK CMD...: runs CMD (the drift) in the watched namespace
# and measures until CHECK IF holds again. Sets MS. ok within GOAL_MS (or,
# on a loaded machine, LIMIT_MS: the figure says so); then checks watch
# logged the event and its action in a few lines naming IF.
MS=timeout
drift() {
	local name=$1 ifn=$2 chk=$3 before new
	shift 3
	sleep 0.3 # watch idle first: each figure is one repair's own
	before=$(log_lines)
	if ! "$@" 2>"$T_TMP/drift.err"; then
		t_fail "${name}_drift" "the drift itself failed: $*" "$(cat "$T_TMP/drift.err")"
		MS=failed
		return
	fi
	MS=$(repair_ms "$chk" "$ifn")
	if [ "$MS" == timeout ]; then
		t_fail "${name}_repaired" "watch did not repair $ifn within $LIMIT_MS ms" \
			"after: $*" "$(tc -n "$H" filter show dev "$ifn" egress; ip -n "$H" link show dev "$ifn")" \
			"watch log:" "$(tail -n 8 "$T_TMP/watch.log")"
	elif [ "$MS" -le $GOAL_MS ]; then
		t_ok "${name}_repaired ($MS ms)"
	else
		t_ok "${name}_repaired ($MS ms: over the 1 s goal, within $LIMIT_MS ms on a loaded machine)"
	fi
	sleep 0.2
	new=$(tail -n +"$((before + 1))" "$T_TMP/watch.log")
	local n
	n=$(grep -c . <<<"$new")
	if [ "$n" -ge 2 ] && [ "$n" -le 20 ] && grep -q "$ifn" <<<"$new"; then
		t_ok "${name}_logged"
	else
		t_fail "${name}_logged" "want 2-20 log lines naming $ifn (event, action), got $n" "$new"
	fi
	# With levels, for journald (stderr is a file here): the event info, the
	# repair a warning, since something undid fwctl's work.
	if grep -qE "^<6>fwctl: watch [^ ]+: .*$ifn" <<<"$new" &&
		grep -qE "^<4>fwctl: $ifn: .*; repaired$" <<<"$new"; then
		t_ok "${name}_log_levels"
	else
		t_fail "${name}_log_levels" "want a <6> event line and a <4> repaired line for $ifn" \
			"$new"
	fi
}

status_ok() {
	run fw -n "$H" -j status
	T_DETAIL=$(last_run)
	[ "$RC" -eq 0 ] && [ "$(json "$OUT" '[.interfaces[]? | select(.ifname == "vethc2")][0].state')" == enforced ]
}

# cpu_ticks PID: utime + stime of PID so far, in clock ticks.
cpu_ticks() {
	# The command name in field 2 may hold spaces: count from after its ')'.
	local t
	t=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }')
	echo "${t:-0}"
}

# A port rule first: the kernel refuses XDP changes on a port under a bridge
# that has XDP ("upper device already has a program").
check block_port fw -n "$H" block icmp vethc2
if watch_start; then
	t_ok watch_running
else
	t_fail watch_running "fwctl watch exited at once" "$(cat "$T_TMP/watch.log")"
	t_done
fi

drift qdisc_del vethc2 tc_whole tc -n "$H" qdisc del dev vethc2 clsact
MS_QDISC=$MS
drift xdp_off vethc2 xdp_back ip -n "$H" link set dev vethc2 xdp off
MS_XDP=$MS
drift prio1 vethc2 fw_first tc -n "$H" filter add dev vethc2 egress prio 1 bpf da obj "$PASS_O" sec tc
MS_PRIO1=$MS
echo "  repair_ms qdisc_del=$MS_QDISC xdp_off=$MS_XDP prio1=$MS_PRIO1"
assert repaired_hooks_whole "vethc2 lacks a hook after the repairs" hooks_whole vethc2
assert repaired_status_enforced "status does not say vethc2 is enforced (exit 0)" status_ok
# The foreign filter may stay, behind fwctl's: take it away (fwctl's filter,
# if it shares the priority, comes back through watch).
for p in $(tc -n "$H" -j filter show dev vethc2 egress | jq -r '.[] |
	select(.options != null and ((.options.bpf_name // "") | startswith("fw_") | not)) |
	.pref' | sort -u); do
	tc -n "$H" filter del dev vethc2 egress prio "$p"
done

# A port that cannot be covered: watch neither busy-loops nor stops repairing.
check block_bridge fw -n "$H" block icmp docker0
if ! ip -n "$H" link add vbad index 300000 type veth peer name vbadp ||
	! ip -n "$H" link set vbadp up || ! ip -n "$H" link set vbad master docker0 up; then
	t_fail vbad_port "cannot create a veth with ifindex 300000"
	t_done
fi
sleep 1
if kill -0 "$WATCH" 2>/dev/null; then
	t_ok vbad_watch_alive
else
	t_fail vbad_watch_alive "watch exited when vbad joined" "$(tail -n 10 "$T_TMP/watch.log")"
	watch_start
fi
before=$(log_lines)
t0=$(cpu_ticks "$WATCH")
sleep 10
t1=$(cpu_ticks "$WATCH")
lines=$(($(log_lines) - before))
cpu=$(awk -v d="$((t1 - t0))" -v hz="$HZ" 'BEGIN { printf "%.1f", d / hz / 10 * 100 }')
echo "  watch_cpu vbad_10s=${cpu}% log_lines_10s=$lines"
if awk -v c="$cpu" 'BEGIN { exit !(c < 5) }'; then
	t_ok "vbad_watch_cpu_below_5pct ($cpu %)"
else
	t_fail vbad_watch_cpu_below_5pct "watch used $cpu % CPU over 10 s with vbad present" \
		"log lines meanwhile: $lines" "$(tail -n 5 "$T_TMP/watch.log")"
fi
# Backoff: a few retries in 10 s, not a flood.
if [ "$lines" -le 50 ]; then
	t_ok "vbad_watch_log_bounded ($lines lines in 10 s)"
else
	t_fail vbad_watch_log_bounded "watch logged $lines lines in 10 s with vbad present" \
		"$(tail -n 5 "$T_TMP/watch.log")"
fi
drift vbad_others vethc3 tc_whole tc -n "$H" qdisc del dev vethc3 clsact
MS_VBAD=$MS

# A watch that starts with vbad present keeps running and repairs the rest.
watch_stop
if watch_start && sleep 1 && kill -0 "$WATCH" 2>/dev/null; then
	t_ok vbad_watch_starts
else
	t_fail vbad_watch_starts "a watch started with vbad present exited" \
		"$(tail -n 10 "$T_TMP/watch.log")"
	watch_start
fi
drift vbad_start_others docker0 xdp_back ip -n "$H" link set dev docker0 xdp off
echo "  repair_ms vbad_others_qdisc_del=$MS_VBAD vbad_start_xdp_off=$MS"
watch_stop
ip -n "$H" link del vbad
check detach_all fw -n "$H" detach --all
t_done
