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

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FWCTL=${FWCTL:-$ROOT/build/fwctl}
[[ $FWCTL == /* ]] || FWCTL=$ROOT/$FWCTL
P=fwbexp
HOST=${P}host
PORTS=60
VERBOSE=0

die() {
	echo "exposure: $*" >&2
	exit 1
}

while getopts 'n:v' opt; do
	case $opt in
	n) PORTS=$OPTARG ;;
	v) VERBOSE=1 ;;
	*) sed -n 's/^# usage: /usage: /p; s/^#        FWCTL/       FWCTL/p' "$0" >&2; exit 2 ;;
	esac
done
if ! [[ $PORTS =~ ^[0-9]+$ ]] || ((PORTS < 1 || PORTS > 250)); then
	die "-n wants 1-250 ports"
fi
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, BPF programs)"
[ -x "$FWCTL" ] || die "$FWCTL not built (make)"
command -v python3 >/dev/null || die "needs python3"

TMP=$(mktemp -d /tmp/fwctl-exposure.XXXXXX)
WATCH=

cleanup() {
	local i
	if [ -n "$WATCH" ]; then
		kill "$WATCH" 2>/dev/null
		wait "$WATCH" 2>/dev/null
	fi
	[ -e "/run/netns/$HOST" ] && timeout 20 "$FWCTL" -q -n "$HOST" detach --all >/dev/null 2>&1
	{
		for ((i = 1; i <= PORTS; i++)); do
			[ -e "/run/netns/${P}c$i" ] && echo "netns del ${P}c$i"
		done
		[ -e "/run/netns/$HOST" ] && echo "netns del $HOST"
	} >"$TMP/down.batch"
	[ -s "$TMP/down.batch" ] && ip -force -b "$TMP/down.batch" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A leftover of an interrupted run would skew the first ports.
[ -e "/run/netns/$HOST" ] && cleanup && TMP=$(mktemp -d /tmp/fwctl-exposure.XXXXXX)

# The namespaces exist before the ports, as a container's does before Docker
# wires it: only the port's own creation is timed.
{
	echo "netns add $HOST"
	for ((i = 1; i <= PORTS; i++)); do
		echo "netns add ${P}c$i"
	done
} >"$TMP/up.batch"
ip -b "$TMP/up.batch" >/dev/null || die "cannot add the namespaces"
ip -n "$HOST" link add docker0 type bridge stp_state 0 forward_delay 0 ||
	die "cannot add docker0"
ip -n "$HOST" link set docker0 up || die "cannot bring docker0 up"
"$FWCTL" -q -n "$HOST" block icmp docker0 || die "fwctl block failed"
"$FWCTL" -n "$HOST" watch >"$TMP/watch.log" 2>&1 &
WATCH=$!
sleep 0.5
kill -0 "$WATCH" 2>/dev/null || die "fwctl watch exited: $(cat "$TMP/watch.log")"

cat >"$TMP/observe.py" <<'EOF'
# One port at a time: create it, then watch for its join and its programs.
import ctypes, os, socket, struct, subprocess, sys, time

ports, prefix, verbose = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
RTM_NEWLINK, RTM_GETLINK = 16, 18
IFLA_IFNAME, IFLA_MASTER, IFLA_XDP, IFLA_XDP_ATTACHED = 3, 10, 43, 2
BPF_PROG_QUERY, BPF_TCX_INGRESS, BPF_TCX_EGRESS = 16, 46, 47
RTM_NEWTFILTER, RTM_GETTFILTER, NLMSG_DONE, NLM_F_DUMP = 44, 46, 3, 0x300
CLSACT_PARENT = {BPF_TCX_INGRESS: 0xFFFFFFF2, BPF_TCX_EGRESS: 0xFFFFFFF3}
SYS_bpf = 321 if os.uname().machine == "x86_64" else 280
POLL_S, TIMEOUT_S = 0.0002, 5.0

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def attrs(buf, off, end):
    """rtattrs in buf[off:end] as {type: payload}."""
    out = {}
    while off + 4 <= end:
        alen, atype = struct.unpack_from("HH", buf, off)
        if alen < 4:
            break
        out[atype & 0x3FFF] = buf[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out


def links(buf):
    """(ifindex, attrs) of every RTM_NEWLINK in a netlink datagram."""
    off = 0
    while off + 16 <= len(buf):
        mlen, mtype = struct.unpack_from("IH", buf, off)
        if mlen < 16:
            break
        if mtype == RTM_NEWLINK:
            index = struct.unpack_from("i", buf, off + 20)[0]
            yield index, attrs(buf, off + 32, off + mlen)
        off += (mlen + 3) & ~3


def tcx_count(ifindex, attach_type):
    attr = ctypes.create_string_buffer(64)
    struct.pack_into("II", attr, 0, ifindex, attach_type)
    if libc.syscall(SYS_bpf, BPF_PROG_QUERY, attr, 64) < 0:
        return -ctypes.get_errno()
    return struct.unpack_from("I", attr, 24)[0]


getter = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)


def clsbpf_count(ifindex, attach_type):
    """TC filters on the clsact hook (fwctl's default is cls_bpf)."""
    req = struct.pack("IHHII", 36, RTM_GETTFILTER, 1 | NLM_F_DUMP, 2, 0) + \
        struct.pack("BxxxiIII", 0, ifindex, 0, CLSACT_PARENT[attach_type], 0)
    getter.send(req)
    n = 0
    while True:
        buf = getter.recv(65536)
        off = 0
        while off + 16 <= len(buf):
            mlen, mtype = struct.unpack_from("IH", buf, off)
            if mtype == NLMSG_DONE or mlen < 16:
                return n
            n += mtype == RTM_NEWTFILTER
            off += (mlen + 3) & ~3
        if not buf:
            return n


def tc_hook(ifindex, attach_type):
    """What runs on a TC hook: "tcx", "cls_bpf" or None."""
    if tcx_count(ifindex, attach_type) > 0:
        return "tcx"
    return "cls_bpf" if clsbpf_count(ifindex, attach_type) > 0 else None


def xdp_attached(ifindex):
    req = struct.pack("IHHII", 32, RTM_GETLINK, 1, 1, 0) + struct.pack("BxHiII", 0, 0, ifindex, 0, 0)
    getter.send(req)
    for _, a in links(getter.recv(65536)):
        x = a.get(IFLA_XDP)
        if x is not None:
            v = attrs(x, 0, len(x)).get(IFLA_XDP_ATTACHED)
            return bool(v and v[0])
    return False


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
nsenter --net="/run/netns/$HOST" python3 "$TMP/observe.py" "$PORTS" "$P" "$VERBOSE"
status=$?
kill -0 "$WATCH" 2>/dev/null || { echo "exposure: fwctl watch died:" >&2; tail -5 "$TMP/watch.log" >&2; status=1; }
exit $status
