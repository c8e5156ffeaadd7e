/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_parse.h - the one packet parser and decision, shared by the XDP and TC
 * programs. Plain C over a [data, data_end) window with no BPF helpers, so the
 * same code also builds on the host (fuzzing, differential tests).
 *
 * Policy for frames we cannot read to the end (documented in docs/parsing.md):
 * they count as FW_IDX_MALFORMED and are dropped when the direction blocks any
 * protocol, passed otherwise. So no truncation, bogus IHL, third VLAN tag or
 * over-long IPv6 extension chain can carry a blocked protocol through.
 */
#ifndef FW_PARSE_H
#define FW_PARSE_H

#include "fw_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define FW_ETH_HLEN  14
#define FW_VLAN_HLEN 4
#define FW_IPV4_HLEN 20
#define FW_IPV6_HLEN 40

/* Ethertypes as they sit in the frame, so the hot path loads and compares
 * without swapping bytes. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FW_NET16(x) ((__u16)((((x)&0xff) << 8) | ((x) >> 8)))
#else
#define FW_NET16(x) ((__u16)(x))
#endif
#define FW_ETH_P_IP	FW_NET16(0x0800)
#define FW_ETH_P_IPV6	FW_NET16(0x86dd)
#define FW_ETH_P_8021Q	FW_NET16(0x8100)
#define FW_ETH_P_8021AD FW_NET16(0x88a8)

/* IPv6 extension headers walked to find the upper-layer protocol. */
#define FW_IPV6_HOPOPTS	 0
#define FW_IPV6_ROUTING	 43
#define FW_IPV6_FRAGMENT 44
#define FW_IPV6_AH	 51
#define FW_IPV6_DSTOPTS	 60

/* Protocols with anti-lockout exemptions. */
#define FW_PROTO_ICMP	1
#define FW_PROTO_ICMPV6 58

/* Byte loads: no alignment assumptions, no byte-order helpers. */
static __always_inline __u16 fw_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* A 16-bit field in network order, as is: one load. The verifier allows
 * unaligned packet loads where the CPU does (and ethertypes sit 2-byte
 * aligned behind NET_IP_ALIGN where it does not); the host build, run under
 * UBSan by the fuzzer, copies instead. */
static __always_inline __u16 fw_raw16(const __u8 *p)
{
#ifdef __bpf__
	return *(const __u16 *)p;
#else
	__u16 v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
#endif
}

static __always_inline int fw_is_vlan(__u16 eth_proto)
{
	return eth_proto == FW_ETH_P_8021Q || eth_proto == FW_ETH_P_8021AD;
}

/* All five extension header numbers are below 64: one mask test. */
#define FW_IPV6_EXT_MASK                                                                           \
	((1ULL << FW_IPV6_HOPOPTS) | (1ULL << FW_IPV6_ROUTING) | (1ULL << FW_IPV6_FRAGMENT) |      \
	 (1ULL << FW_IPV6_AH) | (1ULL << FW_IPV6_DSTOPTS))

static __always_inline int fw_is_ipv6_exthdr(__u8 nh)
{
	return nh < 64 && ((FW_IPV6_EXT_MASK >> nh) & 1);
}

/* The decision reads past the IP headers only for ICMP and ICMPv6 (the
 * anti-lockout exemptions below): the parser finds l4 for those alone,
 * unless all (a constant) asks for every protocol's, as the drop samples'
 * reader does (ctl/dissect.c); the programs pass 0 and pay nothing. */
static __always_inline int fw_reads_l4(__u32 proto, int all)
{
	return all || proto == FW_PROTO_ICMP || proto == FW_PROTO_ICMPV6;
}

static __always_inline __u32 fw_parse_ipv4(const __u8 *p, const __u8 *end, const __u8 **l4, int all)
{
	__u8 vihl, proto;

	if (p + FW_IPV4_HLEN > end)
		return FW_IDX_MALFORMED;
	vihl = p[0];
	/* No options (0x45) needs no more checks: the common case. */
	if (vihl != 0x45 && ((vihl >> 4) != 4 || (vihl & 0xf) < 5 || p + (vihl & 0xf) * 4 > end))
		return FW_IDX_MALFORMED;
	/* Every fragment carries the protocol, so later fragments match too;
	 * only a first fragment starts with the upper-layer header. */
	proto = p[9];
	if (fw_reads_l4(proto, all) && !(fw_raw16(p + 6) & FW_NET16(0x1fff)))
		*l4 = p + (vihl & 0xf) * 4;
	return proto;
}

/*
 * One IPv6 extension header at *pp, whose type is *nh: steps over it.
 * Returns 1 when stepped (*pp, *nh: the next header), 0 when *nh is no
 * extension header, or what the frame counts as when the walk ends here
 * (malformed, or a later fragment's protocol) plus FW_WALK_END.
 *
 * Each header's place hangs on a byte of the one before, so the walk is a
 * chain of dependent loads: next = p + 8 + (len << 2 or 3). The + 8 is
 * taken before the load (q, which the bounds check needs anyway) and kept
 * there by a barrier, so that each step costs one load, one shift and one
 * add on that chain; written as p + (len + 1) * 8, the compiler adds the 8
 * after the load, one more cycle per header (prog_cost: 0.3 ns a header
 * less this way). A switch on the type, where the old loop tested a mask
 * and then the type again.
 */
#define FW_WALK_END 0x10000

#ifdef __bpf__
#define fw_opaque(v) asm volatile("" : "=r"(v) : "0"(v))
#else
#define fw_opaque(v) ((void)0)
#endif

static __always_inline __u32 fw_ipv6_step(const __u8 **pp, __u8 *nhp, const __u8 *end)
{
	const __u8 *p = *pp, *q = p + 8;
	__u32 len;

	switch (*nhp) {
	case FW_IPV6_HOPOPTS:
	case FW_IPV6_ROUTING:
	case FW_IPV6_DSTOPTS:
		if (q > end) /* every extension header is at least 8 bytes */
			return FW_WALK_END | FW_IDX_MALFORMED;
		len = (__u32)p[1] << 3; /* 8-byte units beyond the first 8 */
		break;
	case FW_IPV6_AH:
		if (q > end)
			return FW_WALK_END | FW_IDX_MALFORMED;
		len = (__u32)p[1] << 2; /* 4-byte units beyond the first 8 */
		break;
	case FW_IPV6_FRAGMENT:
		if (q > end)
			return FW_WALK_END | FW_IDX_MALFORMED;
		/* A later fragment has no upper-layer header, but its
		 * fragment header names the protocol all the same. */
		if (fw_raw16(p + 2) & FW_NET16(0xfff8))
			return FW_WALK_END | (fw_is_ipv6_exthdr(p[0]) ? FW_IDX_MALFORMED : p[0]);
		*nhp = p[0];
		*pp = q;
		return 1;
	default:
		return 0;
	}
	*nhp = p[0];
	fw_opaque(q);
	*pp = q + len;
	return 1;
}

static __always_inline __u32 fw_parse_ipv6(const __u8 *p, const __u8 *end, const __u8 **l4, int all)
{
	__u32 r;
	__u8 nh;

	if (p + FW_IPV6_HLEN > end)
		return FW_IDX_MALFORMED;
	if ((p[0] >> 4) != 6)
		return FW_IDX_MALFORMED;
	nh = p[6];
	p += FW_IPV6_HLEN;

	if (!fw_is_ipv6_exthdr(nh))
		goto upper; /* the common case: no extension header */
	/* FW_MAX_EXTHDR steps, written out: the compiler does not unroll a
	 * loop around the barrier. */
	_Static_assert(FW_MAX_EXTHDR == 6, "six steps below");
	r = fw_ipv6_step(&p, &nh, end);
	if (r == 1)
		r = fw_ipv6_step(&p, &nh, end);
	if (r == 1)
		r = fw_ipv6_step(&p, &nh, end);
	if (r == 1)
		r = fw_ipv6_step(&p, &nh, end);
	if (r == 1)
		r = fw_ipv6_step(&p, &nh, end);
	if (r == 1)
		r = fw_ipv6_step(&p, &nh, end);
	if (r & FW_WALK_END)
		return r & ~FW_WALK_END;
	/* Six stepped over and a seventh follows: too many. The last one
	 * stepped over may run past the end. */
	if ((r == 1 && fw_is_ipv6_exthdr(nh)) || p > end)
		return FW_IDX_MALFORMED;
upper:
	if (fw_reads_l4(nh, all))
		*l4 = p;
	return nh;
}

/* fw_parse() below, for any reader: *l3 is set to the IP header where
 * there is one (NULL otherwise), and with all, *l4 to any protocol's
 * upper-layer header. */
static __always_inline __u32 fw_parse_at(const void *data, const void *data_end, const __u8 **l3,
					 const __u8 **l4, int all)
{
	const __u8 *p = data;
	const __u8 *end = data_end;
	__u16 eth_proto;
	int i;

	*l3 = 0;
	*l4 = 0;
	if (p + FW_ETH_HLEN > end)
		return FW_IDX_MALFORMED;
	eth_proto = fw_raw16(p + 12);
	p += FW_ETH_HLEN;
	if (eth_proto == FW_ETH_P_IP) { /* the common case first */
		*l3 = p;
		return fw_parse_ipv4(p, end, l4, all);
	}

#pragma unroll
	for (i = 0; i < FW_MAX_VLAN; i++) {
		if (!fw_is_vlan(eth_proto))
			break;
		if (p + FW_VLAN_HLEN > end)
			return FW_IDX_MALFORMED;
		eth_proto = fw_raw16(p + 2);
		p += FW_VLAN_HLEN;
	}

	if (eth_proto == FW_ETH_P_IP || eth_proto == FW_ETH_P_IPV6)
		*l3 = p;
	if (eth_proto == FW_ETH_P_IP)
		return fw_parse_ipv4(p, end, l4, all);
	if (eth_proto == FW_ETH_P_IPV6)
		return fw_parse_ipv6(p, end, l4, all);
	if (fw_is_vlan(eth_proto)) /* a third tag could hide anything */
		return FW_IDX_MALFORMED;
	return FW_IDX_NONIP;
}

/* Returns what the frame counts as: an IP protocol number or an FW_IDX_*.
 * *l4 is set to the upper-layer header of an ICMP or ICMPv6 packet that has
 * one (not a later fragment), NULL otherwise. */
static __always_inline __u32 fw_parse(const void *data, const void *data_end, const __u8 **l4)
{
	const __u8 *l3;

	return fw_parse_at(data, data_end, &l3, l4, 0);
}

/* Bit idx of the blocked set: one byte load where the CPU is little-endian
 * (bit n of a __u64 then sits in byte n / 8). */
static __always_inline int fw_blocked(const struct fw_policy *pol, __u32 idx)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (((const __u8 *)pol->blocked)[idx >> 3] >> (idx & 7)) & 1;
#else
	return (pol->blocked[idx >> 6] >> (idx & 63)) & 1;
#endif
}

static __always_inline int fw_any_blocked(const struct fw_policy *pol)
{
	return (pol->blocked[0] | pol->blocked[1] | pol->blocked[2] | pol->blocked[3]) != 0;
}

/*
 * Anti-lockout: unless the policy is strict, blocking ICMP keeps path-MTU
 * discovery working (fragmentation needed), and blocking ICMPv6 keeps packet
 * too big and neighbour discovery (router/neighbour solicitation and
 * advertisement, redirect), without which IPv6 stops working altogether.
 * l4 is set for ICMP and ICMPv6 alone (fw_parse), so it tells which.
 */
static __always_inline int fw_icmp_exempt(__u32 idx, const __u8 *l4, const __u8 *end)
{
	if (!l4 || l4 + 2 > end)
		return 0;
	if (idx == FW_PROTO_ICMP)
		return l4[0] == 3 && l4[1] == 4;
	return l4[0] == 2 || (l4[0] >= 133 && l4[0] <= 137);
}

/* The one decision: FW_DROP or FW_PASS for a frame counted as idx, exempt
 * as fw_icmp_exempt() says. */
static __always_inline int fw_verdict(const struct fw_policy *pol, __u32 idx, int exempt)
{
	if (idx < 256) {
		if (!fw_blocked(pol, idx))
			return FW_PASS;
		return exempt && !(pol->flags & FW_POLICY_STRICT) ? FW_PASS : FW_DROP;
	}
	if (idx == FW_IDX_MALFORMED)
		return fw_any_blocked(pol) ? FW_DROP : FW_PASS;
	return FW_PASS;
}

/*
 * The act byte (fw_abi.h) for a frame counted as idx: the verdict and the
 * counter cell, as fwctl compiled them from the policy, with the exemption
 * applied. Only a blocked, non-strict ICMP or ICMPv6 kind is checked; the
 * same decision as fw_verdict() in one byte load and one compare.
 */
static __always_inline __u32 fw_act(const struct fw_compiled *pol, __u32 idx, const __u8 *l4,
				    const void *end)
{
	__u32 act = pol->act[idx];

	if (act >= FW_ACT_CHECK && fw_icmp_exempt(idx, l4, end))
		act -= FW_ACT_EXEMPT;
	return act;
}

/* A blocked ICMP/ICMPv6 kind's act (a >= FW_ACT_CHECK) on IPv4 without
 * options at ip: less FW_ACT_EXEMPT where the type is exempt. 1 with *act
 * set, or 0 for the parser (the type lies past end). */
static __always_inline int fw_fast_check4(__u32 proto, const __u8 *ip, const __u8 *end, __u32 a,
					  __u32 *act)
{
	if (!(fw_raw16(ip + 6) & FW_NET16(0x1fff))) { /* a later fragment has no type */
		if (ip + FW_IPV4_HLEN + 2 > end)
			return 0;
		if (fw_icmp_exempt(proto, ip + FW_IPV4_HLEN, end))
			a -= FW_ACT_EXEMPT;
	}
	*act = a;
	return 1;
}

/*
 * The common frames in a straight line: IPv4 without options, untagged or
 * behind one or two VLAN tags, and untagged IPv6 whose next header is the
 * upper layer, their headers in [p, end). Returns 1 with *act set, what
 * fw_parse() and fw_act() would give, or 0 where the parser must take the
 * frame (anything else, or a blocked ICMP/ICMPv6 whose type lies past end,
 * which TC can still read). Each branch ends on its own: one tail shared by
 * the three made the compiler keep the protocol on the stack, and the
 * blocked ICMP frame paid 3 ns for it (prog_cost).
 */
static __always_inline int fw_fast_act(const struct fw_compiled *pol, const __u8 *p,
				       const __u8 *end, __u32 *act)
{
	const __u8 *ip = p + FW_ETH_HLEN;
	__u16 eth_proto;
	__u32 proto, a;

	if (ip + FW_IPV4_HLEN > end)
		return 0;
	eth_proto = fw_raw16(p + 12);
	if (eth_proto == FW_ETH_P_IP) {
		if (ip[0] != 0x45)
			return 0;
		proto = ip[9];
		a = pol->act[proto];
		if (a < FW_ACT_CHECK) {
			*act = a;
			return 1;
		}
		return fw_fast_check4(proto, ip, end, a, act);
	}
	if (eth_proto == FW_ETH_P_IPV6) {
		if (ip + FW_IPV6_HLEN > end || (ip[0] >> 4) != 6)
			return 0;
		proto = ip[6];
		if (fw_is_ipv6_exthdr(proto))
			return 0; /* the parser walks the chain */
		a = pol->act[proto];
		if (a >= FW_ACT_CHECK) {
			if (ip + FW_IPV6_HLEN + 2 > end)
				return 0;
			if (fw_icmp_exempt(proto, ip + FW_IPV6_HLEN, end))
				a -= FW_ACT_EXEMPT;
		}
		*act = a;
		return 1;
	}
	if (!fw_is_vlan(eth_proto))
		return 0;
	/* One or two tags, then IPv4 without options: the parser's steps (a
	 * third tag is its to refuse), the same IPv4 checks. The tags lie
	 * within the 34 bytes checked above. */
	eth_proto = fw_raw16(p + 16);
	ip += FW_VLAN_HLEN;
	if (fw_is_vlan(eth_proto)) {
		eth_proto = fw_raw16(p + 20);
		ip += FW_VLAN_HLEN;
	}
	if (eth_proto != FW_ETH_P_IP || ip + FW_IPV4_HLEN > end || ip[0] != 0x45)
		return 0;
	proto = ip[9];
	a = pol->act[proto];
	if (a < FW_ACT_CHECK) {
		*act = a;
		return 1;
	}
	return fw_fast_check4(proto, ip, end, a, act);
}

/* The same, for a frame whose upper-layer header (if any) starts at l4. */
static __always_inline int fw_decide(const struct fw_policy *pol, __u32 idx, const __u8 *l4,
				     const void *end)
{
	return fw_verdict(pol, idx, fw_icmp_exempt(idx, l4, end));
}

#endif /* FW_PARSE_H */
