#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_hostile.sh - fwctl among neighbours that hide, hang or lie:
#  - a namespace held only by a bind mount, invisible to a caller whose
#    /run/netns is empty, keeps its state through that caller's
#    `detach --all`; once really destroyed, the next `detach --all`
#    elsewhere removes it (its lease says so);
#  - a Docker socket that accepts and never answers, or answers slowly,
#    delays a rule on a plain port by one bounded wait at most;
#  - a Docker Pid past 32 bits is refused, not truncated into another
#    process's;
#  - a pinned map of the wrong shape is refused with one line, no crash.
#
#   fwtesthos<x>host: docker0 --+-- vethc1 == eth0 (c1)   container:web1..5 -> c1
#                               +-- vethc2 == eth0 (c2)   Pid 2^32 + c2's: refused
#                               +-- vethc3 == eth0 (c3)   block udp vethc3
#   bind-mounted $T_TMP/x/nsfile: d0 <=veth=> d0p, block icmp d0
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck disable=SC2016 # scripts for sh -c and python3, in single quotes on purpose
# shellcheck disable=SC2034 # T_DETAIL is read by lib.sh's assert
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq bpftool python3 unshare nsenter

NSFILE=$T_TMP/x/nsfile
ASIDE=
hostile_cleanup() {
	if [ -n "$ASIDE" ] && [ -e "$ASIDE" ]; then
		rm -f "$META_PIN" && mv "$ASIDE" "$META_PIN"
	fi
	if mountpoint -q "$NSFILE" 2>/dev/null; then
		timeout 10 "$FWCTL" -q -n "$NSFILE" detach --all >/dev/null 2>&1
		umount "$NSFILE" 2>/dev/null
	fi
}
trap 'hostile_cleanup; t_cleanup' EXIT

# --- D4: a namespace nobody here can see ---------------------------------------

bare_ns hos
OTHER=$BARE
mkdir -p "$T_TMP/x" && touch "$NSFILE"
if ! { unshare --net="$NSFILE" true &&
	nsenter --net="$NSFILE" ip link add d0 type veth peer name d0p &&
	nsenter --net="$NSFILE" ip link set d0 up && nsenter --net="$NSFILE" ip link set d0p up; }; then
	t_fail hidden_topology "cannot make a bind-mounted namespace with a veth pair"
	t_done
fi
HINO=$(stat -L -c %i "$NSFILE")
HDIR=/sys/fs/bpf/fwctl/ns$HINO
check hidden_block fw -n "$NSFILE" block icmp d0
assert hidden_state_made "no state directory $HDIR" test -d "$HDIR"
lease_ino() {
	bpftool -j link show pinned "$HDIR/fw_lease" 2>/dev/null | jq -r '.netns_ino // empty'
}
assert hidden_lease "no lease in $HDIR naming namespace $HINO" test "$(lease_ino)" == "$HINO"

# Another caller whose /run/netns is empty (a chroot, a pod): it cannot see
# the hidden namespace, which proves nothing. /sys/fs/bpf is its own mount
# and stays visible.
nsenter --net="/run/netns/$OTHER" sleep 60 &
OTHER_PID=$!
t_bg "$OTHER_PID"
other_ns_ok() {
	T_DETAIL="pid $OTHER_PID is not in $OTHER"
	for ((i = 0; i < 20; i++)); do
		[ "$(stat -L -c %i "/proc/$OTHER_PID/ns/net")" == "$(stat -L -c %i "/run/netns/$OTHER")" ] &&
			return 0
		sleep 0.05
	done
	return 1
}
assert other_ns_pid "cannot hold a process in $OTHER" other_ns_ok
[ "$T_FAILS" -eq 0 ] || t_done
run unshare --mount --propagation private sh -c \
	'mount -t tmpfs tmpfs /run/netns && [ -z "$(ls -A /run/netns)" ] &&
	 "$1" -v -n "pid:$2" detach --all' sh "$FWCTL" "$OTHER_PID"
assert blind_detach_ran "detach --all from an empty /run/netns failed" test "$RC" -eq 0
assert hidden_state_kept "another caller's detach --all removed live state: $ERR" test -d "$HDIR"
run fw -n "$NSFILE" -j status
hidden_still_blocked() {
	T_DETAIL=$(last_run)
	[ "$RC" -eq 0 ] && [ "$(blocked_numbers "$OUT" d0 in)" == 1 ] &&
		[ "$(blocked_numbers "$OUT" d0 out)" == 1 ]
}
assert hidden_status_intact "the hidden namespace's status lost icmp on d0" hidden_still_blocked

# Really gone: the lease reads 0, and the next detach --all elsewhere cleans up.
umount "$NSFILE"
for ((i = 0; i < 50; i++)); do
	[ "$(lease_ino)" == 0 ] && break
	sleep 0.1
done
assert destroyed_lease_zero "the lease of a destroyed namespace reads '$(lease_ino)'" test "$(lease_ino)" == 0
run fw -v -n "$OTHER" detach --all
assert destroyed_state_removed "state of a destroyed namespace kept after detach --all: $ERR" \
	test ! -e "$HDIR"

# --- D10: a pinned map of another shape ------------------------------------------

# lo is refused as a target (it covers nothing): a veth of its own.
ip -n "$OTHER" link add h0 type veth peer name h0p
check d10_block fw -n "$OTHER" block icmp h0
DIR=$(state_dir "$OTHER")
META_PIN=$DIR/fw_meta
ASIDE=/sys/fs/bpf/fwtest_meta_aside_$$
if mv "$META_PIN" "$ASIDE" &&
	bpftool map create "$META_PIN" type array key 4 value 65536 entries 1 name fw_meta; then
	rules_before=$(bpftool -j map lookup pinned "$DIR/fw_rules" key 0 0 0 0 | jq -c .value)
	for cmd in status save "block udp h0"; do
		# shellcheck disable=SC2086 # the command's words
		run fw -n "$OTHER" $cmd
		one_line_refusal() {
			T_DETAIL=$(last_run)
			[ "$RC" -eq 1 ] && [ "$(wc -l <<<"$ERR")" -eq 1 ] &&
				grep -q "map fw_meta is ARRAY key 4 value 65536 max 1, expected ARRAY key 4 value 24 max 1" <<<"$ERR"
		}
		assert "d10_${cmd%% *}_refused" "want exit 1 and one line naming the map" one_line_refusal
	done
	assert d10_rules_untouched "the refused commands changed fw_rules" \
		test "$(bpftool -j map lookup pinned "$DIR/fw_rules" key 0 0 0 0 | jq -c .value)" == "$rules_before"
	rm -f "$META_PIN" && mv "$ASIDE" "$META_PIN" && ASIDE=
else
	t_fail d10_setup "cannot put a 64 KiB fw_meta in place of $META_PIN"
fi
check d10_restored_status fw -n "$OTHER" status
check d10_detach fw -n "$OTHER" detach --all

# --- D8, D9: a hung, a slow and a lying Docker -----------------------------------

topo_up hos 3
# fakedocker.py SOCK MODE PID: ok answers at once, slow after 0.5 s, hung
# never (it accepts and holds the connection).
cat >"$T_TMP/fakedocker.py" <<'PY'
import json, os, re, socket, sys, threading, time
path, mode, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    os.unlink(path)
except FileNotFoundError:
    pass
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(64)
held = []
def serve(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return
        req += d
    if mode == "hung":
        held.append(c)
        return
    if mode == "slow":
        time.sleep(0.5)
    p = req.split(b" ")[1].decode()
    m = re.match(r"^/(v[0-9.]+/)?containers/([^/]+)/json$", p)
    if m:
        body = {"Id": "f" * 64, "Name": "/" + m.group(2),
                "State": {"Pid": pid, "Running": True}}
    elif re.match(r"^/(v[0-9.]+/)?containers/json", p):
        body = [{"Names": ["/web%d" % i]} for i in range(1, 6)]
    else:
        body = {"message": "no such thing"}
    data = json.dumps(body).encode()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
    c.close()
deadline = time.time() + 300
srv.settimeout(1)
while time.time() < deadline:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# A process in c1 and one in c2, for the fake Docker's Pids.
nsenter --net="/run/netns/${TOPO_PREFIX}c1" sleep 300 &
C1PID=$!
t_bg "$C1PID"
nsenter --net="/run/netns/${TOPO_PREFIX}c2" sleep 300 &
C2PID=$!
t_bg "$C2PID"
fake_docker() { # NAME MODE PID
	python3 "$T_TMP/fakedocker.py" "$T_TMP/$1.sock" "$2" "$3" >/dev/null 2>&1 &
	t_bg $!
}
fake_docker ok ok "$C1PID"
fake_docker hung hung "$C1PID"
fake_docker slow slow "$C1PID"
fake_docker bigpid ok $((4294967296 + C2PID))
for ((i = 0; i < 50; i++)); do
	[ -S "$T_TMP/ok.sock" ] && [ -S "$T_TMP/hung.sock" ] && [ -S "$T_TMP/slow.sock" ] &&
		[ -S "$T_TMP/bigpid.sock" ] && break
	sleep 0.1
done

ok_rules() {
	for i in 1 2 3 4 5; do
		DOCKER_HOST=unix://$T_TMP/ok.sock "$FWCTL" -n "$H" block icmp "container:web$i" || return 1
	done
}
assert docker_rules_made "cannot make 5 container rules with an answering Docker" ok_rules
run env DOCKER_HOST="unix://$T_TMP/ok.sock" "$FWCTL" -n "$H" -j status
assert docker_rules_on_c1 "container:web1..5 did not land on vethc1" \
	test "$(blocked_numbers "$OUT" vethc1 out)" == 1

# ms CMD...: runs CMD like run(), its wall time in MS.
ms() {
	local t0
	t0=$(date +%s%N)
	run "$@"
	MS=$((($(date +%s%N) - t0) / 1000000))
}
ms env DOCKER_HOST="unix://$T_TMP/hung.sock" "$FWCTL" -n "$H" block udp vethc3
HUNG_MS=$MS
echo "# hung Docker: block udp vethc3 with 5 container rules took $HUNG_MS ms (rc $RC)" >&2
hung_bounded() {
	T_DETAIL="took $HUNG_MS ms"$'\n'$(last_run)
	[ "$RC" -eq 0 ] && [ "$HUNG_MS" -lt 5000 ]
}
assert hung_docker_bounded "a hung Docker held up a rule on a plain port" hung_bounded
hung_one_warning() {
	T_DETAIL=$(last_run)
	[ "$(grep -c "cannot reach Docker" <<<"$ERR")" -le 1 ] ||
		[ "$(grep -c "container targets are not resolved" <<<"$ERR")" -eq 1 ]
}
assert hung_docker_warned_once "more than one warning about the hung Docker" hung_one_warning
run env DOCKER_HOST="unix://$T_TMP/ok.sock" "$FWCTL" -n "$H" -j status
assert hung_rule_stored "udp not blocked on vethc3 after the block under a hung Docker" \
	test "$(blocked_numbers "$OUT" vethc3 out)" == 17
# Enforced, not only stored: UDP from the host side to c3 is dropped.
in_ns "${TOPO_PREFIX}c3" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        d, p = s.recvfrom(2048)
        s.sendto(d, p)
    except socket.timeout:
        pass
' >/dev/null 2>&1 &
t_bg $!
udp_echoed() {
	in_ns "$H" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.35)
for _ in range(3):
    s.sendto(b"fwctl", (sys.argv[1], 9999))
    try:
        if s.recv(64) == b"fwctl":
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
' "$1"
}
sleep 0.3
udp_dropped() {
	T_DETAIL="UDP from $H to $1 was echoed"
	! udp_echoed "$1"
}
assert hung_rule_enforced "UDP to c3 passes after block udp vethc3" udp_dropped "${C_IP4[3]}"
run env DOCKER_HOST="unix://$T_TMP/ok.sock" "$FWCTL" -n "$H" unblock udp vethc3
assert udp_unblocked_echo "UDP to c3 still dropped after unblock (probe broken?)" udp_echoed "${C_IP4[3]}"

ms env DOCKER_HOST="unix://$T_TMP/slow.sock" "$FWCTL" -n "$H" block udp vethc3
SLOW_MS=$MS
echo "# slow Docker (0.5 s): block udp vethc3 with 5 container rules took $SLOW_MS ms (rc $RC)" >&2
slow_bounded() {
	T_DETAIL="took $SLOW_MS ms"$'\n'$(last_run)
	[ "$RC" -eq 0 ] && [ "$SLOW_MS" -lt 5000 ]
}
assert slow_docker_bounded "a slow Docker held up a rule on a plain port" slow_bounded

# D9: Pid 2^32 + c2's would be c2's after truncation to 32 bits.
run env DOCKER_HOST="unix://$T_TMP/bigpid.sock" "$FWCTL" -n "$H" block tcp container:evil
bigpid_refused() {
	T_DETAIL=$(last_run)
	[ "$RC" -eq 1 ] && grep -q "Pid $((4294967296 + C2PID)) .*out of range" <<<"$ERR"
}
assert bigpid_refused "a 33-bit Docker Pid was not refused as out of range" bigpid_refused
run env DOCKER_HOST="unix://$T_TMP/ok.sock" "$FWCTL" -n "$H" -j status
bigpid_not_on_c2() {
	T_DETAIL=$OUT
	[ -z "$(blocked_numbers "$OUT" vethc2 in)" ] && [ -z "$(blocked_numbers "$OUT" vethc2 out)" ]
}
assert bigpid_not_on_c2 "a rule landed on c2's port through a truncated Pid" bigpid_not_on_c2

run env DOCKER_HOST="unix://$T_TMP/ok.sock" "$FWCTL" -n "$H" detach --all
t_done
