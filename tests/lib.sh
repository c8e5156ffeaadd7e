# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - sourced by every tests/cli_*.sh and tests/e2e_*.sh.
#
# Output protocol (read by tests/run.sh), on stdout:
#   ok <name>
#   FAIL <name>: <why>        followed by detail lines indented two spaces
#   skip <name>: <why>
# Nothing else is printed unless a check fails, so a passing file is quiet.
#
# Test files do not use `set -e`: one failed check must not hide the next.
set -uo pipefail

T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$T_ROOT" || exit 1
FWCTL=${FWCTL:-build/fwctl}
[[ $FWCTL == /* ]] || FWCTL=$T_ROOT/$FWCTL
TOPO=$T_ROOT/netns/topo.sh
# Every namespace a test makes starts with this; run.sh removes leftovers.
T_PREFIX_ROOT=fwtest
# The file's name without .sh names its tests: e2e_block/host_ping_dropped.
T_FILE=$(basename "${0%.sh}")
T_FAILS=0
T_PREFIXES=()
T_BARE=()
T_PIDS=()
# Alone (not under run.sh, which holds it), a file takes the suite's lock so
# it never runs while a whole run cleans up namespaces.
if [ -z "${FWCTL_TESTS_LOCKED:-}" ] && [ "$(id -u)" -eq 0 ]; then
	mkdir -p /run/lock
	exec 9>/run/lock/fwctl-tests.lock
	flock -w 900 9 || { echo "skip $T_FILE: another test run holds the lock"; exit 0; }
fi
T_TMP=$(mktemp -d "/tmp/fwctl-test.$T_FILE.XXXXXX")
# busybox-static: iputils ping is not always installed.
PING=(busybox ping)

# --- results ------------------------------------------------------------------

t_ok() {
	echo "ok $T_FILE/$1"
}

# t_fail NAME WHY [DETAIL...]: each DETAIL may span lines; all are indented.
t_fail() {
	local name=$1 why=$2
	shift 2
	echo "FAIL $T_FILE/$name: $why"
	T_FAILS=$((T_FAILS + 1))
	local d
	for d in "$@"; do
		[ -n "$d" ] && printf '%s\n' "$d" | sed 's/^/  /'
	done
	return 0
}

t_skip() {
	echo "skip $T_FILE/$1: $2"
}

# t_skip_file WHY: the whole file cannot run; says why and stops.
t_skip_file() {
	echo "skip $T_FILE: $1"
	exit 0
}

# Exit status for run.sh's sake; the ok/FAIL lines are what counts.
t_done() {
	[ "$T_FAILS" -eq 0 ]
	exit
}

# --- running commands ---------------------------------------------------------

# run CMD...: runs CMD, keeping exit status, stdout and stderr in RC, OUT, ERR.
run() {
	LAST_CMD="$*"
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	return 0
}

# What the last run() did, for a FAIL's detail lines.
last_run() {
	printf 'cmd: %s\nexit: %s\n' "$LAST_CMD" "$RC"
	[ -n "$OUT" ] && printf 'stdout:\n%s\n' "$OUT" | head -40
	[ -n "$ERR" ] && printf 'stderr:\n%s\n' "$ERR" | head -20
	return 0
}

# check NAME CMD...: ok when CMD exits 0.
check() {
	local name=$1
	shift
	run "$@"
	if [ "$RC" -eq 0 ]; then
		t_ok "$name"
	else
		t_fail "$name" "command failed" "$(last_run)"
	fi
}

# expect_exit CODE NAME CMD...: ok when CMD exits with CODE.
expect_exit() {
	local code=$1 name=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$code" ]; then
		t_ok "$name"
	else
		t_fail "$name" "expected exit $code, got $RC" "$(last_run)"
	fi
}

# assert NAME WHY CMD...: ok when CMD succeeds, else FAIL with WHY and what CMD
# left in T_DETAIL (the helpers below put their evidence there).
assert() {
	local name=$1 why=$2
	shift 2
	T_DETAIL=
	if "$@"; then
		t_ok "$name"
	else
		t_fail "$name" "$why" "$T_DETAIL"
	fi
}

# expect_eq NAME EXPECTED GOT [DETAIL...]
expect_eq() {
	local name=$1 want=$2 got=$3
	shift 3
	if [ "$want" == "$got" ]; then
		t_ok "$name"
	else
		t_fail "$name" "expected '$want', got '$got'" "$@"
	fi
}

# --- JSON ---------------------------------------------------------------------

# json DOC [JQ-OPTION...] FILTER: jq -r on the JSON text DOC; fails on bad JSON.
json() {
	local doc=$1
	shift
	printf '%s' "$doc" | jq -r "$@"
}

# is_json TEXT: exactly one JSON document.
is_json() {
	[ -n "$1" ] && [ "$(printf '%s' "$1" | jq -s 'length' 2>/dev/null)" == 1 ]
}

# --- fwctl --------------------------------------------------------------------

fw() {
	"$FWCTL" "$@"
}

# A canonical snapshot of a namespace's state, to compare before and after.
fw_state() {
	"$FWCTL" -n "$1" -j status 2>&1 | jq -S . 2>&1
}

# counter FIELD JSON [IFNAME] [PROTO] [DIR]: the sum of FIELD over the rows of
# `fwctl -j stats` output JSON that match; "" matches anything, and PROTO is
# a number (compared with .number) or a name (compared with .proto).
counter() {
	local field=$1 doc=$2 ifname=${3:-} proto=${4:-} dir=${5:-}
	printf '%s' "$doc" | jq -r --arg i "$ifname" --arg p "$proto" --arg d "$dir" \
		--arg f "$field" '[.interfaces[]? | select($i == "" or .ifname == $i) |
		.counters[]? |
		select($p == "" or (.number | tostring) == $p or .proto == $p) |
		select($d == "" or .direction == $d) | .[$f]] | add // 0'
}

# Protocols blocked on IFNAME in DIR, per `-j status` output, as sorted numbers.
# usage: blocked_numbers JSON IFNAME DIR
blocked_numbers() {
	local p
	printf '%s' "$1" | jq -r --arg i "$2" --arg d "$3" \
		'.interfaces[]? | select(.ifname == $i) | .blocked[$d][]?' |
		while read -r p; do
			if [[ $p =~ ^[0-9]+$ ]]; then
				echo "$p"
			else
				getent protocols "$p" | awk '{ print $2 }'
			fi
		done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# state_dir NS: fwctl's state directory for namespace NS, if there is one.
# fwctl names it after the namespace's inode (ns<ino>); e2e_detach fails if
# that ever changes, so the checks built on this cannot pass vacuously.
state_dir() {
	local ino d
	ino=$(stat -L -c %i "/run/netns/$1" 2>/dev/null) || return 0
	for d in /sys/fs/bpf/fwctl/*; do
		[[ ${d##*/} =~ (^|[^0-9])$ino($|[^0-9]) ]] && [ -d "$d" ] && echo "$d"
	done
	return 0
}

# status_now NS: `-j status` of NS into STATUS (an empty interface list when
# it printed no JSON), its exit status into SRC.
STATUS='' SRC=0
status_now() {
	run fw -n "$1" -j status
	SRC=$RC
	STATUS=$OUT
	is_json "$STATUS" || STATUS='{"interfaces": []}'
}

# status_of IFNAME FILTER: jq FILTER on IFNAME's entry of $STATUS.
status_of() {
	json "$STATUS" --arg i "$1" "[.interfaces[]? | select(.ifname == \$i)][0] | $2"
}

# status_dir_is NAME IFNAME DIR WANT [REASON-REGEX]: IFNAME's DIR in $STATUS
# (status_now) is WANT, its reason matching REGEX: t_ok NAME, else t_fail.
status_dir_is() {
	local got why
	got=$(status_of "$2" ".directions.$3.state // \"none\"")
	why=$(status_of "$2" ".directions.$3.reason // \"\"")
	if [ "$got" != "$4" ]; then
		t_fail "$1" "status says $2 $3 is '$got', want '$4'" "reason: $why" "exit $SRC"
	elif [ -n "${5:-}" ] && ! grep -qE "$5" <<<"$why"; then
		t_fail "$1" "reason for $2 $3 does not match /$5/" "reason: $why"
	else
		t_ok "$1"
	fi
}

# in_echos NS: echo requests NS has received so far (Icmp InEchos of its
# /proc/net/snmp): counts drops on the receiving side, where ping's resends
# on ENOBUFS cannot blur them.
in_echos() {
	# shellcheck disable=SC2016 # awk's own $
	in_ns "$1" awk '$1 == "Icmp:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["InEchos"] }' /proc/net/snmp
}

# build_pass_prog: tests/progs/pass.bpf.c (XDP and TC programs that only
# pass: "another tool's" filter) built into PASS_O; the file fails without it.
PASS_O=''
build_pass_prog() {
	PASS_O=$T_TMP/pass.o
	if ! clang -O2 -g -target bpf -c "$T_ROOT/tests/progs/pass.bpf.c" -o "$PASS_O" \
		2>"$T_TMP/clang.err"; then
		t_fail build_pass_o "cannot build tests/progs/pass.bpf.c" "$(cat "$T_TMP/clang.err")"
		t_done
	fi
}

# --- preconditions ------------------------------------------------------------

require_root() {
	[ "$(id -u)" -eq 0 ] || t_skip_file "needs root"
}

require_fwctl() {
	[ -x "$FWCTL" ] || t_skip_file "$FWCTL not built (make build/fwctl)"
}

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || t_skip_file "needs '$c' (apt-get install ${c})"
	done
}

# --- topology -----------------------------------------------------------------

# Runs CMD in namespace NS with only the network namespace switched: the host's
# /sys/fs/bpf stays visible (ip netns exec would hide it).
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# topo_up TAG [N]: builds fwtest<TAG>host + N containers, torn down on exit.
# Sets H (host namespace), NET4/NET6 (subnet prefixes), and C_IP4[i]/C_IP6[i].
topo_up() {
	local n=${2:-2} p=$T_PREFIX_ROOT$1 i
	T_PREFIXES+=("$p")
	bash "$TOPO" down -p "$p" >/dev/null 2>&1
	run bash "$TOPO" up -p "$p" -c "$n"
	if [ "$RC" -ne 0 ]; then
		t_fail topology "cannot build the test topology" "$(last_run)"
		t_done
	fi
	eval "$(bash "$TOPO" env -p "$p")"
	H=$TOPO_HOST
	NET4=$TOPO_NET4
	NET6=$TOPO_NET6
	C_IP4=()
	C_IP6=()
	for ((i = 1; i <= n; i++)); do
		C_IP4[i]=$NET4.$((10 + i))
		C_IP6[i]=$NET6::$((10 + i))
	done
	# shellcheck disable=SC2034 # for the tests
	BR_IP4=$NET4.1 BR_IP6=$NET6::1
}

# bare_ns TAG: an empty namespace fwtest<TAG>, loopback only, in $BARE;
# removed on exit.
bare_ns() {
	BARE=$T_PREFIX_ROOT$1
	T_BARE+=("$BARE")
	ip netns del "$BARE" 2>/dev/null
	ip netns add "$BARE" && ip -n "$BARE" link set lo up
}

# topo_baseline: the topology works before fwctl touches it (host <-> c1 ping
# over IPv4 and IPv6, HTTP); otherwise no later result would mean anything.
baseline_ok() {
	ping_ok "$H" "${C_IP4[1]}" && ping_ok "$H" "${C_IP6[1]}" &&
		http_ok "$H" "${C_IP4[1]}" "${TOPO_PREFIX}c1"
}
topo_baseline() {
	assert baseline "topology does not work before fwctl touches it" baseline_ok
	[ "$T_FAILS" -eq 0 ] || t_done
}

# t_bg PID: a background process of the test's, killed on exit.
t_bg() {
	T_PIDS+=("$1")
}

# Our background processes first (they may hold the namespaces), then fwctl's
# state (pins outlive namespaces), then the namespaces.
t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for p in "${T_PREFIXES[@]}"; do
		FWCTL=$FWCTL bash "$TOPO" down -p "$p" >/dev/null 2>&1
	done
	for p in "${T_BARE[@]}"; do
		[ -x "$FWCTL" ] && timeout 10 "$FWCTL" -q -n "$p" detach --all >/dev/null 2>&1
		ip netns del "$p" 2>/dev/null
	done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# pings NS ADDR COUNT: runs busybox ping in NS, keeping its output in T_DETAIL.
# -W 1 bounds the wait after the last echo; -i 0.2 keeps the test short.
pings() {
	T_DETAIL="$1\$ ping -c $3 $2"$'\n'$(in_ns "$1" "${PING[@]}" -c "$3" -i 0.2 -W 1 "$2" 2>&1)
}

# ping_ok NS ADDR [COUNT]: every echo of one round answered (busybox ping
# exits 0 on any reply, so the loss figure is what counts). A busy machine may
# answer late or resolve the neighbour slowly, so up to three rounds are tried:
# the condition is "answers come", not "answers come within one second".
ping_ok() {
	local try detail=
	for try in 1 2 3; do
		pings "$1" "$2" "${3:-2}"
		detail+=$T_DETAIL$'\n'
		grep -q ' 0% packet loss' <<<"$T_DETAIL" && return 0
	done
	T_DETAIL=$detail
	return 1
}

# ping_none NS ADDR [COUNT]: ping ran and not one echo was answered. A drop on
# the sender's own egress may end ping early with "sendto: No buffer space".
ping_none() {
	pings "$1" "$2" "${3:-2}"
	grep -q '^PING ' <<<"$T_DETAIL" && ! grep -q ' bytes from ' <<<"$T_DETAIL"
}

# http_get NS HOST: prints the page served by HOST's httpd, within 3 s.
http_get() {
	local host=$2
	[[ $host == *:* ]] && host="[$host]"
	if command -v curl >/dev/null; then
		in_ns "$1" curl -gsS -m 3 "http://$host/"
	else
		in_ns "$1" busybox wget -q -T 3 -O - "http://$host/"
	fi
}

# http_ok NS HOST CONTAINER_NS: the page came from that container's httpd.
http_ok() {
	local body
	body=$(http_get "$1" "$2" 2>&1)
	T_DETAIL="$1\$ GET http://$2/: '$body'"
	[ "$body" == "fwctl-topo $3" ]
}

# http_fails NS HOST: no page within the time limit.
http_fails() {
	local body
	body=$(http_get "$1" "$2" 2>&1) && {
		T_DETAIL="$1\$ GET http://$2/ answered: '$body'"
		return 1
	}
	return 0
}
