#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_containers.sh - namespace-simulated containers: a rule on docker0 blocks
# ICMP between containers and from the host while HTTP passes; netns: and pid:
# targets touch only their container, in the direction asked; while `fwctl
# watch` runs, a container that comes is covered, one that goes leaves no
# state, a bridge deleted and re-created gets its rules back; SIGTERM ends
# watch with exit 0 and the rules stay.
#
#   fwtestctrhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestctrc1)
#                                       +-- vethc2 == eth0 .12 (fwtestctrc2)
#                                       +-- vethc3 == eth0 .13 (comes and goes)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck disable=SC2016 # jq and awk programs, in single quotes on purpose
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool
topo_up ctr 2
C1=${TOPO_PREFIX}c1
C2=${TOPO_PREFIX}c2
C3=${TOPO_PREFIX}c3
C3_IP4=$NET4.13
topo_baseline

STATUS=
# get_status [TARGET]: `fwctl -j status` into $STATUS ('{}' when it fails).
get_status() {
	STATUS=$(fw -n "$H" -j status "$@" 2>/dev/null)
	is_json "$STATUS" || STATUS='{}'
}

# The interfaces `-j status` lists, sorted, space-separated.
status_ifnames() {
	get_status
	json "$STATUS" '[.interfaces[]?.ifname] | sort | join(" ")'
}

# blocked_has IFNAME DIR PROTO: $STATUS shows PROTO blocked on IFNAME in DIR.
blocked_has() {
	json "$STATUS" --arg i "$1" --arg d "$2" --arg p "$3" -e \
		'[.interfaces[]? | select(.ifname == $i) | .blocked[$d][]?] | index($p) != null' \
		>/dev/null
}

# icmp_in_echos NS: echo requests NS's kernel has received (/proc/net/snmp),
# a count fwctl cannot touch: it tells which way a packet got through.
icmp_in_echos() {
	in_ns "$1" awk '/^Icmp:/ { if (h) { print $i; exit } for (i = 1; i <= NF; i++)
		if ($i == "InEchos") { h = 1; break } }' /proc/net/snmp
}

# one_way_ok FROM TO_NS TO_ADDR: FROM's echo requests reach TO_NS (its
# InEchos grows by at least 2) while not one reply gets back to FROM.
one_way_ok() {
	local before after
	before=$(icmp_in_echos "$2")
	ping_none "$1" "$3" 2
	local none=$?
	after=$(icmp_in_echos "$2")
	T_DETAIL+=$'\n'"$2 InEchos: $before -> $after"
	[ "$none" -eq 0 ] && [ $((after - before)) -ge 2 ]
}

# never_arrives FROM TO_NS TO_ADDR: FROM's echo requests do not reach TO_NS.
never_arrives() {
	local before after
	before=$(icmp_in_echos "$2")
	ping_none "$1" "$3" 2
	after=$(icmp_in_echos "$2")
	T_DETAIL+=$'\n'"$2 InEchos: $before -> $after"
	[ "$after" -eq "$before" ]
}

# attached_only IFNAMES: what `-j status` lists is exactly IFNAMES (sorted).
attached_only() {
	local got
	got=$(status_ifnames)
	T_DETAIL="status lists '$got'"
	[ "$got" == "$1" ]
}

# not_listed IFNAME: `-j status` does not list IFNAME.
not_listed() {
	local got
	got=$(status_ifnames)
	T_DETAIL="status lists '$got'"
	[[ " $got " != *" $1 "* ]]
}

# ports_named WANT [IFNAME]: "ifname=container" of every vethc* port (or only
# IFNAME) in `-j status`, sorted, is WANT.
ports_named() {
	local got
	get_status
	got=$(json "$STATUS" --arg i "${2:-}" '[.interfaces[]? |
		select(.ifname | startswith("vethc")) | select($i == "" or .ifname == $i) |
		.ifname + "=" + (.container // "null")] | sort | join(" ")')
	T_DETAIL="status says '$got'"
	[ "$got" == "$1" ]
}

# only_port_status TARGET IFNAME NAME: `status TARGET` lists IFNAME alone and
# names the container NAME ("": any name).
only_port_status() {
	local name
	get_status "$1"
	T_DETAIL="status $1: $STATUS"
	name=$(json "$STATUS" '.interfaces[0].container // ""')
	[ "$(json "$STATUS" '[.interfaces[]?.ifname] | join(" ")')" == "$2" ] &&
		[ -n "$name" ] && { [ -z "$3" ] || [ "$name" == "$3" ]; }
}

# only_port_stats TARGET IFNAME NAME: `stats TARGET` lists IFNAME alone, named
# NAME, with ICMP drops counted.
only_port_stats() {
	local doc
	doc=$(fw -n "$H" -j stats "$1" 2>&1)
	T_DETAIL="stats $1: $doc"
	is_json "$doc" &&
		[ "$(json "$doc" '[.interfaces[]?.ifname] | unique | join(" ")')" == "$2" ] &&
		[ "$(json "$doc" '[.interfaces[]?.container] | unique | join(" ")')" == "$3" ] &&
		[ "$(counter dropped_packets "$doc" "$2" icmp)" -gt 0 ]
}

# --- a rule on the bridge -------------------------------------------------------

check bridge_block fw -n "$H" block icmp docker0
assert c2c_ping_dropped "c1 -> c2 ping answered" ping_none "$C1" "${C_IP4[2]}"
assert host_to_container_ping_dropped "host -> c1 ping answered" ping_none "$H" "${C_IP4[1]}"
assert c2c_http_passes "c1 -> c2 HTTP broken" http_ok "$C1" "${C_IP4[2]}" "$C2"
assert host_to_container_http_passes "host -> c2 HTTP broken" http_ok "$H" "${C_IP4[2]}" "$C2"
assert status_names_ports "status does not name the container behind each port" \
	ports_named "vethc1=$C1 vethc2=$C2"
check bridge_unblock fw -n "$H" detach --all
assert unblocked_ping_ok "host -> c1 ping fails after detach --all" ping_ok "$H" "${C_IP4[1]}"

# --- netns: and pid: targets ------------------------------------------------------

check netns_block fw -n "$H" block icmp "netns:$C1"
assert netns_only_its_port "netns:$C1 attached to more than vethc1" attached_only vethc1
assert netns_target_dropped "host -> c1 ping answered" ping_none "$H" "${C_IP4[1]}"
assert netns_other_untouched "host -> c2 ping fails" ping_ok "$H" "${C_IP4[2]}"
assert netns_c2c_dropped "c2 -> c1 ping answered" ping_none "$C2" "${C_IP4[1]}"
assert netns_status_one "status netns:$C1 is not vethc1 alone, named $C1" \
	only_port_status "netns:$C1" vethc1 "$C1"
assert netns_stats_one "stats netns:$C1 is not vethc1 alone, named $C1, with drops" \
	only_port_stats "netns:$C1" vethc1 "$C1"
stats_text_names() {
	local out
	out=$(fw -n "$H" stats "netns:$C1")
	T_DETAIL=$out
	head -1 <<<"$out" | grep -q '^IFACE  *CONTAINER ' &&
		grep -Eq "^vethc1 +$C1 +(from|to) +icmp " <<<"$out"
}
assert netns_stats_text_container "stats text has no CONTAINER column naming $C1" stats_text_names
check netns_unblock fw -n "$H" unblock all "netns:$C1"
assert netns_unblocked "host -> c1 ping fails after unblock" ping_ok "$H" "${C_IP4[1]}"

# Directions are the container's: in = toward it, out = from it.
check dir_in_block fw -n "$H" block icmp "netns:$C1" --dir in
assert dir_in_toward_dropped "host's echo requests reached c1 despite --dir in" \
	never_arrives "$H" "$C1" "${C_IP4[1]}"
assert dir_in_from_passes "c1's echo requests did not reach the host, or replies got back" \
	one_way_ok "$C1" "$H" "$BR_IP4"
check dir_in_unblock fw -n "$H" unblock icmp "netns:$C1" --dir in
check dir_out_block fw -n "$H" block icmp "netns:$C1" --dir out
assert dir_out_from_dropped "c1's echo requests reached the host despite --dir out" \
	never_arrives "$C1" "$H" "$BR_IP4"
assert dir_out_toward_passes "host's echo requests did not reach c1, or replies got back" \
	one_way_ok "$H" "$C1" "${C_IP4[1]}"
check netns_detach fw -n "$H" detach "netns:$C1"
assert netns_detached "detach netns:$C1 left something attached" attached_only ""

# A namespace with no veth into the host's side: kept, covering nothing, and
# said so (a silent rule that covers nothing would surprise).
bare_ns ctrlone
run fw -n "$H" block icmp "netns:$BARE"
uncovered_warned() {
	[ "$RC" -eq 0 ] && grep -q "netns:$BARE has no interface in this namespace yet" <<<"$ERR"
}
assert netns_uncovered_warns "block on a namespace with no port here: want exit 0 and a warning" \
	uncovered_warned
assert netns_uncovered_attaches_nothing "a rule covering nothing attached something" attached_only ""
check netns_uncovered_detach fw -n "$H" detach "netns:$BARE"

PID2=$(ip netns pids "$C2" | head -1)
if [ -z "$PID2" ]; then
	t_fail pid_target "no process runs in $C2 (its httpd)"
else
	check pid_block fw -n "$H" block icmp "pid:$PID2"
	assert pid_only_its_port "pid:$PID2 attached to more than vethc2" attached_only vethc2
	assert pid_target_dropped "host -> c2 ping answered" ping_none "$H" "${C_IP4[2]}"
	assert pid_other_untouched "host -> c1 ping fails" ping_ok "$H" "${C_IP4[1]}"
	assert pid_status_one "status pid:$PID2 is not vethc2 alone, named" \
		only_port_status "pid:$PID2" vethc2 ""
	check pid_unblock fw -n "$H" detach --all
fi

# A container that is not there: exit 2, one clear line, nothing changed.
no_such() {
	local name=$1 want=$2 before after
	shift 2
	before=$(fw_state "$H")
	run fw -n "$H" "$@"
	after=$(fw_state "$H")
	if [ "$RC" -ne 2 ]; then
		t_fail "$name" "expected exit 2, got $RC" "$(last_run)"
	elif [[ $ERR != "fwctl: "* ]] || [ "$(grep -c '' <<<"$ERR")" -ne 1 ] ||
		! grep -qF "$want" <<<"$ERR"; then
		t_fail "$name" "want one line 'fwctl: ...$want...'" "$(last_run)"
	elif [ "$before" != "$after" ]; then
		t_fail "$name" "state changed" "$(diff <(echo "$before") <(echo "$after"))"
	else
		t_ok "$name"
	fi
}
no_such missing_netns_target "${TOPO_PREFIX}nope" block icmp "netns:${TOPO_PREFIX}nope"
no_such missing_pid_target 999999999 block icmp pid:999999999
no_such missing_netns_status "${TOPO_PREFIX}nope" status "netns:${TOPO_PREFIX}nope"
# No Docker engine listens there: whatever fwctl says, it must not be success.
DOCKER_HOST=unix://$T_TMP/no-docker.sock run fw -n "$H" block icmp container:nope
if [ "$RC" -ne 0 ] && [[ $ERR == "fwctl: "* ]]; then
	t_ok missing_docker_engine
else
	t_fail missing_docker_engine "want a failure with a 'fwctl: ' message" "$(last_run)"
fi

# --- fwctl watch ---------------------------------------------------------------

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# covered IFNAME: status shows icmp blocked both ways on IFNAME.
covered() {
	get_status
	blocked_has "$1" in icmp && blocked_has "$1" out icmp
}
covered_or_say() {
	wait_for "$@" && return 0
	T_DETAIL=$(fw -n "$H" status 2>&1; echo "watch said:"; tail -5 "$T_TMP/watch.log")
	return 1
}

# slot_info IFNAME: "slot xdp_id tc_in_id tc_out_id" of IFNAME in fw_ifaces.
slot_info() {
	local dir
	dir=$(state_dir "$H")
	[ -n "$dir" ] || return 1
	bpftool -j map dump pinned "$dir/fw_ifaces" 2>/dev/null | jq -r --arg i "$1" \
		'.[] | .formatted // empty | select(.value.name == $i and .value.ifindex != 0) |
		"\(.key) \(.value.xdp_prog_id) \(.value.tc_in_prog_id) \(.value.tc_out_prog_id)"'
}

# released SLOT PROG_ID...: no pin named for SLOT, nothing in that fw_ifaces
# slot, and no fw_slots entry leading to it.
released() {
	local slot=$1 dir id left pin
	shift
	dir=$(state_dir "$H")
	left=
	for pin in "$dir"/*_"$slot"; do
		[ -e "$pin" ] && left+=" ${pin##*/}"
	done
	T_DETAIL="pins for slot $slot:${left:- none}"
	[ -z "$left" ] || return 1
	left=$(bpftool -j map lookup pinned "$dir/fw_ifaces" key "$slot" 0 0 0 2>/dev/null |
		jq -r '.formatted.value.ifindex // .value.ifindex // 0')
	T_DETAIL+=$'\n'"fw_ifaces[$slot].ifindex: '$left'"
	[ "$left" == 0 ] || return 1
	# The programs are shared by the namespace; what must go is the
	# interface's entry in fw_slots.
	left=$(bpftool -j map lookup pinned "$dir/fw_slots" key $((IFX3 & 255)) \
		$(((IFX3 >> 8) & 255)) $(((IFX3 >> 16) & 255)) 0 2>/dev/null |
		jq -r '.formatted.value // .value // 0')
	T_DETAIL+=$'\n'"fw_slots[$IFX3]: '$left'"
	[ "$left" == 0 ] || [ "$left" == '["0x00","0x00","0x00","0x00"]' ]
}

check watch_block fw -n "$H" block icmp docker0
"$FWCTL" -v -n "$H" watch >"$T_TMP/watch.log" 2>&1 &
WATCH=$!
t_bg "$WATCH"
sleep 0.5
if ! kill -0 "$WATCH" 2>/dev/null; then
	t_fail watch_running "fwctl watch exited at once" "$(cat "$T_TMP/watch.log")"
	t_done
fi

# A container comes.
run bash "$TOPO" up -p "$TOPO_PREFIX" -c 3
[ "$RC" -eq 0 ] || t_fail add_container "topo.sh could not add c3" "$(last_run)"
assert added_covered "vethc3 did not get the bridge's rule within 5 s" \
	covered_or_say 5 covered vethc3
assert added_named "status does not name $C3 beside vethc3" ports_named "vethc3=$C3" vethc3
assert added_ping_dropped "host -> c3 ping answered" ping_none "$H" "$C3_IP4"
assert added_c2c_dropped "c3 -> c1 ping answered" ping_none "$C3" "${C_IP4[1]}"
assert added_http_passes "c1 -> c3 HTTP broken" http_ok "$C1" "$C3_IP4" "$C3"

# The container goes: its namespace is deleted, which destroys the veth pair.
read -r SLOT3 IDS3 <<<"$(slot_info vethc3)"
if [ -z "${SLOT3:-}" ]; then
	t_fail removed_no_state "cannot find vethc3's slot in fw_ifaces" \
		"$(bpftool -j map dump pinned "$(state_dir "$H")/fw_ifaces" 2>&1 | head -20)"
else
	IFX3=$(ip -n "$H" -j link show vethc3 | jq -r '.[0].ifindex')
	# shellcheck disable=SC2046 # one pid per word
	kill $(ip netns pids "$C3") 2>/dev/null
	ip netns del "$C3"
	gone() { ! ip -n "$H" link show vethc3 >/dev/null 2>&1; }
	wait_for 5 gone || t_fail removed_veth_gone "vethc3 still exists 5 s after its netns"
	assert removed_not_in_status "vethc3 still in -j status 5 s after it went" \
		wait_for 5 not_listed vethc3
	# shellcheck disable=SC2086 # the program ids, one per word
	assert removed_no_state "state left for vethc3's slot $SLOT3" \
		wait_for 5 released "$SLOT3" $IDS3
fi

# dockerd restarts: docker0 goes (its ports stay, without a master) and comes back.
ip -n "$H" link del docker0
assert bridge_gone_released "interfaces still attached 5 s after docker0 went" \
	wait_for 5 attached_only ""
run bash "$TOPO" up -p "$TOPO_PREFIX" -c 2
[ "$RC" -eq 0 ] || t_fail recreate_bridge "topo.sh could not re-create docker0" "$(last_run)"
all_covered() {
	covered docker0 && covered vethc1 && covered vethc2
}
assert bridge_recreated_covered "docker0 and its ports did not get the rule back within 5 s" \
	covered_or_say 5 all_covered
assert bridge_recreated_host_dropped "host -> c1 ping answered" ping_none "$H" "${C_IP4[1]}"
assert bridge_recreated_c2c_dropped "c2 -> c1 ping answered" ping_none "$C2" "${C_IP4[1]}"
assert bridge_recreated_http_passes "c2 -> c1 HTTP broken" http_ok "$C2" "${C_IP4[1]}" "$C1"

# SIGTERM: exit 0, and the rules stay.
kill -TERM "$WATCH"
wait "$WATCH"
rc=$?
expect_eq watch_sigterm_exit0 0 "$rc" "$(tail -5 "$T_TMP/watch.log")"
assert after_watch_host_dropped "host -> c1 ping answered after watch ended" \
	ping_none "$H" "${C_IP4[1]}"
assert after_watch_c2c_dropped "c1 -> c2 ping answered after watch ended" \
	ping_none "$C1" "${C_IP4[2]}"
assert after_watch_http_passes "host -> c1 HTTP broken after watch ended" \
	http_ok "$H" "${C_IP4[1]}" "$C1"

t_done
