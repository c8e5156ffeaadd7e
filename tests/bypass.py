#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""bypass.py - the frames of tests/e2e_bypass.sh: one class per way a
blocked protocol might hide from a parser, sent with scapy (Debian's
python3-scapy) from one end of a veth pair, and a plain AF_PACKET sniffer
for the other end.

  bypass.py classes
      one line per class: NAME BLOCK COUNTED FRAMES_PER_ROUND
      (BLOCK: the fwctl rule that must drop it; COUNTED: the protocol the
      drops are counted under in `fwctl -j stats`)
  bypass.py send IFACE DST_MAC CLASS ROUNDS TOKEN
      sends ROUNDS rounds of CLASS; every frame carries "FWBP<TOKEN>;" in
      its payload; prints "sent FRAMES BYTES"; then sends one non-IP frame
      (ethertype 0x88b5) marked TOKEN.sync, not counted in FRAMES
  bypass.py sniff IFACE OUTFILE SECONDS
      writes "ready" to OUTFILE, then one line per frame IFACE receives
      that carries a marker: the marker's TOKEN. Ends after SECONDS.

Run it with nsenter --net=/run/netns/NS (not ip netns exec). Addresses
default to the ones e2e_bypass.sh assigns; --src4 etc. override them.
"""
import argparse
import errno
import re
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def scapy():
    # Only the layers used: a full scapy.all import costs a second a call.
    # Its routing table's complaints (lo has no address) are noise here.
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.l2 import Ether, Dot1Q, Dot1AD
    from scapy.layers.inet import IP, ICMP, UDP, IPOption_RR, IPOption_NOP
    from scapy.layers.inet6 import (IPv6, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                                    IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                                    ICMPv6EchoRequest)
    from scapy.layers.ipsec import AH
    from scapy.packet import Raw
    return locals()


def marker(token, i):
    # Padded to a multiple of 8 so fragment offsets stay whole.
    m = b"FWBP%s;%d;" % (token.encode(), i)
    return m + b"." * (-len(m) % 8)


def frames(cls, a, token, i):
    """The frames of one round of cls, as bytes."""
    s = scapy()
    Ether, IP, IPv6, UDP, Raw = s["Ether"], s["IP"], s["IPv6"], s["UDP"], s["Raw"]
    eth = Ether(src=a.src_mac, dst=a.dst_mac)
    ip4 = IP(src=a.src4, dst=a.dst4, ttl=64)
    ip6 = IPv6(src=a.src6, dst=a.dst6, hlim=64)
    m = marker(token, i)
    udp = UDP(sport=40000 + i % 1000, dport=9)

    if cls == "vlan-icmp":
        return [eth / s["Dot1Q"](vlan=10) / ip4 / s["ICMP"](id=7, seq=i) / m]
    if cls == "qinq-icmp":
        return [eth / s["Dot1AD"](vlan=20) / s["Dot1Q"](vlan=10) / ip4 /
                s["ICMP"](id=7, seq=i) / m]
    if cls == "vlan-ipv6-icmp":
        return [eth / s["Dot1Q"](vlan=10) / ip6 / s["ICMPv6EchoRequest"](id=7, seq=i) / m]
    if cls == "ipv4-options-udp":
        # 40 bytes of options (IHL 15): record route, then NOPs.
        opts = [s["IPOption_RR"](routers=["0.0.0.0"] * 9), s["IPOption_NOP"]()]
        return [eth / IP(src=a.src4, dst=a.dst4, options=opts) / udp / m]
    if cls == "ipv4-frags-udp":
        # One datagram's first, middle and last fragment, and a fourth that
        # overlaps the first; each carries the marker.
        body = bytes(udp / (m * 6))
        ident = 0x4000 + i
        frag = lambda off, mf, data: (eth / IP(src=a.src4, dst=a.dst4, id=ident, proto=17,
                                               frag=off // 8, flags="MF" if mf else 0) /
                                      Raw(data))
        return [frag(0, True, body[:8] + m + m),
                frag(8 + 2 * len(m), True, m + m),
                frag(8 + 4 * len(m), False, m),
                frag(8, True, m + m + m)]
    if cls == "ipv6-chain-udp":
        # As many extension headers as the parser walks (FW_MAX_EXTHDR, 6).
        return [eth / ip6 / s["IPv6ExtHdrHopByHop"]() / s["IPv6ExtHdrDestOpt"]() /
                s["IPv6ExtHdrRouting"]() / s["IPv6ExtHdrFragment"](id=i, m=0) /
                s["AH"](nh=60, payloadlen=4, spi=1, seq=i, icv=b"\0" * 12) /
                s["IPv6ExtHdrDestOpt"]() / udp / m]
    if cls == "ipv6-overlong-udp":
        # One more than the parser walks: it cannot tell the protocol.
        chain = s["IPv6ExtHdrHopByHop"]()
        for _ in range(6):
            chain = chain / s["IPv6ExtHdrDestOpt"]()
        return [eth / ip6 / chain / udp / m]
    if cls == "ipv6-frags-udp":
        body = bytes(udp / (m * 4))
        fh = lambda off, mf: s["IPv6ExtHdrFragment"](nh=17, id=0x7000 + i, offset=off // 8, m=mf)
        return [eth / ip6 / fh(0, 1) / Raw(body[:8] + m + m),
                eth / ip6 / fh(8 + 2 * len(m), 0) / Raw(m + m)]
    if cls == "ipv4-ah":
        return [eth / IP(src=a.src4, dst=a.dst4) /
                s["AH"](nh=17, payloadlen=4, spi=1, seq=i, icv=b"\0" * 12) / udp / m]
    if cls == "ipv6-ah-udp":
        return [eth / ip6 / s["AH"](nh=17, payloadlen=4, spi=1, seq=i, icv=b"\0" * 12) /
                udp / m]
    if cls == "icmp-echo":
        return [eth / ip4 / s["ICMP"](id=7, seq=i) / m]
    if cls == "icmp-frag-needed":
        # Fragmentation needed (3/4), quoting the start of a datagram we "sent".
        quoted = IP(src=a.dst4, dst=a.src4, proto=17, len=1400) / UDP(sport=9, dport=9) / m
        return [eth / ip4 / s["ICMP"](type=3, code=4, nexthopmtu=1280) / bytes(quoted)[:28 + len(m)]]
    raise SystemExit("bypass.py: unknown class '%s'" % cls)


# name, rule, counted as (protocol number or "malformed"), frames per round
CLASSES = [
    ("vlan-icmp", "icmp", "1", 1),
    ("qinq-icmp", "icmp", "1", 1),
    ("vlan-ipv6-icmp", "ipv6-icmp", "58", 1),
    ("ipv4-options-udp", "udp", "17", 1),
    ("ipv4-frags-udp", "udp", "17", 4),
    ("ipv6-chain-udp", "udp", "17", 1),
    ("ipv6-overlong-udp", "tcp", "malformed", 1),
    ("ipv6-frags-udp", "udp", "17", 2),
    ("ipv4-ah", "ah", "51", 1),
    ("ipv6-ah-udp", "udp", "17", 1),
]


def cmd_classes(a):
    for c in CLASSES:
        print("%s %s %s %d" % c)


def cmd_send(a):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((a.iface, 0))
    # The interface's own address (/sys/class/net is the host's under nsenter).
    a.src_mac = sock.getsockname()[4].hex(":")
    n = nbytes = 0
    for i in range(a.rounds):
        for fr in frames(a.cls, a, a.token, i):
            b = bytes(fr)
            try:
                sock.send(b)
            except OSError as e:
                # A drop on our own egress (TC_ACT_SHOT) comes back as
                # ENOBUFS: the frame was sent as far as this side goes.
                if e.errno != errno.ENOBUFS:
                    raise
            n += 1
            nbytes += len(b)
    # Then a non-IP frame no rule drops: once the sniffer has seen it, it has
    # seen everything sent before it (one queue, in order).
    Ether = scapy()["Ether"]
    sock.send(bytes(Ether(src=a.src_mac, dst=a.dst_mac, type=0x88b5) /
                    marker(a.token + ".sync", 0)))
    sock.close()
    print("sent %d %d" % (n, nbytes))


def cmd_sniff(a):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((a.iface, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    pat = re.compile(rb"FWBP([A-Za-z0-9_.:-]{1,64});")
    end = time.monotonic() + a.seconds
    with open(a.outfile, "w", buffering=1) as out:
        out.write("ready\n")
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], min(left, 1.0))
            if not r:
                continue
            data, addr = sock.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            mt = pat.search(data)
            if mt:
                out.write(mt.group(1).decode() + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--src4", default="10.66.6.1")
    p.add_argument("--dst4", default="10.66.6.2")
    p.add_argument("--src6", default="fd66:6::1")
    p.add_argument("--dst6", default="fd66:6::2")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("classes").set_defaults(fn=cmd_classes)
    s = sub.add_parser("send")
    s.add_argument("iface")
    s.add_argument("dst_mac")
    s.add_argument("cls")
    s.add_argument("rounds", type=int)
    s.add_argument("token")
    s.set_defaults(fn=cmd_send)
    s = sub.add_parser("sniff")
    s.add_argument("iface")
    s.add_argument("outfile")
    s.add_argument("seconds", type=float)
    s.set_defaults(fn=cmd_sniff)
    a = p.parse_args()
    if a.cmd == "send" and not 1 <= a.rounds <= 10000:
        p.error("rounds must be 1-10000")
    if a.cmd == "sniff" and not 0 < a.seconds <= 3600:
        p.error("seconds must be in (0, 3600]")
    a.fn(a)


if __name__ == "__main__":
    main()
