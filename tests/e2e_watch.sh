#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_watch.sh - while `fwctl watch` runs, a bridge rule reaches ports that
# join later and survives a container's veth being replaced (new ifindex);
# after watch stops, what it applied stays enforced.
#
#   fwtestwathost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestwatc1)
#                                       +-- vethc2 == eth0 .12 (fwtestwatc2)
#                                       +-- vethc3 == eth0 .13 (added later)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up wat 2
C3=${TOPO_PREFIX}c3
C3_IP4=$NET4.13
topo_baseline

# Waits (bounded: 5 s) until status shows icmp blocked on vethc3 at ifindex
# other than $1.
wait_covered() {
	local old=$1 i st
	for ((i = 0; i < 50; i++)); do
		st=$(fw -n "$H" -j status vethc3 2>/dev/null | jq -r '.interfaces[]? |
			select(.ifname == "vethc3" and (.blocked.in | index("icmp"))) | .ifindex')
		[ -n "$st" ] && [ "$st" != "$old" ] && return 0
		sleep 0.1
	done
	T_DETAIL=$(fw -n "$H" status 2>&1; echo "watch said:"; tail -5 "$T_TMP/watch.log")
	return 1
}

check block_bridge fw -n "$H" block icmp docker0
"$FWCTL" -n "$H" watch >"$T_TMP/watch.log" 2>&1 &
watch=$!
t_bg "$watch"
sleep 0.5
if kill -0 "$watch" 2>/dev/null; then
	t_ok watch_running
else
	t_fail watch_running "fwctl watch exited at once" "$(cat "$T_TMP/watch.log")"
	t_done
fi

# A new container joins the bridge.
run bash "$TOPO" up -p "$TOPO_PREFIX" -c 3
assert new_port_covered "vethc3 did not get the bridge's rule within 5 s" wait_covered 0
assert new_port_ping_dropped "host ping to the new c3 answered" ping_none "$H" "$C3_IP4"
assert new_port_c2c_dropped "c3 -> c1 ping answered" ping_none "$C3" "${C_IP4[1]}"
assert new_port_http_passes "HTTP to c3 broken" http_ok "$H" "$C3_IP4" "$C3"

# The container restarts: its veth goes, a new one (new ifindex) comes.
old=$(ip -n "$H" -j link show dev vethc3 | jq -r '.[0].ifindex')
ip -n "$H" link del vethc3
run bash "$TOPO" up -p "$TOPO_PREFIX" -c 3
new=$(ip -n "$H" -j link show dev vethc3 | jq -r '.[0].ifindex')
[ "$old" != "$new" ] || t_skip new_ifindex "the kernel reused ifindex $old"
assert replaced_port_covered "the replaced vethc3 did not get the rule within 5 s" \
	wait_covered "$old"
assert replaced_port_ping_dropped "host ping to the restarted c3 answered" \
	ping_none "$H" "$C3_IP4"

# The log, off a terminal, is journald's: each line starts with its syslog
# priority. The link event is info (<6>), naming the removed port; so is the
# action that covered the new one.
log_has() {
	T_DETAIL="want a line matching '$1' in the watch log:"$'\n'$(cat "$T_TMP/watch.log")
	grep -qE -- "$1" "$T_TMP/watch.log"
}
assert log_link_event_info "no info line for the removed link" \
	log_has '^<6>fwctl: watch [^ ]+: link removed: vethc3 \(index [0-9]+\)$'
assert log_reattach_info "no info line for covering the new vethc3" \
	log_has '^<6>fwctl: vethc3: covered '
assert log_all_levelled "a watch line without its priority" \
	eval '! grep -vE "^<[0-7]>fwctl: " "$T_TMP/watch.log"'

# On a terminal, with no JOURNAL_STREAM, the lines are plain.
if command -v script >/dev/null; then
	env -u JOURNAL_STREAM timeout -s INT 2 script -qec "$FWCTL -n $H watch" /dev/null \
		>"$T_TMP/tty.log" 2>&1
	assert log_plain_on_tty "watch on a terminal prefixed its lines or said nothing" \
		eval 'grep -q "^fwctl: watch .*: started" "$T_TMP/tty.log" &&
			! grep -q "^<[0-7]>" "$T_TMP/tty.log"'
	# -q hides info: a quiet watch on a pipe says nothing while all is well.
	timeout -s INT 1 "$FWCTL" -q -n "$H" watch 2>"$T_TMP/quiet.log"
	assert log_quiet_hides_info "watch -q logged info lines" \
		eval '! grep -q "^<6>" "$T_TMP/quiet.log"'
else
	t_skip log_plain_on_tty "needs 'script' (util-linux)"
fi

# Watch stops; the rules stay.
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
assert after_watch_enforced "host ping to c3 answered after watch stopped" \
	ping_none "$H" "$C3_IP4"

t_done
