#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# drift.sh - how long a hook removed behind fwctl's back stays missing while
# `fwctl watch` runs (issue 13: "watch repairs drift within 1 s").
#
#   fwbdrifthost: docker0 (bridge), `fwctl block icmp vethcI` on every port,
#                 `fwctl watch`
#                   +-- vethc1 <=> vethp1
#                   ...
#                   +-- vethcN <=> vethpN    (the peers stay in the namespace:
#                                             only the ports are covered)
#
# K times, on a random port, either its clsact qdisc is deleted
# (`tc qdisc del dev vethcI clsact`) or its XDP program is taken off
# (`ip link set dev vethcI xdp off`), then the kernel is polled every 0.5 ms
# over netlink (RTM_GETTFILTER dump of clsact egress, BPF_PROG_QUERY for TCX,
# RTM_GETLINK for IFLA_XDP) until the hook is back. The window is timed on
# the monotonic clock from the drift command's return (the hook is gone by
# then; the figure is short of the true one by that process's exit, well
# under 1 ms) to the first poll that sees the hook again. Events are 0.2 s
# apart, so each figure is one repair's own; a hook not back within 3 s
# counts as missed.
#
# usage: bench/drift.sh [-n PORTS] [-k EVENTS] [-v]   (default 20 ports, 20
#        events; FWCTL=path picks the binary, default build/fwctl; -v: every event)
set -uo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HOST=fwbdrifthost
PORTS=20
EVENTS=20
VERBOSE=0

while getopts 'n:k:v' opt; do
	case $opt in
	n) PORTS=$OPTARG ;;
	k) EVENTS=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) sed -n 's/^# usage: /usage: /p; s/^#        events; FWCTL/       events; FWCTL/p' "$0" >&2; exit 2 ;;
	esac
done
B_TAG=drift
if ! [[ $PORTS =~ ^[0-9]+$ ]] || ((PORTS < 1 || PORTS > 250)); then
	b_host_die "-n wants 1-250 ports"
fi
if ! [[ $EVENTS =~ ^[0-9]+$ ]] || ((EVENTS < 1 || EVENTS > 1000)); then
	b_host_die "-k wants 1-1000 events"
fi
b_host_init drift "$HOST"
TMP=$B_HTMP

ip netns add "$HOST" || b_host_die "cannot add $HOST"
{
	echo "link set lo up"
	echo "link add docker0 type bridge stp_state 0 forward_delay 0"
	echo "link set docker0 up"
	for ((i = 1; i <= PORTS; i++)); do
		echo "link add vethc$i type veth peer name vethp$i"
		echo "link set vethp$i up"
		echo "link set vethc$i master docker0 up"
	done
} >"$TMP/up.batch"
ip -n "$HOST" -b "$TMP/up.batch" >/dev/null || b_host_die "cannot build the ports"
# Port rules, not a bridge rule: the kernel refuses any XDP change on a port
# under a bridge that has XDP, so `xdp off` on a port could not drift.
for ((i = 1; i <= PORTS; i++)); do
	"$FWCTL" -q -n "$HOST" block icmp "vethc$i" || b_host_die "fwctl block on vethc$i failed"
done
b_watch_start

cat >"$TMP/drift.py" <<'EOF'
# Take a hook away, time until it is back; K times, random port and kind.
import os, random, socket, subprocess, sys, time
from hooks import BPF_TCX_EGRESS, tc_hook, xdp_attached

ports, events, verbose = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
POLL_S, TIMEOUT_S, GAP_S = 0.0005, 3.0, 0.2


def egress_hook(ifindex):
    """A program on TC egress: a TCX link or a cls_bpf filter under clsact."""
    return tc_hook(ifindex, BPF_TCX_EGRESS) is not None


KINDS = {
    "clsact-del": (["tc", "qdisc", "del", "dev", "{}", "clsact"], egress_hook),
    "xdp-off": (["ip", "link", "set", "dev", "{}", "xdp", "off"], xdp_attached),
}
rng = random.Random(int(os.environ.get("DRIFT_SEED", "0")) or None)
rows = []
for k in range(events):
    i = rng.randint(1, ports)
    kind = rng.choice(sorted(KINDS))
    name = "vethc%d" % i
    ifindex = socket.if_nametoindex(name)
    cmd, present = KINDS[kind]
    if not present(ifindex):  # a miss of an earlier event: wait for it first
        end = time.monotonic() + TIMEOUT_S
        while not present(ifindex) and time.monotonic() < end:
            time.sleep(POLL_S)
    time.sleep(GAP_S)
    subprocess.run([a.format(name) for a in cmd], check=True)
    t0 = time.monotonic()
    ms = None
    while time.monotonic() - t0 < TIMEOUT_S:
        if present(ifindex):
            ms = (time.monotonic() - t0) * 1e3
            break
        time.sleep(POLL_S)
    rows.append((kind, ms))
    if verbose:
        print("  %-9s %-10s restored %8s ms" % (name, kind, "-" if ms is None else "%.1f" % ms))


def summary(label, v):
    v = sorted(x for x in v if x is not None)
    if not v:
        print("%-30s no data" % label)
        return
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    p90 = v[min(n - 1, int(0.9 * n))]
    print("%-30s median %7.1f ms  p90 %7.1f ms  max %7.1f ms  min %6.1f ms  (n=%d)"
          % (label, med, p90, v[-1], v[0], n))


missed = sum(1 for _, ms in rows if ms is None)
print("events %d on %d ports, restored within %.0f s: %d, missed %d"
      % (len(rows), ports, TIMEOUT_S, len(rows) - missed, missed))
summary("repair (drift -> restored)", [ms for _, ms in rows])
for kind in sorted(KINDS):
    summary("  " + kind, [ms for kd, ms in rows if kd == kind])
print("goal: every hook back within 1000 ms")
EOF

echo "== drift repair: a hook taken away -> back, fwctl watch, $PORTS ports, $EVENTS events =="
b_observe "$TMP/drift.py" "$PORTS" "$EVENTS" "$VERBOSE"
status=$?
b_watch_check || status=1
echo "watch log: $(wc -l <"$TMP/watch.log") lines"
exit $status
