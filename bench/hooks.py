# SPDX-License-Identifier: GPL-2.0
"""hooks.py - what bench/exposure.sh and bench/drift.sh ask the kernel over
netlink and bpf(2): which programs sit on an interface's hooks. Imported by
their python observers (sys.path holds bench/); never run.
"""
import ctypes
import os
import socket
import struct

RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWTFILTER, RTM_GETTFILTER = 44, 46
NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP = 3, 2, 0x300
IFLA_IFNAME, IFLA_MASTER, IFLA_XDP, IFLA_XDP_ATTACHED = 3, 10, 43, 2
BPF_PROG_QUERY, BPF_TCX_INGRESS, BPF_TCX_EGRESS = 16, 46, 47
CLSACT_PARENT = {BPF_TCX_INGRESS: 0xFFFFFFF2, BPF_TCX_EGRESS: 0xFFFFFFF3}
SYS_bpf = 321 if os.uname().machine == "x86_64" else 280

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
_seq = 0


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


def request(msg_type, flags, body):
    """Sends one request; returns every message of the answer as (type, bytes)."""
    global _seq
    _seq += 1
    _nl.send(struct.pack("IHHII", 16 + len(body), msg_type, 1 | flags, _seq, 0) + body)
    out = []
    while True:
        buf = _nl.recv(1 << 16)
        if not buf:
            return out
        off = 0
        while off + 16 <= len(buf):
            mlen, mtype, _, mseq = struct.unpack_from("IHHI", buf, off)
            if mlen < 16:
                return out
            if mseq == _seq:
                if mtype in (NLMSG_DONE, NLMSG_ERROR):
                    return out
                out.append((mtype, buf[off:off + mlen]))
                if not flags & NLM_F_DUMP:
                    return out
            off += (mlen + 3) & ~3


def tcx_count(ifindex, attach_type):
    """Programs on a TCX hook; -errno when the kernel cannot tell."""
    attr = ctypes.create_string_buffer(64)
    struct.pack_into("II", attr, 0, ifindex, attach_type)
    if _libc.syscall(SYS_bpf, BPF_PROG_QUERY, attr, 64) < 0:
        return -ctypes.get_errno()
    return struct.unpack_from("I", attr, 24)[0]


def clsbpf_count(ifindex, attach_type):
    """TC filters on the clsact hook (fwctl's default is cls_bpf)."""
    body = struct.pack("BxxxiIII", 0, ifindex, 0, CLSACT_PARENT[attach_type], 0)
    return sum(1 for t, _ in request(RTM_GETTFILTER, NLM_F_DUMP, body) if t == RTM_NEWTFILTER)


def tc_hook(ifindex, attach_type):
    """What runs on a TC hook: "tcx", "cls_bpf" or None."""
    if tcx_count(ifindex, attach_type) > 0:
        return "tcx"
    return "cls_bpf" if clsbpf_count(ifindex, attach_type) > 0 else None


def xdp_attached(ifindex):
    body = struct.pack("BxHiII", 0, 0, ifindex, 0, 0)
    for t, m in request(RTM_GETLINK, 0, body):
        if t == RTM_NEWLINK:
            x = attrs(m, 32, len(m)).get(IFLA_XDP)
            if x is not None:
                v = attrs(x, 0, len(x)).get(IFLA_XDP_ATTACHED)
                return bool(v and v[0])
    return False
