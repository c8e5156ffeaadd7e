// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_parse - libFuzzer target for the one parser and decision
 * (xdp/fw_parse.h), built on the host with ASan and UBSan by
 * tests/fuzz/run.sh. Every input is a whole L2 frame.
 *
 * Besides "no read out of bounds, no undefined behaviour", it checks:
 *  - fw_parse returns an IP protocol 0-255, FW_IDX_NONIP or FW_IDX_MALFORMED;
 *  - l4, when set, lies inside [data, end], and is set for ICMP and
 *    ICMPv6 only;
 *  - fw_parse agrees with ref_parse below, an offset-based reading of the
 *    documented policy written independently of the pointer walk;
 *  - fw_decide, under several policies, drops a frame whose protocol is
 *    blocked unless the ICMP exemption applies (and never when strict),
 *    passes one whose protocol is not blocked and every non-IP frame, and
 *    drops malformed frames exactly when anything is blocked;
 *  - what the programs run agrees: the policy compiled into act bytes
 *    (fw_policy_compile, fw_count.h) gives fw_act() the same verdict, and
 *    the straight line for untagged IPv4 (fw_fast_act), where it decides,
 *    the very act byte the parser's path gives (verdict and counter cell).
 * A broken invariant prints the frame in hex and aborts, so libFuzzer keeps
 * the input as a crash artifact.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "fw_parse.h"
#include "fw_count.h"

/* --- the reference: the documented policy, by offsets -------------------- */

static uint32_t be16_at(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] << 8 | b[off + 1];
}

static int ref_is_ext(uint32_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* Returns the index, and in *l4off the upper-layer header's offset or -1
 * (found for ICMP and ICMPv6 only: nothing else is read past the IP
 * headers). A header that the frame does not hold to its last byte is
 * malformed. */
static uint32_t ref_parse(const uint8_t *b, size_t n, long *l4off)
{
	uint32_t et, nh, ihl, next;
	size_t off = FW_ETH_HLEN, hl;
	int i;

	*l4off = -1;
	if (n < FW_ETH_HLEN)
		return FW_IDX_MALFORMED;
	et = be16_at(b, 12);
	for (i = 0; i < FW_MAX_VLAN && (et == 0x8100 || et == 0x88a8); i++) {
		if (off + 4 > n)
			return FW_IDX_MALFORMED;
		et = be16_at(b, off + 2);
		off += 4;
	}
	if (et == 0x0800) {
		if (off + 20 > n)
			return FW_IDX_MALFORMED;
		ihl = b[off] & 0xf;
		if (b[off] >> 4 != 4 || ihl < 5 || off + ihl * 4 > n)
			return FW_IDX_MALFORMED;
		/* offset 0: first or only fragment */
		if ((b[off + 9] == 1 || b[off + 9] == 58) && !(be16_at(b, off + 6) & 0x1fff))
			*l4off = (long)(off + ihl * 4);
		return b[off + 9];
	}
	if (et == 0x86dd) {
		if (off + 40 > n || b[off] >> 4 != 6)
			return FW_IDX_MALFORMED;
		nh = b[off + 6];
		off += 40;
		for (i = 0; i < FW_MAX_EXTHDR && ref_is_ext(nh); i++) {
			if (off + 8 > n)
				return FW_IDX_MALFORMED;
			next = b[off];
			if (nh == 44) {
				if (be16_at(b, off + 2) & 0xfff8) /* later fragment */
					return ref_is_ext(next) ? FW_IDX_MALFORMED : next;
				hl = 8;
			} else if (nh == 51) {
				hl = ((size_t)b[off + 1] + 2) * 4;
			} else {
				hl = ((size_t)b[off + 1] + 1) * 8;
			}
			if (off + hl > n)
				return FW_IDX_MALFORMED;
			nh = next;
			off += hl;
		}
		if (ref_is_ext(nh))
			return FW_IDX_MALFORMED;
		if (nh == 1 || nh == 58)
			*l4off = (long)off;
		return nh;
	}
	if (et == 0x8100 || et == 0x88a8)
		return FW_IDX_MALFORMED;
	return FW_IDX_NONIP;
}

/* The exemptions as documented: ICMP fragmentation needed (3/4); ICMPv6
 * packet too big (2) and router/neighbour solicitation and advertisement,
 * redirect (133-137). The type and code must be in the frame. */
static int ref_exempt(uint32_t idx, const uint8_t *b, size_t n, long l4off)
{
	if (l4off < 0 || (size_t)l4off + 2 > n)
		return 0;
	if (idx == 1)
		return b[l4off] == 3 && b[l4off + 1] == 4;
	if (idx == 58)
		return b[l4off] == 2 || (b[l4off] >= 133 && b[l4off] <= 137);
	return 0;
}

/* --- policies ------------------------------------------------------------ */

static void pol_set(struct fw_policy *p, unsigned int proto)
{
	p->blocked[proto >> 6] |= 1ull << (proto & 63);
}

static int pol_has(const struct fw_policy *p, unsigned int proto)
{
	return (p->blocked[proto >> 6] >> (proto & 63)) & 1;
}

#define NPOL 8

/* Fixed ones, plus two that depend on the frame: the parsed protocol alone
 * (strict and not), so every protocol number gets blocked some time. */
static void make_policies(struct fw_policy pol[NPOL], uint32_t idx)
{
	int i;

	memset(pol, 0, sizeof(struct fw_policy) * NPOL);
	/* 0: nothing blocked */
	pol_set(&pol[1], 1);
	pol_set(&pol[1], 17);
	pol_set(&pol[1], 58);
	pol_set(&pol[1], 47);
	pol[2] = pol[1];
	pol[2].flags = FW_POLICY_STRICT;
	memset(pol[3].blocked, 0xff, sizeof(pol[3].blocked));
	pol[4] = pol[3];
	pol[4].flags = FW_POLICY_STRICT;
	for (i = 0; i < 4; i++) /* 5: all but the ones in 1 */
		pol[5].blocked[i] = ~pol[1].blocked[i];
	if (idx < 256) {
		pol_set(&pol[6], idx);
		pol_set(&pol[7], idx);
		pol[7].flags = FW_POLICY_STRICT;
	} else {
		pol_set(&pol[6], 255);
		pol_set(&pol[7], 0);
	}
}

/* --- checking ------------------------------------------------------------ */

static void __attribute__((format(printf, 3, 4), noreturn))
dump_and_abort(const uint8_t *b, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	fprintf(stderr, "fuzz_parse: invariant broken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz_parse: frame (%zu bytes):", n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", b[i]);
	fprintf(stderr, "\n");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_policy pol[NPOL];
	static struct fw_compiled cpol;
	const __u8 *l4;
	__u32 act, fast;
	uint8_t *buf;
	uint32_t idx, ridx;
	uintptr_t lo, hi, at;
	long l4off, roff;
	int v, want, i, any, exempt;

	if (size > 65536)
		return 0;
	/* A buffer of exactly size bytes, so ASan sees a read one past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	idx = fw_parse(buf, buf + size, &l4);
	if (idx >= FW_IDX_SLOTS)
		dump_and_abort(buf, size, "index %u >= FW_IDX_SLOTS", idx);

	/* Compared as integers: a pointer past the buffer is itself the bug. */
	lo = (uintptr_t)buf;
	hi = lo + size;
	at = (uintptr_t)l4;
	l4off = -1;
	if (l4) {
		if (at < lo || at > hi)
			dump_and_abort(buf, size,
				       "l4 outside [data, end]: offset %lld, frame %zu bytes",
				       (long long)(at - lo), size);
		if (idx >= 256)
			dump_and_abort(buf, size, "l4 set for index %u", idx);
		l4off = (long)(at - lo);
	}

	ridx = ref_parse(buf, size, &roff);
	if (ridx != idx)
		dump_and_abort(buf, size, "fw_parse says %u, the documented policy %u", idx, ridx);
	if (roff != l4off)
		dump_and_abort(buf, size, "l4 at offset %ld, the documented policy says %ld", l4off,
			       roff);

	exempt = ref_exempt(idx, buf, size, l4off);
	make_policies(pol, idx);
	for (i = 0; i < NPOL; i++) {
		v = fw_decide(&pol[i], idx, l4, buf + size);
		any = fw_any_blocked(&pol[i]);
		if (idx < 256 && pol_has(&pol[i], idx))
			want = exempt && !(pol[i].flags & FW_POLICY_STRICT) ? FW_PASS : FW_DROP;
		else if (idx == FW_IDX_MALFORMED)
			want = any ? FW_DROP : FW_PASS;
		else
			want = FW_PASS;
		if (v != want)
			dump_and_abort(buf, size, "policy %d: verdict %s, expected %s", i,
				       v == FW_DROP ? "drop" : "pass",
				       want == FW_DROP ? "drop" : "pass");
		memset(&cpol, 0, sizeof(cpol));
		cpol.set = pol[i];
		fw_policy_compile(&cpol, 1);
		act = fw_act(&cpol, idx, l4, buf + size);
		if ((int)(act >> 7) != want)
			dump_and_abort(buf, size, "policy %d: act byte %#x, expected %s", i, act,
				       want == FW_DROP ? "drop" : "pass");
		if (fw_fast_act(&cpol, buf, buf + size, &fast) && fast != act)
			dump_and_abort(buf, size, "policy %d: fast path act %#x, parser's %#x", i,
				       fast, act);
	}
	free(buf);
	return 0;
}
