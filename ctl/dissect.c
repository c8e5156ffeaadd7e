// SPDX-License-Identifier: GPL-2.0
/* dissect.c - what a drop sample shows: addresses, ports, ICMP type and
 * code, VLAN ids. The programs' own parser (xdp/fw_parse.h) finds the
 * headers, asked for every protocol's upper-layer header; this file only
 * reads fields at the places it returns. */
#include <arpa/inet.h>
#include <string.h>
#include "fwctl.h"
/* Its "#pragma unroll" is clang's, for the BPF build. */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "fw_parse.h"

/* Protocols whose upper-layer header starts with 16-bit source and
 * destination ports: TCP, UDP, DCCP, SCTP, UDP-Lite. */
static bool has_ports(__u32 proto)
{
	return proto == 6 || proto == 17 || proto == 33 || proto == 132 || proto == 136;
}

void fw_dissect(const __u8 *frame, __u32 caplen, struct fw_pkt *out)
{
	const __u8 *end = frame + caplen, *l3, *l4;
	__u32 proto = fw_parse_at(frame, end, &l3, &l4, 1);

	memset(out, 0, sizeof(*out));
	out->sport = out->dport = out->icmp_type = out->icmp_code = -1;
	if (!l3)
		return;
	/* The tags sit between the Ethernet header and l3, four bytes each. */
	for (const __u8 *t = frame + FW_ETH_HLEN;
	     t + FW_VLAN_HLEN <= l3 && out->nvlan < FW_MAX_VLAN; t += FW_VLAN_HLEN)
		out->vlan[out->nvlan++] = fw_be16(t) & 0xfff;
	if ((l3[0] >> 4) == 4 && l3 + FW_IPV4_HLEN <= end) {
		out->family = 4;
		inet_ntop(AF_INET, l3 + 12, out->src, sizeof(out->src));
		inet_ntop(AF_INET, l3 + 16, out->dst, sizeof(out->dst));
	} else if ((l3[0] >> 4) == 6 && l3 + FW_IPV6_HLEN <= end) {
		out->family = 6;
		inet_ntop(AF_INET6, l3 + 8, out->src, sizeof(out->src));
		inet_ntop(AF_INET6, l3 + 24, out->dst, sizeof(out->dst));
	}
	if (!l4 || proto >= 256)
		return;
	if (has_ports(proto) && l4 + 4 <= end) {
		out->sport = fw_be16(l4);
		out->dport = fw_be16(l4 + 2);
	} else if ((proto == FW_PROTO_ICMP || proto == FW_PROTO_ICMPV6) && l4 + 2 <= end) {
		out->icmp_type = l4[0];
		out->icmp_code = l4[1];
	}
}
