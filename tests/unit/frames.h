/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frames.h - test frames built from a list of layers, so that a case table
 * reads the way the wire does:
 *
 *	ETH(ETH_P_8021AD), VLAN(ETH_P_8021Q), VLAN(ETH_P_IP), IP4(IPPROTO_UDP), UDP()
 *
 * Every layer writes the type of the layer after it (ethertype, protocol,
 * next header) from its own .next, never from what actually follows: a case
 * can lie on purpose, and a typo shows up in the table, not in the builder.
 * Length fields (IPv4 total length and checksum, IPv6 payload length, UDP
 * length) are filled in once the whole frame is known, so a frame cut short
 * afterwards claims more than it carries, as a truncated frame on the wire
 * does.
 *
 * Shared by tests/unit/test_prog.c and bench/prog_cost.c.
 */
#ifndef FRAMES_H
#define FRAMES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#define FR_MAX_LAYERS 16
/* Large enough for the >= PAGE_SIZE frames that AF_PACKET sends paged. */
#define FR_MAX_LEN 9000

enum fr_kind {
	FR_END,
	FR_ETH,	  /* 14 bytes; .next: ethertype */
	FR_VLAN,  /* 4 bytes: TCI, .next ethertype */
	FR_IP4,	  /* .next: protocol; .ihl (0: 5), .ver (0: 4), .frag, .mf */
	FR_IP6,	  /* 40 bytes; .next: next header; .ver (0: 6) */
	FR_EXT,	  /* hop-by-hop or dest-opts, PadN: (.len + 1) * 8 bytes */
	FR_RTHDR, /* routing header type 0, no segments left: (.len + 1) * 8 */
	FR_AH,	  /* (.len + 2) * 4 bytes, as AH's payload length counts */
	FR_FRAG,  /* IPv6 fragment header, 8 bytes; .frag, .mf */
	FR_ICMP4, /* echo request or the given type, 8 bytes + .len */
	FR_ICMP6, /* echo request or the given type, 8 bytes + .len */
	FR_TCP,	  /* SYN, 20 bytes + .len */
	FR_UDP,	  /* 8 bytes + .len */
	FR_GRE,	  /* 4 bytes + .len */
	FR_SCTP,  /* common header, 12 bytes + .len */
	FR_ARP,	  /* IPv4 over Ethernet request, 28 bytes */
	FR_LLDP,  /* chassis id, port id, TTL, end */
	FR_BYTES, /* .len bytes of filler */
};

struct fr_layer {
	__u8 kind;
	__u8 ihl;   /* IPv4 header length in 32-bit words, 0 meaning 5 */
	__u8 ver;   /* IP version nibble, 0 meaning the right one */
	__u8 mf;    /* more-fragments flag */
	__u8 typed; /* ICMP: icmp_type and icmp_code given, else echo request */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 next;
	__u16 frag; /* fragment offset, in 8-byte units */
	__u16 len;
};

/* clang-format off */
#define ETH(t)		{ .kind = FR_ETH, .next = (t) }
#define VLAN(t)		{ .kind = FR_VLAN, .next = (t) }
#define IP4(p, ...)	{ .kind = FR_IP4, .next = (p), __VA_ARGS__ }
#define IP6(nh, ...)	{ .kind = FR_IP6, .next = (nh), __VA_ARGS__ }
/* .len is the header's own length field, as on the wire. */
#define HOPOPTS(nh, ...) { .kind = FR_EXT, .next = (nh), __VA_ARGS__ }
#define ROUTING(nh, ...) { .kind = FR_RTHDR, .next = (nh), __VA_ARGS__ }
#define DSTOPTS(nh, ...) { .kind = FR_EXT, .next = (nh), __VA_ARGS__ }
#define AH(nh, ...)	{ .kind = FR_AH, .next = (nh), __VA_ARGS__ }
#define FRAG(nh, ...)	{ .kind = FR_FRAG, .next = (nh), __VA_ARGS__ }
#define ICMP4(...)	{ .kind = FR_ICMP4, __VA_ARGS__ }
#define ICMP6(...)	{ .kind = FR_ICMP6, __VA_ARGS__ }
#define ICMP4T(t, c, ...) { .kind = FR_ICMP4, .typed = 1, .icmp_type = (t), .icmp_code = (c), \
			    __VA_ARGS__ }
#define ICMP6T(t, c, ...) { .kind = FR_ICMP6, .typed = 1, .icmp_type = (t), .icmp_code = (c), \
			    __VA_ARGS__ }
#define TCP(...)	{ .kind = FR_TCP, __VA_ARGS__ }
#define UDP(...)	{ .kind = FR_UDP, __VA_ARGS__ }
#define GRE(...)	{ .kind = FR_GRE, __VA_ARGS__ }
#define SCTP(...)	{ .kind = FR_SCTP, __VA_ARGS__ }
#define ARP()		{ .kind = FR_ARP }
#define LLDP()		{ .kind = FR_LLDP }
#define BYTES(n)	{ .kind = FR_BYTES, .len = (n) }
/* clang-format on */

/* Locally administered: no vendor's range, and the veth test assigns them. */
static const __u8 fr_mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const __u8 fr_mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

struct fr_buf {
	__u8 *p;
	size_t len;
	size_t cap;
};

/* Reserves n zeroed bytes. Running out is a bug in a table, not a result:
 * exit, so the caller's atexit cleanup still runs. */
static inline __u8 *fr_put(struct fr_buf *b, size_t n)
{
	__u8 *p;

	if (b->len + n > b->cap) {
		fprintf(stderr, "frames: frame longer than %zu bytes\n", b->cap);
		exit(2);
	}
	p = b->p + b->len;
	memset(p, 0, n);
	b->len += n;
	return p;
}

static inline void fr_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void fr_fill(__u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (__u8)(i * 7 + 1);
}

static inline __u16 fr_csum(const __u8 *p, size_t n)
{
	__u32 sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (__u32)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Hop-by-hop and destination options are one PadN option filling the
 * header, which any receiver skips. */
static inline void fr_ext(__u8 *p, const struct fr_layer *l)
{
	size_t n = ((size_t)l->len + 1) * 8;

	p[0] = l->next;
	p[1] = l->len;
	p[2] = 1;
	p[3] = (__u8)(n - 4);
}

/* IPv4 keeps MF in bit 13 and the offset below it; IPv6 the offset in the
 * top 13 bits and M in bit 0. */
static inline void fr_frag(__u8 *p, const struct fr_layer *l, int v4)
{
	if (v4)
		fr_be16(p, (__u16)((l->frag & 0x1fff) | (l->mf ? 0x2000 : 0)));
	else
		fr_be16(p, (__u16)(l->frag << 3 | (l->mf ? 1 : 0)));
}

/* Builds the frame described by layers (up to FR_END) into buf; returns its
 * length. */
static inline size_t fr_build(const struct fr_layer *layers, __u8 *buf, size_t cap)
{
	struct fr_buf b = { .p = buf, .len = 0, .cap = cap };
	size_t ip4[FR_MAX_LAYERS], ip6[FR_MAX_LAYERS], udp[FR_MAX_LAYERS];
	size_t n4 = 0, n6 = 0, nu = 0, i, hl;
	const struct fr_layer *l;
	__u8 *p;

	for (l = layers; l < layers + FR_MAX_LAYERS && l->kind != FR_END; l++) {
		switch (l->kind) {
		case FR_ETH:
			p = fr_put(&b, 14);
			memcpy(p, fr_mac_dst, 6);
			memcpy(p + 6, fr_mac_src, 6);
			fr_be16(p + 12, l->next);
			break;
		case FR_VLAN:
			p = fr_put(&b, 4);
			fr_be16(p, 100); /* VID 100, priority 0 */
			fr_be16(p + 2, l->next);
			break;
		case FR_IP4:
			/* An IHL below 5 still gets the 20 bytes every header
			 * has, so only the nibble is wrong. */
			hl = l->ihl >= 5 ? (size_t)l->ihl * 4 : 20;
			ip4[n4++] = b.len;
			p = fr_put(&b, hl);
			p[0] = (__u8)((l->ver ? l->ver : 4) << 4 | (l->ihl ? l->ihl : 5));
			fr_be16(p + 4, 0x1234);
			fr_frag(p + 6, l, 1);
			p[8] = 64;
			p[9] = l->next;
			memcpy(p + 12, (const __u8[]){ 192, 0, 2, 1, 192, 0, 2, 2 }, 8);
			/* Options: NOPs, then End of Options in the last byte. */
			if (hl > 20) {
				memset(p + 20, 1, hl - 20);
				p[hl - 1] = 0;
			}
			break;
		case FR_IP6:
			ip6[n6++] = b.len;
			p = fr_put(&b, 40);
			p[0] = (__u8)((l->ver ? l->ver : 6) << 4);
			p[6] = l->next;
			p[7] = 64;
			p[8] = 0x20; /* 2001:db8::1 -> 2001:db8::2 */
			p[9] = 0x01;
			p[10] = 0x0d;
			p[11] = 0xb8;
			memcpy(p + 24, p + 8, 16);
			p[23] = 1;
			p[39] = 2;
			break;
		case FR_EXT:
			p = fr_put(&b, ((size_t)l->len + 1) * 8);
			fr_ext(p, l);
			break;
		case FR_RTHDR:
			p = fr_put(&b, ((size_t)l->len + 1) * 8);
			p[0] = l->next;
			p[1] = l->len;
			break;
		case FR_AH:
			p = fr_put(&b, ((size_t)l->len + 2) * 4);
			p[0] = l->next;
			p[1] = l->len;
			p[7] = 1; /* SPI 1 */
			break;
		case FR_FRAG:
			p = fr_put(&b, 8);
			p[0] = l->next;
			fr_frag(p + 2, l, 0);
			p[7] = 0x42; /* identification */
			break;
		case FR_ICMP4:
		case FR_ICMP6:
			p = fr_put(&b, 8 + l->len);
			if (l->typed) {
				p[0] = l->icmp_type;
				p[1] = l->icmp_code;
			} else {
				p[0] = l->kind == FR_ICMP4 ? 8 : 128; /* echo request */
			}
			p[5] = 1;
			p[7] = 1;
			fr_fill(p + 8, l->len);
			break;
		case FR_TCP:
			p = fr_put(&b, 20 + l->len);
			fr_be16(p, 40000);
			fr_be16(p + 2, 80);
			p[12] = 5 << 4;
			p[13] = 0x02; /* SYN */
			fr_be16(p + 14, 64240);
			fr_fill(p + 20, l->len);
			break;
		case FR_UDP:
			udp[nu++] = b.len;
			p = fr_put(&b, 8 + l->len);
			fr_be16(p, 40000);
			fr_be16(p + 2, 7); /* echo */
			fr_fill(p + 8, l->len);
			break;
		case FR_GRE:
			p = fr_put(&b, 4 + l->len);
			fr_be16(p + 2, 0x0800);
			fr_fill(p + 4, l->len);
			break;
		case FR_SCTP:
			p = fr_put(&b, 12 + l->len);
			fr_be16(p, 40000);
			fr_be16(p + 2, 9);
			fr_fill(p + 12, l->len);
			break;
		case FR_ARP:
			p = fr_put(&b, 28);
			fr_be16(p, 1);		/* Ethernet */
			fr_be16(p + 2, 0x0800); /* IPv4 */
			p[4] = 6;
			p[5] = 4;
			fr_be16(p + 6, 1); /* request */
			memcpy(p + 8, fr_mac_src, 6);
			memcpy(p + 14, (const __u8[]){ 192, 0, 2, 1 }, 4);
			memcpy(p + 24, (const __u8[]){ 192, 0, 2, 2 }, 4);
			break;
		case FR_LLDP:
			/* chassis id (MAC), port id (name "p1"), TTL 120, end */
			p = fr_put(&b, 9 + 5 + 4 + 2);
			memcpy(p, (const __u8[]){ 0x02, 0x07, 0x04 }, 3);
			memcpy(p + 3, fr_mac_src, 6);
			memcpy(p + 9, (const __u8[]){ 0x04, 0x03, 0x05, 'p', '1' }, 5);
			memcpy(p + 14, (const __u8[]){ 0x06, 0x02, 0x00, 120 }, 4);
			break;
		case FR_BYTES:
			p = fr_put(&b, l->len);
			fr_fill(p, l->len);
			break;
		default:
			fprintf(stderr, "frames: unknown layer kind %u\n", l->kind);
			exit(2);
		}
	}

	for (i = 0; i < n4; i++) {
		p = buf + ip4[i];
		fr_be16(p + 2, (__u16)(b.len - ip4[i] > 0xffff ? 0xffff : b.len - ip4[i]));
		hl = (size_t)(p[0] & 0xf) * 4;
		if (hl < 20)
			hl = 20;
		fr_be16(p + 10, 0);
		fr_be16(p + 10, fr_csum(p, hl));
	}
	for (i = 0; i < n6; i++)
		fr_be16(buf + ip6[i] + 4, (__u16)(b.len - ip6[i] - 40));
	for (i = 0; i < nu; i++)
		fr_be16(buf + udp[i] + 4, (__u16)(b.len - udp[i]));
	return b.len;
}

#endif /* FRAMES_H */
