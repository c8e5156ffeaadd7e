#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh - `make soak` (not CI): SOAK_SECONDS (default 600) of mixed traffic,
# rule churn and container churn while `fwctl watch` runs, then a leak check.
#
#   fwsoak<PID>h                              fwsoak<PID>c<N> (2-6 of them, churned)
#   +------------------------------+         +----------------+
#   | br0 10.88.0.1/24 fd88::1/64  |         | eth0 10.88.0.N |
#   |  +-- vsN ====================+==veth===+ fd88::N        |
#   |  fwctl watch, rules on br0   |         +----------------+
#   |  and on single ports         |
#   +------------------------------+
#
# Each round (about a second): a container goes or comes (its veth leaves or
# joins the bridge, and watch must follow), a rule changes (block or unblock
# a protocol on the bridge or a port), and traffic flows: ICMP and ICMPv6
# echo, UDP and TCP from a container to the host. Bounded: rounds by time,
# every command by `timeout`.
#
# Before and after (the same number of containers and the same rules, watch
# settled): fwctl's programs, maps and TCX links in the kernel (only ours:
# named fw_* and using this namespace's pinned fw_policy), its cls_bpf
# filters and the clsact qdiscs of the namespace, its pins, and the
# watch process's open fds and VmRSS. Equal counts, and RSS within
# SOAK_RSS_SLACK_KB (default 2048), or it fails. At the end every program id
# seen during the run must be gone from the kernel after detach --all.
#
# The namespaces are named fwsoak*, not fwtest*, and the file does not take
# the test suite's lock: a `make test` elsewhere on the machine neither waits
# ten minutes for it nor removes its namespaces.
export FWCTL_TESTS_LOCKED=1
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_fwctl
require_cmd nsenter jq ip bpftool busybox timeout
DURATION=${SOAK_SECONDS:-600}
RSS_SLACK=${SOAK_RSS_SLACK_KB:-2048}
[[ $DURATION =~ ^[0-9]+$ ]] || t_skip_file "SOAK_SECONDS must be a number"

P=fwsoak$$
H=${P}h
CONTAINERS=() # namespace names, index = address byte
NEXT=11

# shellcheck disable=SC2317 # run by the EXIT trap
soak_cleanup() {
	local c
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
	timeout 20 "$FWCTL" -q -n "$H" detach --all >/dev/null 2>&1
	for c in $(ip netns list | awk '{ print $1 }' | grep "^$P"); do
		ip netns del "$c" 2>/dev/null
	done
	t_cleanup
}
trap soak_cleanup EXIT

ip netns add "$H" && ip -n "$H" link set lo up &&
	ip -n "$H" link add br0 type bridge && ip -n "$H" link set br0 up &&
	ip -n "$H" addr add 10.88.0.1/24 dev br0 &&
	ip -n "$H" addr add fd88::1/64 dev br0 nodad ||
	{ t_fail topology "cannot build the host namespace"; t_done; }

# container_add: a new namespace with a veth port on br0.
container_add() {
	local n=$NEXT c=${P}c$NEXT
	NEXT=$((NEXT + 1))
	[ $NEXT -le 250 ] || NEXT=11
	ip netns add "$c" || return 1
	ip -n "$c" link set lo up
	ip -n "$H" link add vs$n type veth peer name eth0 netns "$c" &&
		ip -n "$H" link set vs$n master br0 && ip -n "$H" link set vs$n up &&
		ip -n "$c" addr add 10.88.0.$n/24 dev eth0 &&
		ip -n "$c" addr add fd88::$n/64 dev eth0 nodad &&
		ip -n "$c" link set eth0 up || return 1
	CONTAINERS[n]=$c
}

# container_del: removes a random container abruptly.
container_del() {
	local keys=("${!CONTAINERS[@]}") n
	[ ${#keys[@]} -gt 0 ] || return 0
	n=${keys[RANDOM % ${#keys[@]}]}
	ip netns del "${CONTAINERS[n]}" 2>/dev/null
	unset "CONTAINERS[n]"
}

# The objects fwctl has in the kernel for this namespace.
census() {
	local dir pol progs
	dir=$(state_dir "$H")
	[ -n "$dir" ] || { echo "progs=0 maps=0 links=0 pins=0 filters=0 clsact=0"; return; }
	pol=$(bpftool -j map show pinned "$dir/fw_policy" 2>/dev/null | jq -r .id)
	progs=$(bpftool -j prog show 2>/dev/null |
		jq -c --argjson m "${pol:-0}" '[.[] | select((.name // "") | startswith("fw_")) |
			select(((.map_ids // []) | index($m)) != null) | .id]')
	echo "progs=$(jq length <<<"$progs")" \
		"maps=$(bpftool -j prog show 2>/dev/null | jq --argjson p "$progs" \
			'[.[] | select(.id as $i | $p | index($i)) | .map_ids[]] | unique | length')" \
		"links=$(bpftool -j link show 2>/dev/null | jq --argjson p "$progs" \
			'[.[] | select(.prog_id as $i | $p | index($i))] | length')" \
		"pins=$(find "$dir" -mindepth 1 | wc -l)" \
		"filters=$(tc_census filter)" "clsact=$(tc_census qdisc)"
	jq -r '.[]' <<<"$progs" >>"$T_TMP/prog_ids"
}

# tc_census filter|qdisc: fwctl's cls_bpf filters (by name) or the clsact
# qdiscs on every interface of the host namespace.
tc_census() {
	local dev n=0 hook
	for dev in $(ip -n "$H" -j link show | jq -r '.[].ifname'); do
		if [ "$1" == qdisc ]; then
			tc -n "$H" qdisc show dev "$dev" | grep -q '^qdisc clsact' && n=$((n + 1))
			continue
		fi
		for hook in ingress egress; do
			n=$((n + $(tc -n "$H" filter show dev "$dev" $hook 2>/dev/null | grep -c ' fw_tc_')))
		done
	done
	echo $n
}

watch_figures() {
	echo "fds=$(find /proc/"$WATCH_PID"/fd -mindepth 1 2>/dev/null | wc -l)" \
		"rss_kb=$(awk '/^VmRSS/ { print $2 }' /proc/"$WATCH_PID"/status 2>/dev/null)"
}

# settled: every port on br0 filters both ways (XDP, or TC ingress below a
# bridge with XDP) and watch has nothing left to do.
settled() {
	local i st want got
	for i in $(seq 50); do
		want=$(ip -n "$H" -j link show master br0 | jq length)
		st=$(timeout 10 "$FWCTL" -n "$H" -j status 2>/dev/null)
		got=$(jq '[.interfaces[]? | select(.ifname != "br0" and
			(.xdp.attached or .tc.ingress) and .tc.egress)] | length' <<<"$st" 2>/dev/null)
		[ "$want" == "${got:-x}" ] && return 0
		sleep 0.2
	done
	return 1
}

# base_config: three fresh containers (vs11-vs13) and the base rules, made
# the same way before and after the run, so the two censuses compare like
# with like. A deleted namespace's veth goes away asynchronously: wait for it.
base_config() {
	local i
	while [ ${#CONTAINERS[@]} -gt 0 ]; do container_del; done
	for i in $(seq 100); do
		ip -n "$H" -o link show type veth | grep -q . || break
		sleep 0.1
	done
	NEXT=11
	for _ in 1 2 3; do container_add || return 1; done
	timeout 20 "$FWCTL" -q -n "$H" restore "$T_TMP/base.rules" >/dev/null 2>&1 || return 1
	settled
}

traffic() {
	local keys=("${!CONTAINERS[@]}") n c
	[ ${#keys[@]} -gt 0 ] || return 0
	n=${keys[RANDOM % ${#keys[@]}]}
	c=${CONTAINERS[n]}
	timeout 3 nsenter --net="/run/netns/$c" busybox ping -c 2 -i 0.2 -W 1 10.88.0.1 >/dev/null 2>&1
	timeout 3 nsenter --net="/run/netns/$c" busybox ping -6 -c 2 -i 0.2 -W 1 fd88::1 >/dev/null 2>&1
	timeout 3 nsenter --net="/run/netns/$c" bash -c \
		'for i in 1 2 3 4 5; do echo soak >/dev/udp/10.88.0.1/9; done; : </dev/tcp/10.88.0.1/80' \
		>/dev/null 2>&1
	return 0
}

PROTOS=(udp gre sctp tcp ipv6-icmp icmp 132 47)
rule_churn() {
	local keys=("${!CONTAINERS[@]}") p=${PROTOS[RANDOM % ${#PROTOS[@]}]} port
	port=vs${keys[RANDOM % ${#keys[@]}]}
	case $((RANDOM % 6)) in
	0) timeout 10 "$FWCTL" -q -n "$H" block "$p" br0 ;;
	1) timeout 10 "$FWCTL" -q -n "$H" unblock "$p" br0 ;;
	2) timeout 10 "$FWCTL" -q -n "$H" block "$p" "$port" --dir in ;;
	3) timeout 10 "$FWCTL" -q -n "$H" detach "$port" ;;
	4) timeout 10 "$FWCTL" -q -n "$H" -j stats >/dev/null ;;
	*) timeout 10 "$FWCTL" -q -n "$H" restore "$T_TMP/base.rules" ;;
	esac
} >/dev/null 2>&1

# --- the starting point ---------------------------------------------------------

printf 'block udp br0\nblock gre vs11 --dir in\n' >"$T_TMP/base.rules"
"$FWCTL" -n "$H" watch >"$T_TMP/watch.out" 2>&1 &
WATCH_PID=$!
t_bg $WATCH_PID
sleep 1
kill -0 $WATCH_PID 2>/dev/null || { t_fail setup "fwctl watch died" "$(cat "$T_TMP/watch.out")"; t_done; }
# A warm-up round first, so first-use allocations are in the baseline.
for _ in 1 2; do
	base_config ||
		{ t_fail setup "cannot set up the base configuration" "$(fw -n "$H" status 2>&1)"; t_done; }
	traffic
	rule_churn
done
base_config || { t_fail setup "cannot set up the base configuration" "$(fw -n "$H" status 2>&1)"; t_done; }
sleep 2
before_k=$(census)
before_w=$(watch_figures)

# --- the run --------------------------------------------------------------------

end=$(($(date +%s) + DURATION))
rounds=0 adds=0 dels=0
while [ "$(date +%s)" -lt "$end" ] && [ $rounds -lt 100000 ]; do
	rounds=$((rounds + 1))
	if [ ${#CONTAINERS[@]} -gt 2 ] && { [ ${#CONTAINERS[@]} -ge 6 ] || [ $((RANDOM % 2)) -eq 0 ]; }; then
		container_del
		dels=$((dels + 1))
	else
		container_add && adds=$((adds + 1))
	fi
	rule_churn
	traffic
	kill -0 $WATCH_PID 2>/dev/null || break
	[ $((rounds % 10)) -eq 0 ] && census >/dev/null
done
assert watch-survived "fwctl watch died during the run" kill -0 $WATCH_PID

# --- back to the starting point ---------------------------------------------------

base_config || t_fail settle "cannot get back to the base configuration" "$(fw -n "$H" status 2>&1)"
sleep 2
after_k=$(census)
after_w=$(watch_figures)

echo "soak: $rounds rounds in ${DURATION}s: $adds containers added, $dels removed" >&2
echo "soak: kernel before: $before_k; after: $after_k" >&2
echo "soak: watch pid $WATCH_PID before: $before_w; after: $after_w" >&2

for k in progs maps links pins filters clsact; do
	b=$(grep -o "$k=[0-9]*" <<<"$before_k" | cut -d= -f2)
	a=$(grep -o "$k=[0-9]*" <<<"$after_k" | cut -d= -f2)
	expect_eq "no-leak-$k" "$b" "$a" "before: $before_k" "after: $after_k"
done
b=$(grep -o 'fds=[0-9]*' <<<"$before_w" | cut -d= -f2)
a=$(grep -o 'fds=[0-9]*' <<<"$after_w" | cut -d= -f2)
expect_eq no-leak-watch-fds "$b" "$a" "$(ls -l /proc/$WATCH_PID/fd 2>&1 | tail -20)"
b=$(grep -o 'rss_kb=[0-9]*' <<<"$before_w" | cut -d= -f2)
a=$(grep -o 'rss_kb=[0-9]*' <<<"$after_w" | cut -d= -f2)
if [ -n "$a" ] && [ -n "$b" ] && [ $((a - b)) -le "$RSS_SLACK" ]; then
	t_ok no-leak-watch-rss
else
	t_fail no-leak-watch-rss "VmRSS grew from ${b:-?} to ${a:-?} kB (slack $RSS_SLACK kB)"
fi

# --- everything detached: no program seen during the run is left ---------------

kill $WATCH_PID 2>/dev/null
wait $WATCH_PID 2>/dev/null
WATCH_PID=
run fw -n "$H" detach --all
# A program is freed after an RCU grace period: give it a few seconds.
for _ in $(seq 50); do
	left=
	for id in $(sort -u "$T_TMP/prog_ids"); do
		bpftool prog show id "$id" >/dev/null 2>&1 && left+="$id "
	done
	[ -z "$left" ] && break
	sleep 0.2
done
[ "$RC" -eq 0 ] && [ -z "$left" ] && [ -z "$(state_dir "$H")" ] &&
	t_ok detach-all-leaves-nothing ||
	t_fail detach-all-leaves-nothing "programs still loaded: ${left:-none}" "$(last_run)" \
		"state: $(state_dir "$H")"
echo "soak: $(sort -u "$T_TMP/prog_ids" | wc -l) distinct fwctl program ids seen; left after detach --all: ${left:-none}" >&2

t_done
