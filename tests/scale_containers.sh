#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scale_containers.sh - 200 containers on one bridge: `block` on the bridge
# covers all 201 interfaces and drops what it should, `status` and `stats`
# answer for all of them, and the kernel memory fwctl's programs and maps
# lock is stated per covered interface. The times are printed as figures,
# never asserted (the machines are shared and noisy): the goal (under 1 s
# each) is measured by `make bench` (bench/ctl_cost).
#
#   fwtestsclhost: docker0 172.31.X.1 --+-- vethc1   == eth0 .11  (fwtestsclc1)
#                                       +-- ...
#                                       +-- vethc200 == eth0 .210 (fwtestsclc200)
#
# The topology is built with `ip -b` batch files (topo.sh makes at most 64
# containers, one process at a time). Figures go to stdout as "# " lines,
# which tests/run.sh shows only with VERBOSE=1. SCALE_N changes the count
# (at most 250: one /24 and fwctl's 256 interfaces per namespace).
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool
N=${SCALE_N:-200}
if ! [[ $N =~ ^[0-9]+$ ]] || ((N < 2 || N > 250)); then
	t_skip_file "SCALE_N wants 2-250"
fi
GOAL_S=1.0

bare_ns sclhost
H=$BARE
C=${T_PREFIX_ROOT}sclc
NET4=172.31.$(($(printf '%s' "$H" | cksum | cut -d' ' -f1) % 254 + 1))

# Container namespaces go in one batch too; lib.sh then detaches fwctl and
# deletes the host namespace.
scale_cleanup() {
	local i
	for ((i = 1; i <= N; i++)); do
		[ -e "/run/netns/$C$i" ] && echo "netns del $C$i"
	done >"$T_TMP/down.batch"
	[ -s "$T_TMP/down.batch" ] && ip -force -b "$T_TMP/down.batch" >/dev/null 2>&1
	t_cleanup
}
trap scale_cleanup EXIT

# secs CMD...: runs CMD (output discarded), prints its wall time in seconds.
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}

# median3 CMD...: the median of three timed runs of CMD, and all three.
median3() {
	local a b c
	a=$(secs "$@")
	b=$(secs "$@")
	c=$(secs "$@")
	printf '%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p | tr '\n' ' '
	echo "($a $b $c)"
}

# --- the topology ----------------------------------------------------------------

t0=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do
	echo "netns add $C$i"
done >"$T_TMP/ns.batch"
{
	echo "link add docker0 type bridge stp_state 0 forward_delay 0"
	echo "addr add $NET4.1/24 dev docker0"
	echo "link set docker0 up"
	for ((i = 1; i <= N; i++)); do
		echo "link add vethc$i type veth peer name eth0 netns $C$i"
		echo "link set vethc$i master docker0 up"
	done
} >"$T_TMP/host.batch"
run ip -b "$T_TMP/ns.batch"
[ "$RC" -eq 0 ] || { t_fail topology "cannot add $N namespaces" "$(last_run)"; t_done; }
run ip -n "$H" -b "$T_TMP/host.batch"
[ "$RC" -eq 0 ] || { t_fail topology "cannot build the bridge and its ports" "$(last_run)"; t_done; }
# The container ends: one batch per namespace would be a process each anyway,
# so plain ip -n; lo stays down (nothing uses it).
for ((i = 1; i <= N; i++)); do
	if ! ip -n "$C$i" addr add "$NET4.$((10 + i))/24" dev eth0 ||
		! ip -n "$C$i" link set eth0 up; then
		break
	fi
done
if ((i <= N)); then
	t_fail topology "cannot configure $C$i"
	t_done
fi
t1=$(date +%s.%N)
echo "# built $N containers on docker0 in $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
# The bridge learns the ports as they come up; a first ping waits for that.
assert baseline "c1 -> c$N ping fails before fwctl touches anything" \
	ping_ok "$C"1 "$NET4.$((10 + N))" 3

# --- block on the bridge ----------------------------------------------------------

# block_secs: one cold `block icmp docker0` (nothing attached), in seconds.
block_secs() {
	local t0 t1
	t0=$(date +%s.%N)
	run fw -n "$H" -q block icmp docker0
	t1=$(date +%s.%N)
	[ "$RC" -eq 0 ] || return 1
	echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }'
}
if ! B1=$(block_secs); then
	t_fail block_bridge "block failed" "$(last_run)"
	t_done
fi
t_ok block_bridge
echo "# block icmp docker0: $B1 s for $((N + 1)) interfaces (goal $GOAL_S s)"

STATUS=$(fw -n "$H" -j status 2>/dev/null)
is_json "$STATUS" || STATUS='{}'
all_covered() {
	local got
	got=$(json "$STATUS" '[.interfaces[]? | select((.blocked.in | index("icmp")) and
		(.blocked.out | index("icmp")))] | length')
	T_DETAIL="$got of $((N + 1)) interfaces block icmp both ways"
	[ "$got" -eq $((N + 1)) ]
}
assert all_covered "not every interface covered" all_covered
assert c2c_ping_dropped "c1 -> c$N ping answered" ping_none "$C"1 "$NET4.$((10 + N))"
assert host_ping_dropped "host -> c$((N / 2)) ping answered" ping_none "$H" "$NET4.$((10 + N / 2))"

# --- status and stats: every interface, and the times as figures ---------------------

# answers NAME WHAT ROWS CMD...: CMD exits 0 with at least ROWS lines; its time
# (median of 3) is printed.
answers() {
	local name=$1 what=$2 rows=$3
	shift 3
	run "$@"
	if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" -ge "$rows" ]; then
		t_ok "$name"
	else
		t_fail "$name" "want exit 0 and at least $rows lines" "$(last_run)"
	fi
	echo "# $what: median $(median3 "$@") s (goal $GOAL_S s)"
}
answers status_all "status ($((N + 1)) interfaces)" $((N + 2)) fw -n "$H" status
answers status_json_all "-j status" 1 fw -n "$H" -j status
answers stats_all "stats" 2 fw -n "$H" stats
answers stats_json_all "-j stats" 1 fw -n "$H" -j stats
answers stats_one "stats netns:${C}1 (one container)" 2 fw -n "$H" stats "netns:${C}1"

# --- memory per covered interface -------------------------------------------------

# Programs fwctl runs for this namespace: the ids in its interface table; maps:
# those programs use (the shared pinned maps once, each program's own .rodata).
DIR=$(state_dir "$H")
PROGS=$(bpftool -j map dump pinned "$DIR/fw_ifaces" 2>/dev/null | jq -r '.[] | .formatted //
	empty | select(.value.ifindex != 0) | .value | .xdp_prog_id, .tc_in_prog_id,
	.tc_out_prog_id | select(. != 0)' | sort -un)
NPROG=$(echo "$PROGS" | grep -c .)
if [ "$NPROG" -eq 0 ]; then
	t_fail memory "found no programs in $DIR/fw_ifaces"
else
	for id in $PROGS; do
		bpftool -j prog show id "$id"
	done | jq -s '.' >"$T_TMP/progs.json"
	jq -r '.[].map_ids[]?' "$T_TMP/progs.json" | sort -un | while read -r id; do
		bpftool -j map show id "$id"
	done | jq -s '.' >"$T_TMP/maps.json"
	read -r PROG_B MAP_B SHARED_B NMAP <<<"$(jq -rn --slurpfile p "$T_TMP/progs.json" \
		--slurpfile m "$T_TMP/maps.json" '[($p[0] | map(.bytes_memlock) | add),
		($m[0] | map(.bytes_memlock) | add),
		($m[0] | map(select(.name | endswith(".rodata") | not) | .bytes_memlock) | add // 0),
		($m[0] | length)] | map(tostring) | join(" ")')"
	IFS_N=$((N + 1))
	echo "# memlock: $NPROG programs $PROG_B B, $NMAP maps $MAP_B B" \
		"(of which the namespace's shared maps $SHARED_B B)"
	awk -v p="$PROG_B" -v m="$MAP_B" -v s="$SHARED_B" -v n="$IFS_N" 'BEGIN {
		printf "# memory per covered interface: %.1f KiB of its own (programs and" \
			" their .rodata), plus %.1f KiB shared maps per namespace (%.1f KiB each" \
			" over %d interfaces): %.1f KiB in all\n", (p + m - s) / n / 1024,
			s / 1024, s / n / 1024, n, (p + m) / n / 1024 }'
	# One instance of each program per namespace, whatever the count.
	if [ "$NPROG" -ge 1 ] && [ "$NPROG" -le 3 ]; then
		t_ok memory_accounted
	else
		t_fail memory_accounted "$NPROG programs for $IFS_N interfaces, expected 1 to 3"
	fi
fi

# --- 200 containers gone at once, no watcher running ---------------------------------

# Their namespaces deleted, their veths with them: status marks the ports gone,
# and the next change frees everything they held (slot, policy, ifindex map).
PORT_IDX=$(fw -n "$H" -j status | jq -r '.interfaces[] | select(.ifname != "docker0") | .ifindex')
for ((i = 1; i <= N; i++)); do
	echo "netns del $C$i"
done >"$T_TMP/gone.batch"
ip -force -b "$T_TMP/gone.batch" >/dev/null 2>&1
ports_left() {
	ip -n "$H" -o link show type veth | grep -c 'vethc'
}
for _ in $(seq 100); do
	[ "$(ports_left)" -eq 0 ] && break
	sleep 0.1
done
gone_marked() {
	local got
	got=$(fw -n "$H" -j status | jq '[.interfaces[] | select(.kind == "gone")] | length')
	T_DETAIL="$got interfaces marked gone, $(ports_left) veths still there"
	[ "$got" -eq "$N" ]
}
assert gone_marked "status does not mark the $N deleted ports gone" gone_marked
check change_after_gone fw -n "$H" -q block udp docker0
only_bridge_left() {
	local ifs slots policies
	ifs=$(fw -n "$H" -j status | jq -r '[.interfaces[].ifname] | join(",")')
	slots=$(for idx in $PORT_IDX; do
		bpftool -j map lookup pinned "$DIR/fw_slots" key $((idx & 255)) $(((idx >> 8) & 255)) \
			$(((idx >> 16) & 255)) 0 | jq -r '.formatted.value'
	done | awk '$1 != 0' | wc -l)
	policies=$(bpftool -j map dump pinned "$DIR/fw_policy" |
		jq '[.[].formatted.value | select(.set.blocked | any(. != 0))] | length')
	T_DETAIL="status lists '$ifs'; $slots deleted ports still mapped in fw_slots;"
	T_DETAIL+=" $policies non-empty fw_policy entries (want 2: docker0 in and out)"
	[ "$ifs" == docker0 ] && [ "$slots" -eq 0 ] && [ "$policies" -eq 2 ]
}
assert gone_state_freed "the next change did not free what the deleted ports held" only_bridge_left

# --- and away, fast ----------------------------------------------------------------

t0=$(date +%s.%N)
run fw -n "$H" detach --all
t1=$(date +%s.%N)
echo "# detach --all: $(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') s"
if [ "$RC" -eq 0 ] && [ -z "$(state_dir "$H")" ]; then
	t_ok detach_all
else
	t_fail detach_all "detach --all failed or left $(state_dir "$H")" "$(last_run)"
fi
t_done
