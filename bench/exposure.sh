#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# exposure.sh - the exposure window of `fwctl watch`: how long a new port on a
# covered bridge carries traffic before its rules are enforced. Prints the
# figures; asserts nothing (the goal is a median under 20 ms).
#
#   fwbexphost: docker0 (block icmp) --+-- vethc1  == eth0 (fwbexpc1)
#                fwctl watch           +-- ...        (one port at a time)
#                observer              +-- vethcN  == eth0 (fwbexpcN)
#
# The observer (python3, in the host namespace) creates each port the way
# Docker does (veth pair into the container's namespace, master docker0, up)
# and timestamps, on one monotonic clock:
#   created   the RTM_NEWLINK that announces the port (the kernel's own event)
#   joined    the first RTM_NEWLINK that shows it on docker0
#   enforced  the first moment both directions have a program on it: TC
#             egress (a cls_bpf filter, RTM_GETTFILTER, or a TCX link,
#             BPF_PROG_QUERY) and TC ingress or XDP (IFLA_XDP);
#             fwctl writes the policy before it attaches, so attached means
#             enforced
# polling every 0.2 ms. Ports are added one at a time, each after the last is
# enforced (or 5 s passed), so every figure is one port's own window.
#
# usage: bench/exposure.sh [-n PORTS] [-v]     (default 60: >= 50 for figures;
#        FWCTL=path picks the binary, default build/fwctl; -v: every port)
set -uo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
P=fwbexp
HOST=${P}host
PORTS=60
VERBOSE=0

while getopts 'n:v' opt; do
	case $opt in
	n) PORTS=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) sed -n 's/^# usage: /usage: /p; s/^#        FWCTL/       FWCTL/p' "$0" >&2; exit 2 ;;
	esac
done
B_TAG=exposure
if ! [[ $PORTS =~ ^[0-9]+$ ]] || ((PORTS < 1 || PORTS > 250)); then
	b_host_die "-n wants 1-250 ports"
fi

# The containers' namespaces go with the host's.
b_host_extra_down() {
	local i
	for ((i = 1; i <= PORTS; i++)); do
		[ -e "/run/netns/${P}c$i" ] && echo "netns del ${P}c$i"
	done >"$B_HTMP/down.batch"
	[ -s "$B_HTMP/down.batch" ] && ip -force -b "$B_HTMP/down.batch" >/dev/null 2>&1
	return 0
}
b_host_init exposure "$HOST"
TMP=$B_HTMP

# The namespaces exist before the ports, as a container's does before Docker
# wires it: only the port's own creation is timed.
{
	echo "netns add $HOST"
	for ((i = 1; i <= PORTS; i++)); do
		echo "netns add ${P}c$i"
	done
} >"$TMP/up.batch"
ip -b "$TMP/up.batch" >/dev/null || b_host_die "cannot add the namespaces"
ip -n "$HOST" link add docker0 type bridge stp_state 0 forward_delay 0 ||
	b_host_die "cannot add docker0"
ip -n "$HOST" link set docker0 up || b_host_die "cannot bring docker0 up"
"$FWCTL" -q -n "$HOST" block icmp docker0 || b_host_die "fwctl block failed"
b_watch_start

cat >"$TMP/observe.py" <<'EOF'
# One port at a time: create it, then watch for its join and its programs.
import socket, struct, subprocess, sys, time
from hooks import (BPF_TCX_EGRESS, BPF_TCX_INGRESS, IFLA_IFNAME, IFLA_MASTER, clsbpf_count,
                   links, tc_hook, tcx_count, xdp_attached)

ports, prefix, verbose = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
POLL_S, TIMEOUT_S = 0.0002, 5.0

events = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
events.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
events.bind((0, 1))  # RTMGRP_LINK
events.setblocking(False)
bridge = socket.if_nametoindex("docker0")
if tcx_count(bridge, BPF_TCX_EGRESS) < 0 or clsbpf_count(bridge, BPF_TCX_EGRESS) < 0:
    sys.exit("cannot query TC hooks here: the window is not observable this way")

batch = subprocess.Popen(["ip", "-b", "-"], stdin=subprocess.PIPE, text=True)
rows = []
for i in range(1, ports + 1):
    name = "vethc%d" % i
    t = {"created": None, "joined": None, "enforced": None, "ingress": "-"}
    ifindex = 0
    time.sleep(0.05)  # let watch go idle: each port is timed on its own
    batch.stdin.write("link add %s type veth peer name eth0 netns %sc%d\n"
                      "link set %s master docker0 up\n" % (name, prefix, i, name))
    batch.stdin.flush()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and t["enforced"] is None:
        try:
            while True:
                buf = events.recv(65536)
                now = time.monotonic()
                for index, a in links(buf):
                    if a.get(IFLA_IFNAME, b"").rstrip(b"\0").decode() != name:
                        continue
                    ifindex = index
                    t["created"] = t["created"] or now
                    m = a.get(IFLA_MASTER)
                    if m and struct.unpack("I", m[:4])[0] == bridge:
                        t["joined"] = t["joined"] or now
        except BlockingIOError:
            pass
        if ifindex and tc_hook(ifindex, BPF_TCX_EGRESS):
            t["ingress"] = tc_hook(ifindex, BPF_TCX_INGRESS) or "-"
            if t["ingress"] == "-" and xdp_attached(ifindex):
                t["ingress"] = "xdp"
            if t["ingress"] != "-":
                t["enforced"] = time.monotonic()
                break
        time.sleep(POLL_S)
    rows.append(t)
    if verbose:
        ms = lambda a, b: "%.1f" % ((t[b] - t[a]) * 1e3) if t[a] and t[b] else "-"
        print("  %-9s created->joined %6s ms  created->enforced %7s ms  ingress %s"
              % (name, ms("created", "joined"), ms("created", "enforced"), t["ingress"]))
batch.stdin.close()
batch.wait()


def summary(label, a, b):
    v = sorted((r[b] - r[a]) * 1e3 for r in rows if r[a] and r[b])
    if not v:
        print("%-34s no data" % label)
        return
    med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
    p90 = v[min(len(v) - 1, int(0.9 * len(v)))]
    print("%-34s median %7.1f ms  p90 %7.1f ms  max %7.1f ms  min %6.1f ms  (n=%d)"
          % (label, med, p90, v[-1], v[0], len(v)))


missed = sum(1 for r in rows if not r["enforced"])
kinds = {}
for r in rows:
    kinds[r["ingress"]] = kinds.get(r["ingress"], 0) + 1
print("ports %d, enforced within %.0f s: %d; ingress hook: %s"
      % (len(rows), TIMEOUT_S, len(rows) - missed,
         ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
summary("exposure (created -> enforced)", "created", "enforced")
summary("from joining docker0", "joined", "enforced")
summary("created -> joined (ip itself)", "created", "joined")
print("goal: median created -> enforced under 20 ms")
EOF

echo "== exposure window: port created -> its rules enforced, fwctl watch, $PORTS ports =="
b_observe "$TMP/observe.py" "$PORTS" "$P" "$VERBOSE"
status=$?
b_watch_check || status=1
exit $status
