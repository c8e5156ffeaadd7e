#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_leaks.sh - the long-running views free what they take: valgrind
# --leak-check=full finds no error over 30 rounds of monitor and of stats
# --watch (plain blocks, and the full-screen view in a tmux pane), 10 of
# their NDJSON, and a few metrics writes of watch, while packets are being
# dropped; and 5 drop samples of monitor --packets (lines and pcap, then
# JSON). Intervals of 0.1 s keep it under a minute.
#
#   fwtestlka: va 192.168.233.1/30 ==== vb 192.168.233.2/30 :fwtestlkb
#                                       icmp blocked --dir in
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd valgrind tmux
bare_ns lka
A=$BARE
bare_ns lkb
B=$BARE
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.233.1/30 dev va
ip -n "$B" addr add 192.168.233.2/30 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
check block fw -n "$B" block icmp vb --dir in
in_ns "$A" "${PING[@]}" -q -i 0.2 -c 250 -W 1 192.168.233.2 >/dev/null 2>&1 &
t_bg $!

TM=(tmux -L "fwtest-leaks-$$" -f /dev/null)
tm_cleanup() {
	"${TM[@]}" kill-server 2>/dev/null
	t_cleanup
}
trap tm_cleanup EXIT

# valgrind's own complaint about the bpf() commands it does not model is
# noise; its errors and leaks are what count.
VG=(timeout 90 valgrind -q --leak-check=full --error-exitcode=99 --log-file="$T_TMP/vg.%p")

# leak_free NAME CMD...: CMD under valgrind exits 0 with no error reported.
leak_free() {
	local name=$1 log
	shift
	rm -f "$T_TMP"/vg.*
	run "${VG[@]}" "$@"
	log=$(cat "$T_TMP"/vg.* 2>/dev/null | grep -v 'unhandled eBPF command')
	if [ "$RC" -eq 0 ] && [ -z "$log" ]; then
		t_ok "$name"
	else
		t_fail "$name" "valgrind: exit $RC" "$log" "$(last_run)"
	fi
}

leak_free monitor_30 "$FWCTL" -n "$B" monitor --interval 0.1 --count 30
leak_free monitor_json_10 "$FWCTL" -n "$B" -j monitor --interval 0.1 --count 10
# Drop samples: the ring, the flag, pcap, JSON (the pings drop 5 a second).
leak_free monitor_packets_5 "$FWCTL" -n "$B" monitor --packets --count 5 -w "$T_TMP/leak.pcap"
leak_free monitor_packets_json_5 "$FWCTL" -n "$B" -j monitor --packets --count 5
leak_free stats_watch_30 "$FWCTL" -n "$B" stats --watch 0.1 --count 30
leak_free stats_watch_json_10 "$FWCTL" -n "$B" -j stats --watch 0.1 --count 10
leak_free stats_once "$FWCTL" -n "$B" stats -H
leak_free stats_prometheus "$FWCTL" -n "$B" stats --prometheus
# status and doctor print typed rows through one emitter, text and JSON.
leak_free status_text "$FWCTL" -n "$B" status
leak_free status_json "$FWCTL" -n "$B" -j status
# doctor loads probe programs (bpf()'s unions, as below) in a child that
# leaves by _exit() without the libraries' destructors: the parent counts.
leak_free doctor_json --undef-value-errors=no --child-silent-after-fork=yes "$FWCTL" -j doctor

# The full-screen view, on a terminal.
rm -f "$T_TMP"/vg.*
"${TM[@]}" new-session -d -s view -x 80 -y 24 \
	"${VG[*]} '$FWCTL' -n '$B' stats --watch 0.1 --count 30; echo \$? >'$T_TMP/rc'; sleep 60"
tty_done() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ -s "$T_TMP/rc" ] && break
		sleep 0.1
	done
	T_DETAIL="exit $(cat "$T_TMP/rc" 2>&1)"$'\n'$(grep -hv 'unhandled eBPF' "$T_TMP"/vg.* 2>&1)
	[ "$(cat "$T_TMP/rc" 2>/dev/null)" == 0 ] &&
		[ -z "$(grep -hv 'unhandled eBPF' "$T_TMP"/vg.* 2>/dev/null)" ]
}
assert stats_watch_tty_30 "valgrind found errors in the full-screen view" tty_done
"${TM[@]}" kill-server 2>/dev/null

# watch writing metrics for two namespaces, ended by SIGTERM as systemd does.
# watch loads programs: valgrind does not model bpf()'s attribute unions and
# calls their unused tail uninitialised, so only leaks and memory errors count.
rm -f "$T_TMP"/vg.*
"${VG[@]}" --undef-value-errors=no "$FWCTL" -n "$B" watch --netns "$A" --metrics-file "$T_TMP/fwctl.prom" \
	--metrics-interval 1 >"$T_TMP/watch.log" 2>&1 &
vg=$!
t_bg "$vg"
for ((i = 0; i < 100; i++)); do
	grep -q "netns=\"$A\"" "$T_TMP/fwctl.prom" 2>/dev/null && break
	sleep 0.1
done
sleep 2.5
kill -TERM "$vg" 2>/dev/null
wait "$vg"
rc=$?
log=$(grep -hv 'unhandled eBPF command' "$T_TMP"/vg.* 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -z "$log" ] && [ -s "$T_TMP/fwctl.prom" ]; then
	t_ok watch_metrics
else
	t_fail watch_metrics "valgrind: exit $rc" "$log" "$(tail -5 "$T_TMP/watch.log")"
fi

t_done
