#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_json_shapes.sh - the JSON of status, stats, stats --watch, monitor,
# monitor --packets, doctor, block --dry-run and errors (restore's bad lines
# too), taken from a live topology with real traffic, is what docs/usage.md's
# "JSON output" block says, both ways
# (tests/json_shapes.py reads the block): docs and code cannot drift. status
# is taken again while monitor --packets listens (drop_samples). Every
# document carries netns, the namespace it describes.
#
#   fwtestjshost: docker0 172.31.X.1 --- vethc1 == eth0 .11 (fwtestjsc1)
#   rules: block icmp docker0 --dir in; block udp netns:fwtestjsc1 --dir out
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq python3
topo_up js 1
C1=${TOPO_PREFIX}c1
topo_baseline

D=$T_TMP/docs
mkdir -p "$D"
# traffic: ICMP the bridge drops, UDP from the container its port drops.
traffic() {
	in_ns "$H" "${PING[@]}" -c 2 -i 0.2 -W 1 "${C_IP4[1]}" >/dev/null 2>&1
	in_ns "$C1" bash -c 'for i in 1 2 3; do echo x >/dev/udp/$1/9; done' _ "$BR_IP4" 2>/dev/null
}

check block_bridge fw -n "$H" block icmp docker0 --dir in
check block_container fw -n "$H" block udp "netns:$C1" --dir out
traffic

run fw -n "$H" -j status
printf '%s\n' "$OUT" >"$D/status.json"
run fw -n "$H" -j stats
printf '%s\n' "$OUT" >"$D/stats.json"
"$FWCTL" -n "$H" -j stats --watch 0.3 --count 3 >"$D/stats-watch.json" 2>"$T_TMP/w.err" &
w=$!
"$FWCTL" -n "$H" -j monitor --interval 0.3 --count 3 >"$D/monitor.json" 2>"$T_TMP/m.err" &
m=$!
# Drop samples: one object per packet, then the summary (SIGINT ends it).
timeout -s INT 3 "$FWCTL" -n "$H" -j monitor --packets >"$T_TMP/packets" 2>"$T_TMP/p.err" &
p=$!
t_bg "$w"
t_bg "$m"
t_bg "$p"
sleep 0.4
traffic
# status while the listener runs: drop_samples names it.
run fw -n "$H" -j status
printf '%s\n' "$OUT" >>"$D/status.json"
wait "$w" "$m" "$p"
grep '"time"' "$T_TMP/packets" >"$D/packets.json"
tail -n 1 "$T_TMP/packets" >"$D/packets-summary.json"
run fw -j doctor
printf '%s\n' "$OUT" >"$D/doctor.json"
run fw -n "$H" -j block --dry-run tcp vethc1
printf '%s\n' "$OUT" >"$D/dry-run.json"
# Errors: a plain one, and restore's several bad lines (with "errors").
run fw -n "$H" -j block icmp nosuchif0
printf '%s\n' "$OUT" >"$D/error.json"
printf '%s\n' 'block bogus vethc1' 'block icmp vethc1' 'frob vethc1' >"$T_TMP/bad.rules"
run fw -n "$H" -j restore --check "$T_TMP/bad.rules"
printf '%s\n' "$OUT" >>"$D/error.json"
expect_eq error_no_stderr "" "$ERR"

python3 "$T_ROOT/tests/json_shapes.py" "$T_FILE" docs/usage.md "$D" || T_FAILS=$((T_FAILS + 1))

# netns: the namespace each document describes.
got=$(cat "$D"/status.json "$D"/stats.json "$D"/stats-watch.json "$D"/monitor.json \
	"$D"/packets.json "$D"/packets-summary.json "$D"/dry-run.json | jq -r '.netns' | sort -u |
	tr '\n' ' ')
expect_eq netns_is_the_selected "$H " "$got"
expect_eq doctor_netns_host host "$(jq -r .netns "$D/doctor.json")"
# The test must have seen the rows that carry the container's words.
got=$(jq -c '[.interfaces[].counters[] | .container_direction] | unique' "$D/stats.json")
expect_eq stats_saw_both_kinds '[null,"from","to"]' "$got" "$(cat "$D/stats.json")"

t_done
