// SPDX-License-Identifier: GPL-2.0
/*
 * test_diff - differential test of the parser and decision: random and
 * mutated frames go through the real fw_xdp, fw_tc_in and fw_tc_out programs
 * (BPF_PROG_TEST_RUN) and through the old decision, kept as an independent
 * model (tests/unit/old_decide.h: the parser and bitmap decision the programs
 * ran before the act bytes and the IPv4 fast path). For every frame and
 * every program instance the program's return value must be the model's
 * verdict, and the per-CPU counters, summed over every possible CPU by kind
 * as the policy's owner[] attributes them, must be what the model counted:
 * key fw_key(slot, dir), kind idx (or "other" where the compiled policy gave
 * that kind and verdict no cell of its own: passed protocols other than TCP,
 * UDP, ICMP, ICMPv6, and blocked ones past the cells), that verdict, one
 * packet and the frame's length in bytes more. No other key may move.
 *
 * Frames come from a seeded PRNG (FW_DIFF_SEED, default fixed, so a failure
 * reproduces): valid frames with 0-3 VLAN tags (802.1Q/802.1ad), IPv4 with
 * options and fragments (first, middle, last), IPv6 with extension chains
 * shorter and longer than the parser's bound, IPv6 fragments, AH, ICMP of the
 * exempt and other types, non-IP; then mutated: truncated (mostly at a header
 * boundary), bit flips, header bytes set to telling values, 4 bytes inserted
 * or removed; and plain random bytes. FW_DIFF_FRAMES sets the number
 * (default 100000); each frame runs through every instance below.
 *
 * Program instances (rodata fw_slot) and the policies their slots hold; the
 * other direction of a slot holds something else, so reading the wrong
 * direction changes verdicts, and every slot not listed blocks everything
 * strictly, so reading the wrong slot does too:
 *	slot 3    in: icmp,udp,ipv6-icmp,gre          out: the complement, strict
 *	slot 7    in: icmp,udp,ipv6-icmp,gre strict   out: the complement
 *	slot 100  in: nothing                         out: everything
 *	slot last in: everything, strict              out: ipv6-icmp
 *	past the table (slot FW_MAX_IFACES): passes everything, counts nothing
 *
 * Frames the kernel will not test-run (documented, and checked):
 *  - shorter than ETH_HLEN (14): XDP and skb test-run answer EINVAL. Only the
 *    host build sees them; it must call them malformed with no l4.
 *  - skb test-run (TC) also answers EINVAL for an untagged IPv4 frame without
 *    20 bytes of IP header, or IPv6 without 40; XDP runs them and is compared.
 *    Any other EINVAL is a failure.
 *
 * Maps are pinned under a private /sys/fs/bpf/fwctl-diff-<pid> (bpffs is
 * mounted if missing), removed at exit.
 *
 * Output (read by tests/run.sh): `ok NAME`, `FAIL NAME: WHY` + indented
 * details (the first disagreeing frames in hex), `skip NAME: WHY`; a summary
 * on stderr. Exit status 1 if anything failed. Root only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/if_ether.h> /* ethertypes in host order, for the generator */
#include <linux/magic.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw_abi.h"
#include "fw_xdp.skel.h"
#include "fw_tc.skel.h"
#include "pindir.h"

/* Its loop hints are for clang's BPF backend; gcc does not know them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "fw_parse.h"
#include "old_decide.h"
#pragma GCC diagnostic pop
#include "fw_count.h"

#define KEYS	       (FW_MAX_IFACES * FW_DIRS)
#define DEFAULT_FRAMES 100000
#define DEFAULT_SEED   0x6a09e667f3bcc908ull
/* Well under what XDP test-run takes in one page (about 3.5 KB). */
#define MAX_FRAME 1500
/* Disagreements shown per check; the rest are only counted. */
#define MAX_SHOWN 4

/* --- results (the same shape as test_prog's) ----------------------------- */

struct check {
	bool failed;
	unsigned long nfail;
	char why[256];
	char detail[16384];
	size_t dlen;
};

static int failures;

static void ck_vdetail(struct check *ck, const char *fmt, va_list ap)
{
	size_t room = sizeof(ck->detail) - ck->dlen;
	int n;

	if (room < 4)
		return;
	n = snprintf(ck->detail + ck->dlen, room, "  ");
	n += vsnprintf(ck->detail + ck->dlen + n, room - (size_t)n, fmt, ap);
	if ((size_t)n >= room - 1)
		n = (int)room - 2;
	ck->dlen += (size_t)n;
	ck->detail[ck->dlen++] = '\n';
	ck->detail[ck->dlen] = '\0';
}

static void __attribute__((format(printf, 2, 3))) ck_detail(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ck_vdetail(ck, fmt, ap);
	va_end(ap);
}

/* The first failure is the headline; later ones are detail lines. */
static void __attribute__((format(printf, 2, 3))) ck_fail(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!ck->failed)
		vsnprintf(ck->why, sizeof(ck->why), fmt, ap);
	else
		ck_vdetail(ck, fmt, ap);
	ck->failed = true;
	va_end(ap);
}

static void report(const char *name, struct check *ck)
{
	if (!ck->failed) {
		printf("ok %s\n", name);
	} else {
		failures++;
		printf("FAIL %s: %s\n%.*s", name, ck->why, (int)ck->dlen, ck->detail);
		if (ck->nfail > 1)
			printf("  (%lu disagreements in all)\n", ck->nfail);
	}
	fflush(stdout);
}

/* The frame as hex detail lines, 32 bytes a line. */
static void ck_hex(struct check *ck, const __u8 *f, size_t len)
{
	char line[80];
	size_t i, j;

	for (i = 0; i < len; i += 32) {
		for (j = 0; j < 32 && i + j < len; j++)
			snprintf(line + 2 * j, sizeof(line) - 2 * j, "%02x", f[i + j]);
		ck_detail(ck, "  %s", line);
	}
}

/* --- the PRNG (splitmix64: small, seedable, good enough) ------------------ */

static __u64 rng_state;

static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static __u32 rn(__u32 n)
{
	return n ? (__u32)(rnd() % n) : 0;
}

static bool chance(__u32 pct)
{
	return rn(100) < pct;
}

/* --- frame generator ----------------------------------------------------- */

/* What a frame was made of, for the coverage check. */
enum cls {
	C_VLAN,
	C_QINQ,
	C_VLAN3,
	C_IPV4,
	C_IPV4_OPTIONS,
	C_IPV4_FRAG_FIRST,
	C_IPV4_FRAG_MIDDLE,
	C_IPV4_FRAG_LAST,
	C_IPV6,
	C_IPV6_CHAIN,	 /* 2 to FW_MAX_EXTHDR extension headers */
	C_IPV6_OVERLONG, /* more than FW_MAX_EXTHDR */
	C_IPV6_FRAG_FIRST,
	C_IPV6_FRAG_LATER,
	C_AH,
	C_ICMP_FRAG_NEEDED,
	C_ICMPV6_ND,
	C_NONIP,
	C_TRUNCATED,
	C_BITFLIP,
	C_BYTESET,
	C_SHIFTED,
	C_RANDOM,
	C_SHORT, /* under 14 bytes: host only */
	CLASSES,
};

static const char *const cls_name[CLASSES] = {
	[C_VLAN] = "vlan",
	[C_QINQ] = "qinq",
	[C_VLAN3] = "vlan3",
	[C_IPV4] = "ipv4",
	[C_IPV4_OPTIONS] = "ipv4-options",
	[C_IPV4_FRAG_FIRST] = "ipv4-frag-first",
	[C_IPV4_FRAG_MIDDLE] = "ipv4-frag-middle",
	[C_IPV4_FRAG_LAST] = "ipv4-frag-last",
	[C_IPV6] = "ipv6",
	[C_IPV6_CHAIN] = "ipv6-chain",
	[C_IPV6_OVERLONG] = "ipv6-overlong",
	[C_IPV6_FRAG_FIRST] = "ipv6-frag-first",
	[C_IPV6_FRAG_LATER] = "ipv6-frag-later",
	[C_AH] = "ah",
	[C_ICMP_FRAG_NEEDED] = "icmp-frag-needed",
	[C_ICMPV6_ND] = "icmpv6-nd",
	[C_NONIP] = "non-ip",
	[C_TRUNCATED] = "truncated",
	[C_BITFLIP] = "bit-flips",
	[C_BYTESET] = "byte-set",
	[C_SHIFTED] = "shifted",
	[C_RANDOM] = "random",
	[C_SHORT] = "short",
};

struct frame {
	__u8 b[MAX_FRAME + 64];
	size_t n;
	size_t marks[48]; /* header boundaries, for truncation and shifts */
	int nmarks;
	__u32 cls; /* 1 << enum cls */
};

static unsigned long cls_count[CLASSES];

static void mark(struct frame *f)
{
	if (f->nmarks < (int)(sizeof(f->marks) / sizeof(f->marks[0])))
		f->marks[f->nmarks++] = f->n;
}

static void put8(struct frame *f, __u32 v)
{
	if (f->n < MAX_FRAME)
		f->b[f->n++] = (__u8)v;
}

static void put16(struct frame *f, __u32 v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void put_rand(struct frame *f, size_t len)
{
	while (len--)
		put8(f, rn(256));
}

static void set16(struct frame *f, size_t at, __u32 v)
{
	if (at + 2 <= f->n) {
		f->b[at] = (__u8)(v >> 8);
		f->b[at + 1] = (__u8)v;
	}
}

/* Protocols, weighted toward the ones the policies name. */
static __u32 pick_proto(bool v6)
{
	static const __u8 common[] = { 1, 58, 6, 17, 17, 47, 50, 51, 132, 0, 255, 2, 41, 4 };
	__u32 r = rn(100);

	if (r < 18)
		return v6 ? 58 : 1;
	if (r < 26)
		return v6 ? 1 : 58;
	if (r < 75)
		return common[rn(sizeof(common))];
	return rn(256);
}

/* The upper-layer header and some payload. */
static void put_l4(struct frame *f, __u32 proto)
{
	static const __u8 nd[] = { 2, 133, 134, 135, 136, 137 };
	static const __u8 other6[] = { 1, 128, 129, 132, 138, 139, 143 };
	__u32 t, c;

	mark(f);
	if (proto == 1) {
		switch (rn(5)) {
		case 0:
		case 1:
			t = 3, c = 4;
			f->cls |= 1u << C_ICMP_FRAG_NEEDED;
			break;
		case 2:
			t = 8, c = 0;
			break;
		case 3:
			t = 3, c = rn(16);
			break;
		default:
			t = rn(256), c = rn(256);
		}
		put8(f, t);
		put8(f, c);
		put_rand(f, 6 + rn(40));
	} else if (proto == 58) {
		switch (rn(4)) {
		case 0:
		case 1:
			t = nd[rn(sizeof(nd))];
			f->cls |= 1u << C_ICMPV6_ND;
			break;
		case 2:
			t = other6[rn(sizeof(other6))];
			break;
		default:
			t = rn(256);
		}
		put8(f, t);
		put8(f, rn(4) ? 0 : rn(256));
		put_rand(f, 6 + rn(40));
	} else {
		put_rand(f, rn(60));
	}
	mark(f);
}

static void put_ipv4(struct frame *f)
{
	size_t start = f->n, i;
	__u32 ihl = 5, proto = pick_proto(false), frag = 0, olen;
	bool first = true;

	f->cls |= 1u << C_IPV4;
	mark(f);
	if (chance(35)) {
		ihl = 6 + rn(10);
		f->cls |= 1u << C_IPV4_OPTIONS;
	}
	switch (rn(6)) {
	case 0: /* first: offset 0, more fragments */
		frag = 0x2000;
		f->cls |= 1u << C_IPV4_FRAG_FIRST;
		break;
	case 1: /* middle */
		frag = 0x2000 | (1 + rn(0x1fff));
		first = false;
		f->cls |= 1u << C_IPV4_FRAG_MIDDLE;
		break;
	case 2: /* last */
		frag = 1 + rn(0x1fff);
		first = false;
		f->cls |= 1u << C_IPV4_FRAG_LAST;
		break;
	default:
		frag = chance(50) ? 0x4000 : 0; /* DF or nothing */
	}
	put8(f, 0x40 | ihl);
	put8(f, rn(256));
	put16(f, 0); /* total length, below */
	put16(f, rn(65536));
	put16(f, frag);
	put8(f, 1 + rn(255));
	put8(f, proto);
	put16(f, 0);
	put_rand(f, 8);
	/* Options: NOPs, an end marker, record-route, or noise. */
	olen = (ihl - 5) * 4;
	for (i = 0; i < olen;) {
		__u32 k = rn(4);

		if (k == 0 || olen - i < 3) {
			put8(f, 1);
			i++;
		} else if (k == 1) {
			put8(f, 0);
			i++;
		} else if (k == 2 && olen - i >= 7) {
			put8(f, 7);
			put8(f, 7);
			put8(f, 4);
			put_rand(f, 4);
			i += 7;
		} else {
			put8(f, rn(256));
			i++;
		}
	}
	if (first)
		put_l4(f, proto);
	else
		put_rand(f, 8 + rn(40));
	set16(f, start + 2, (__u32)(f->n - start));
}

static __u32 pick_exthdr(void)
{
	static const __u8 ext[] = { 0, 43, 44, 51, 60 };

	return ext[rn(sizeof(ext))];
}

static void put_ipv6(struct frame *f)
{
	size_t start = f->n, plen_at = f->n + 4, body, i;
	__u32 n, nh, next, len;
	bool later = false;

	f->cls |= 1u << C_IPV6;
	mark(f);
	n = rn(10);
	if (n < 3)
		n = 0;
	else if (n < 8)
		n = 1 + rn(FW_MAX_EXTHDR);
	else
		n = FW_MAX_EXTHDR + 1 + rn(3);
	if (n >= 2 && n <= FW_MAX_EXTHDR)
		f->cls |= 1u << C_IPV6_CHAIN;
	if (n > FW_MAX_EXTHDR)
		f->cls |= 1u << C_IPV6_OVERLONG;

	nh = n ? pick_exthdr() : pick_proto(true);
	put16(f, 0x6000 | rn(16));
	put16(f, rn(65536));
	put16(f, 0); /* payload length, below */
	put8(f, nh);
	put8(f, 1 + rn(255));
	put_rand(f, 32);
	body = f->n;

	for (i = 0; i < n && !later; i++) {
		next = i + 1 < n ? pick_exthdr() : pick_proto(true);
		mark(f);
		if (nh == FW_IPV6_FRAGMENT) {
			__u32 off = chance(55) ? 0 : 1 + rn(0x1fff);

			put8(f, next);
			put8(f, 0);
			put16(f, off << 3 | (chance(50) ? 1 : 0));
			put_rand(f, 4);
			if (off) {
				later = true;
				f->cls |= 1u << C_IPV6_FRAG_LATER;
			} else {
				f->cls |= 1u << C_IPV6_FRAG_FIRST;
			}
		} else if (nh == FW_IPV6_AH) {
			len = chance(80) ? 1 + rn(6) : rn(256); /* (len + 2) * 4 bytes */
			put8(f, next);
			put8(f, len);
			put16(f, 0);
			put_rand(f, chance(90) ? (len + 2) * 4 - 4 : rn(40));
			f->cls |= 1u << C_AH;
		} else {
			len = chance(85) ? rn(3) : rn(256); /* (len + 1) * 8 bytes */
			put8(f, next);
			put8(f, len);
			put_rand(f, chance(90) ? (len + 1) * 8 - 2 : rn(40));
		}
		nh = next;
	}
	if (later)
		put_rand(f, 8 + rn(40));
	else
		put_l4(f, nh);
	set16(f, plen_at, (__u32)(f->n - body));
	(void)start;
}

static void put_nonip(struct frame *f)
{
	f->cls |= 1u << C_NONIP;
	put_rand(f, 28 + rn(40));
}

static void gen_valid(struct frame *f)
{
	static const __u16 nonip[] = { 0x0806, 0x88cc, 0x8035, 0x88e5, 0x0842 };
	__u32 tags, i, r, et;
	size_t et_at;

	put_rand(f, 12);
	et_at = f->n;
	put16(f, 0);
	r = rn(100);
	tags = r < 45 ? 0 : r < 70 ? 1 : r < 93 ? 2 : 3;
	if (tags == 1)
		f->cls |= 1u << C_VLAN;
	if (tags == 2)
		f->cls |= 1u << C_QINQ;
	if (tags == 3)
		f->cls |= 1u << C_VLAN3;
	r = rn(100);
	et = r < 40 ? ETH_P_IP : r < 85 ? ETH_P_IPV6 : nonip[rn(sizeof(nonip) / 2)];
	for (i = 0; i < tags; i++) {
		set16(f, et_at, chance(50) ? ETH_P_8021Q : ETH_P_8021AD);
		mark(f);
		put16(f, rn(65536));
		et_at = f->n;
		put16(f, 0);
	}
	set16(f, et_at, et);
	if (et == ETH_P_IP)
		put_ipv4(f);
	else if (et == ETH_P_IPV6)
		put_ipv6(f);
	else
		put_nonip(f);
}

static void mutate(struct frame *f)
{
	static const __u8 telling[] = { 0x00, 0xff, 0x81, 0x88, 0xa8, 0x86, 0xdd, 0x08, 0x2c,
					0x3a, 0x33, 0x3c, 0x2b, 0x45, 0x4f, 0x60, 0x01, 0x11 };
	size_t at, lim, i, n;

	if (chance(25) && f->n > 0) {
		/* Mostly at a header boundary, give or take a few bytes. */
		if (f->nmarks && chance(75))
			at = f->marks[rn((__u32)f->nmarks)] + rn(9);
		else
			at = rn((__u32)f->n);
		at = at >= 4 ? at - 4 : 0;
		if (at < f->n) {
			f->n = at;
			f->cls |= 1u << C_TRUNCATED;
		}
	}
	lim = f->n < 128 ? f->n : 128; /* the headers, where a flip matters */
	if (chance(20) && lim) {
		n = 1 + rn(4);
		for (i = 0; i < n; i++)
			f->b[rn((__u32)lim)] ^= (__u8)(1u << rn(8));
		f->cls |= 1u << C_BITFLIP;
	}
	if (chance(12) && lim) {
		f->b[rn((__u32)lim)] = telling[rn(sizeof(telling))];
		f->cls |= 1u << C_BYTESET;
	}
	if (chance(5) && f->nmarks && f->n + 4 < MAX_FRAME) {
		at = f->marks[rn((__u32)f->nmarks)];
		if (at < f->n) {
			if (chance(50)) {
				memmove(f->b + at + 4, f->b + at, f->n - at);
				for (i = 0; i < 4; i++)
					f->b[at + i] = (__u8)rn(256);
				f->n += 4;
			} else if (at + 4 <= f->n) {
				memmove(f->b + at, f->b + at + 4, f->n - at - 4);
				f->n -= 4;
			}
			f->cls |= 1u << C_SHIFTED;
		}
	}
}

static void gen_random(struct frame *f)
{
	static const __u16 types[] = { ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q, ETH_P_8021AD };

	f->cls |= 1u << C_RANDOM;
	f->n = 0;
	put_rand(f, 14 + rn(120));
	if (chance(60))
		set16(f, 12, types[rn(4)]);
	if (chance(40) && f->n > 18) /* IP version nibble behind one tag or none */
		f->b[14] = (__u8)((chance(50) ? 0x40 : 0x60) | (f->b[14] & 0xf));
}

static void gen_frame(struct frame *f)
{
	__u32 r = rn(100);

	f->n = 0;
	f->nmarks = 0;
	f->cls = 0;
	if (r < 10) {
		gen_random(f);
	} else {
		gen_valid(f);
		if (r >= 30) /* 70% of all frames are mutated */
			mutate(f);
	}
	if (f->n < FW_ETH_HLEN)
		f->cls |= 1u << C_SHORT;
}

/* --- BPF side: bpffs, instances, maps ------------------------------------ */

enum prog {
	P_XDP,
	P_TC_IN,
	P_TC_OUT,
	PROGS,
};

static const char *const prog_name[PROGS] = { "xdp", "tc-in", "tc-out" };
static const __u32 prog_dir[PROGS] = { FW_DIR_IN, FW_DIR_IN, FW_DIR_OUT };

struct inst {
	__u32 slot;
	struct fw_policy pol[FW_DIRS];
	struct fw_xdp *xdp;
	struct fw_tc *tc;
};

#define NINST 5
static struct inst insts[NINST];
static int policy_fd = -1, counters_fd = -1;
static int ncpus;
static __u8 *valbuf; /* one key's per-CPU values */
static int pin_cpu;  /* where every test-run runs */

/* The model's counts of every key, by kind; the policies as compiled. */
static struct fw_counter (*model)[FW_IDX_SUMS];
static struct fw_compiled *cpol;

static void on_signal(int sig)
{
	pindir_remove();
	signal(sig, SIG_DFL);
	raise(sig);
}

static struct fw_policy pol_of(const int *protos, bool strict)
{
	struct fw_policy p = { 0 };

	for (; *protos >= 0; protos++)
		p.blocked[*protos >> 6] |= 1ull << (*protos & 63);
	p.flags = strict ? FW_POLICY_STRICT : 0;
	return p;
}

static struct fw_policy pol_not(struct fw_policy p)
{
	int i;

	for (i = 0; i < 4; i++)
		p.blocked[i] = ~p.blocked[i];
	p.flags ^= FW_POLICY_STRICT;
	return p;
}

static struct fw_policy pol_all(bool strict)
{
	struct fw_policy p;

	memset(p.blocked, 0xff, sizeof(p.blocked));
	p.flags = strict ? FW_POLICY_STRICT : 0;
	return p;
}

static void setup_policies(void)
{
	static const int base[] = { 1, 17, 58, 47, -1 };
	static const int none[] = { -1 };
	static const int icmp6[] = { 58, -1 };

	insts[0].slot = 3;
	insts[0].pol[FW_DIR_IN] = pol_of(base, false);
	insts[0].pol[FW_DIR_OUT] = pol_not(insts[0].pol[FW_DIR_IN]);
	insts[1].slot = 7;
	insts[1].pol[FW_DIR_IN] = pol_of(base, true);
	insts[1].pol[FW_DIR_OUT] = pol_not(insts[1].pol[FW_DIR_IN]);
	insts[2].slot = 100;
	insts[2].pol[FW_DIR_IN] = pol_of(none, false);
	insts[2].pol[FW_DIR_OUT] = pol_all(false);
	insts[3].slot = FW_MAX_IFACES - 1;
	insts[3].pol[FW_DIR_IN] = pol_all(true);
	insts[3].pol[FW_DIR_OUT] = pol_of(icmp6, false);
	insts[4].slot = FW_MAX_IFACES; /* no key: the lookups fail */
}

static int write_policies(char *why, size_t len)
{
	struct fw_policy other = pol_all(true);
	__u32 key, slot, dir;
	int i, err;

	for (key = 0; key < KEYS; key++) {
		const struct fw_policy *p = &other;

		slot = key / FW_DIRS;
		dir = key % FW_DIRS;
		for (i = 0; i < NINST; i++)
			if (insts[i].slot == slot)
				p = &insts[i].pol[dir];
		memset(&cpol[key], 0, sizeof(cpol[key]));
		cpol[key].set = *p;
		fw_policy_compile(&cpol[key], 1);
		err = bpf_map_update_elem(policy_fd, &key, &cpol[key], BPF_ANY);
		if (err) {
			snprintf(why, len, "cannot write fw_policy[%u]: %s", key, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int load_inst(struct inst *in, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	in->xdp = fw_xdp__open_opts(&opts);
	in->tc = fw_tc__open_opts(&opts);
	if (!in->xdp || !in->tc) {
		snprintf(why, len, "cannot open skeletons: %s", strerror(errno));
		return -1;
	}
	in->xdp->rodata->fw_slot = in->slot;
	in->tc->rodata->fw_slot = in->slot;
	err = fw_xdp__load(in->xdp);
	if (!err)
		err = fw_tc__load(in->tc);
	if (err) {
		snprintf(why, len, "cannot load programs for slot %u: %s", in->slot,
			 strerror(-err));
		return -1;
	}
	return 0;
}

static int prog_fd(const struct inst *in, enum prog p)
{
	if (p == P_XDP)
		return bpf_program__fd(in->xdp->progs.fw_xdp);
	if (p == P_TC_IN)
		return bpf_program__fd(in->tc->progs.fw_tc_in);
	return bpf_program__fd(in->tc->progs.fw_tc_out);
}

static __u32 prog_retval(enum prog p, int verdict)
{
	if (p == P_XDP)
		return verdict == FW_DROP ? XDP_DROP : XDP_PASS;
	return verdict == FW_DROP ? TC_ACT_SHOT : (__u32)TC_ACT_UNSPEC;
}

/* key's counters summed over every possible CPU, by kind. */
static int read_key(__u32 key, struct fw_counter sum[FW_IDX_SUMS])
{
	int cpu;

	if (bpf_map_lookup_elem(counters_fd, &key, valbuf))
		return -errno;
	memset(sum, 0, sizeof(struct fw_counter) * FW_IDX_SUMS);
	for (cpu = 0; cpu < ncpus; cpu++)
		fw_counters_add(sum, cpol[key].owner,
				(const void *)(valbuf + (size_t)cpu * sizeof(struct fw_counters)));
	return 0;
}

static const char *idx_name(__u32 idx, char *buf, size_t len)
{
	if (idx == FW_IDX_NONIP)
		return "non-ip";
	if (idx == FW_IDX_MALFORMED)
		return "malformed";
	if (idx == FW_IDX_OTHER)
		return "other";
	snprintf(buf, len, "proto %u", idx);
	return buf;
}

/* Compares key's counters with the model; on a difference, says which kinds
 * differ and takes the kernel's cells so one slip is reported once. */
static int check_key(struct check *ck, __u32 key, bool show)
{
	struct fw_counter got[FW_IDX_SUMS], *want = model[key];
	char n1[32];
	__u32 i;
	int v, bad = 0, err;

	err = read_key(key, got);
	if (err) {
		ck_fail(ck, "cannot read fw_counters[%u]: %s", key, strerror(-err));
		return 1;
	}
	if (!memcmp(got, want, sizeof(got)))
		return 0;
	for (i = 0; i < FW_IDX_SUMS; i++)
		for (v = 0; v < FW_VERDICTS; v++) {
			const struct fw_counter *w = &want[i], *g = &got[i];

			if (w->packets[v] == g->packets[v] && w->bytes[v] == g->bytes[v])
				continue;
			bad++;
			if (show)
				ck_detail(ck,
					  "counter key %u (slot %u %s) %s %s: kernel %llu packets "
					  "%llu bytes, host %llu packets %llu bytes",
					  key, key / FW_DIRS, key % FW_DIRS ? "out" : "in",
					  idx_name(i, n1, sizeof(n1)), v ? "drop" : "pass",
					  (unsigned long long)g->packets[v],
					  (unsigned long long)g->bytes[v],
					  (unsigned long long)w->packets[v],
					  (unsigned long long)w->bytes[v]);
		}
	memcpy(model[key], got, sizeof(got));
	return bad;
}

/* --- the runs ------------------------------------------------------------ */

static bool short_untagged_ip(const __u8 *f, size_t n)
{
	__u16 et;

	if (n < FW_ETH_HLEN)
		return false;
	et = (__u16)(f[12] << 8 | f[13]);
	return (et == ETH_P_IP && n < FW_ETH_HLEN + FW_IPV4_HLEN) ||
	       (et == ETH_P_IPV6 && n < FW_ETH_HLEN + FW_IPV6_HLEN);
}

struct tally {
	unsigned long runs, refused, refused_short, idx_malformed, idx_nonip, idx_proto;
	unsigned long verdict[FW_VERDICTS];
	unsigned long exempt_pass; /* blocked ICMP/ICMPv6 passed by the exemption */
	unsigned long strict_drop; /* ... and the same type dropped when strict */
	unsigned long malformed_drop, malformed_pass;
};

static struct tally tally;
static struct check ck_prog[PROGS];

/* The compiled policy gave this kind and verdict a cell of its own. */
static bool own_row(const struct fw_compiled *c, __u32 idx, int verdict)
{
	for (int i = 0; i < FW_CELLS; i++)
		if (c->owner[i] == fw_owner(idx, (__u32)verdict))
			return true;
	return false;
}

/* One frame through one instance's program; false if it disagreed. */
static bool run_one(struct inst *in, enum prog p, const struct frame *f, unsigned long seq)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (__u32)f->n,
		    .repeat = 1);
	struct check *ck = &ck_prog[p];
	const struct fw_policy *pol = NULL;
	__u32 dir = prog_dir[p], key = fw_key(in->slot, dir), idx, want_ret;
	const __u8 *l4;
	char n1[32];
	int verdict, err, bad = 0;
	bool show;

	idx = od_parse(f->b, f->b + f->n, &l4);
	if (in->slot < FW_MAX_IFACES)
		pol = &in->pol[dir];
	verdict = pol ? od_decide(pol, idx, l4, f->b + f->n) : FW_PASS;

	err = bpf_prog_test_run_opts(prog_fd(in, p), &opts);
	show = ck->nfail < MAX_SHOWN;
	if (err == -EINVAL && f->n < FW_ETH_HLEN) {
		/* Only the host sees it: it must be malformed, with no l4. */
		tally.refused_short++;
		if (idx == FW_IDX_MALFORMED && !l4)
			return true;
		ck->nfail++;
		if (show)
			ck_fail(ck,
				"frame %lu (%zu bytes): host parse gave %s%s, expected malformed",
				seq, f->n, idx_name(idx, n1, sizeof(n1)), l4 ? " with l4" : "");
		return false;
	}
	if (err == -EINVAL && p != P_XDP && short_untagged_ip(f->b, f->n)) {
		tally.refused++;
		return true;
	}
	tally.runs++;
	if (err) {
		ck->nfail++;
		if (show) {
			ck_fail(ck, "frame %lu (%zu bytes): BPF_PROG_TEST_RUN failed: %s", seq,
				f->n, strerror(-err));
			ck_hex(ck, f->b, f->n);
		}
		return false;
	}
	if (pol) {
		__u32 row = own_row(&cpol[key], idx, verdict) ? idx : FW_IDX_OTHER;

		model[key][row].packets[verdict]++;
		model[key][row].bytes[verdict] += f->n;
		if (idx < 256 && (pol->blocked[idx >> 6] >> (idx & 63) & 1) && verdict == FW_PASS)
			tally.exempt_pass++;
		if (idx < 256 && (pol->flags & FW_POLICY_STRICT) && verdict == FW_DROP) {
			struct fw_policy lax = *pol;

			lax.flags = 0;
			if (od_decide(&lax, idx, l4, f->b + f->n) == FW_PASS)
				tally.strict_drop++;
		}
		if (idx == FW_IDX_MALFORMED)
			verdict == FW_DROP ? tally.malformed_drop++ : tally.malformed_pass++;
	}
	tally.verdict[verdict]++;
	if (idx == FW_IDX_MALFORMED)
		tally.idx_malformed++;
	else if (idx == FW_IDX_NONIP)
		tally.idx_nonip++;
	else
		tally.idx_proto++;

	want_ret = prog_retval(p, verdict);
	if (opts.retval != want_ret) {
		bad++;
		if (show)
			ck_fail(ck,
				"frame %lu (%zu bytes), slot %u: program returned %d, host says %s",
				seq, f->n, in->slot, (int)opts.retval,
				verdict == FW_DROP ? "drop" : "pass");
	}
	if (in->slot < FW_MAX_IFACES) {
		/* Both directions: a count in the wrong one shows here too. */
		int moved = check_key(ck, fw_key(in->slot, FW_DIR_IN), show) +
			    check_key(ck, fw_key(in->slot, FW_DIR_OUT), show);

		if (moved) {
			bad++;
			if (show)
				ck_fail(ck,
					"frame %lu (%zu bytes), slot %u: counters differ from the "
					"host's",
					seq, f->n, in->slot);
		}
	}
	if (!bad)
		return true;
	ck->nfail++;
	ck->failed = true;
	if (show) {
		char at[32] = "none";

		if (l4)
			snprintf(at, sizeof(at), "offset %ld", (long)(l4 - f->b));
		ck_detail(ck, "frame %lu, slot %u %s: host parse %s, l4 %s, verdict %s", seq,
			  in->slot, prog_name[p], idx_name(idx, n1, sizeof(n1)), at,
			  verdict == FW_DROP ? "drop" : "pass");
		ck_hex(ck, f->b, f->n);
	}
	return false;
}

/* Frames under 14 bytes: only the host build can be asked; both test-runs
 * must refuse them (or, should a kernel ever accept one, agree). */
static void run_short(void)
{
	struct check ck = { 0 };
	struct frame f;
	const __u8 *l4;
	__u32 idx;
	int i, p, err;
	unsigned long n = 0;

	for (i = 0; i < 400; i++) {
		f.n = (size_t)(i % FW_ETH_HLEN);
		f.nmarks = 0;
		f.cls = 1u << C_SHORT;
		for (size_t j = 0; j < f.n; j++)
			f.b[j] = (__u8)rn(256);
		/* What follows the window must not matter: make it look like IP. */
		memset(f.b + f.n, 0, 64);
		if (f.n <= 12)
			f.b[12] = 0x08;
		idx = od_parse(f.b, f.b + f.n, &l4);
		if (idx != FW_IDX_MALFORMED || l4) {
			ck.nfail++;
			ck_fail(&ck, "%zu-byte frame: host parse gave %u%s, expected malformed",
				f.n, idx, l4 ? " with l4 set" : "");
		}
		for (p = 0; p < PROGS; p++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b,
				    .data_size_in = (__u32)f.n, .repeat = 1);

			err = bpf_prog_test_run_opts(prog_fd(&insts[0], p), &opts);
			if (err == -EINVAL)
				continue;
			if (err) {
				ck.nfail++;
				ck_fail(&ck, "%zu-byte frame: %s test-run failed with %s", f.n,
					prog_name[p], strerror(-err));
				continue;
			}
			/* Accepted: then it must be counted as the host says. */
			if (!run_one(&insts[0], p, &f, 0))
				ck_fail(&ck, "%zu-byte frame accepted by %s test-run and disagreed",
					f.n, prog_name[p]);
		}
		n++;
	}
	cls_count[C_SHORT] += n;
	report("test_diff/short-frames", &ck);
}

static void run_coverage(void)
{
	struct check ck = { 0 };
	int c;

	for (c = 0; c < CLASSES; c++)
		if (!cls_count[c])
			ck_fail(&ck, "no %s frame was generated", cls_name[c]);
	if (!tally.verdict[FW_DROP] || !tally.verdict[FW_PASS])
		ck_fail(&ck, "verdicts not all seen: %lu drop, %lu pass", tally.verdict[FW_DROP],
			tally.verdict[FW_PASS]);
	if (!tally.malformed_drop || !tally.malformed_pass)
		ck_fail(&ck, "malformed frames: %lu dropped, %lu passed; need both",
			tally.malformed_drop, tally.malformed_pass);
	if (!tally.exempt_pass || !tally.strict_drop)
		ck_fail(&ck, "ICMP exemption: %lu passed, %lu dropped when strict; need both",
			tally.exempt_pass, tally.strict_drop);
	if (!tally.idx_nonip)
		ck_fail(&ck, "no frame counted as non-IP");
	report("test_diff/coverage", &ck);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "test_diff: bad %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

int main(void)
{
	unsigned long nframes = env_ul("FW_DIFF_FRAMES", DEFAULT_FRAMES);
	__u64 seed = env_ul("FW_DIFF_SEED", DEFAULT_SEED);
	struct check ck_keys = { 0 };
	char why[512] = "";
	struct frame *f = NULL;
	cpu_set_t cpus;
	unsigned long i;
	__u32 key;
	int n, p, c, ret = 1;

	if (geteuid() != 0) {
		printf("skip test_diff: needs root to load BPF programs\n");
		return 0;
	}
	libbpf_set_print(libbpf_quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal); /* output piped to head: still clean up */
	rng_state = seed;

	/* One CPU: the kernel then fills that CPU's cells in the host's order. */
	pin_cpu = sched_getcpu();
	CPU_ZERO(&cpus);
	CPU_SET(pin_cpu, &cpus);
	if (pin_cpu < 0 || sched_setaffinity(0, sizeof(cpus), &cpus)) {
		snprintf(why, sizeof(why), "cannot stay on one CPU: %s", strerror(errno));
		goto fail;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		snprintf(why, sizeof(why), "cannot count CPUs: %s", strerror(-ncpus));
		goto fail;
	}
	valbuf = calloc((size_t)ncpus, sizeof(struct fw_counters));
	model = calloc(KEYS, sizeof(*model));
	cpol = calloc(KEYS, sizeof(*cpol));
	f = calloc(1, sizeof(*f));
	if (!valbuf || !model || !cpol || !f) {
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	if (pindir_make("diff", why, sizeof(why)))
		goto fail;
	atexit(pindir_remove);
	setup_policies();
	for (n = 0; n < NINST; n++)
		if (load_inst(&insts[n], why, sizeof(why)))
			goto fail;
	policy_fd = bpf_map__fd(insts[0].xdp->maps.fw_policy);
	counters_fd = bpf_map__fd(insts[0].xdp->maps.fw_counters);
	if (write_policies(why, sizeof(why)))
		goto fail;

	for (i = 1; i <= nframes; i++) {
		gen_frame(f);
		for (c = 0; c < CLASSES; c++)
			if (f->cls & (1u << c))
				cls_count[c]++;
		for (n = 0; n < NINST; n++)
			for (p = 0; p < PROGS; p++)
				run_one(&insts[n], p, f, i);
	}
	for (p = 0; p < PROGS; p++) {
		char name[64];

		snprintf(name, sizeof(name), "test_diff/%s", prog_name[p]);
		report(name, &ck_prog[p]);
	}

	run_short();

	/* Every key, including the ones no instance serves. */
	for (key = 0; key < KEYS; key++)
		if (check_key(&ck_keys, key, true))
			ck_fail(&ck_keys, "fw_counters[%u] is not what the host expects", key);
	report("test_diff/all-keys", &ck_keys);
	run_coverage();

	fprintf(stderr,
		"test_diff: seed %#llx, %lu frames x %d instances x %d programs: %lu test-runs "
		"(%lu drop, %lu pass; %lu malformed = %lu dropped + %lu passed, %lu non-ip, "
		"%lu by protocol; %lu passed by the ICMP exemption, %lu dropped as strict); "
		"refused: %lu runs of frames under 14 bytes, %lu skb runs of short IP\n",
		(unsigned long long)seed, nframes, NINST, PROGS, tally.runs, tally.verdict[FW_DROP],
		tally.verdict[FW_PASS], tally.idx_malformed, tally.malformed_drop,
		tally.malformed_pass, tally.idx_nonip, tally.idx_proto, tally.exempt_pass,
		tally.strict_drop, tally.refused_short, tally.refused);
	/* The cell bound must have been crossed, or "other" went untested. */
	{
		struct fw_counter sums[FW_IDX_SUMS] = { 0 };
		struct check ck_other = { 0 };

		for (key = 0; key < KEYS; key++)
			for (c = 0; c < FW_IDX_SUMS; c++)
				for (int v = 0; v < FW_VERDICTS; v++)
					sums[c].packets[v] += model[key][c].packets[v];
		fprintf(stderr, "test_diff: %llu + %llu packets counted as other (of %d cells)\n",
			(unsigned long long)sums[FW_IDX_OTHER].packets[FW_PASS],
			(unsigned long long)sums[FW_IDX_OTHER].packets[FW_DROP], FW_CELLS);
		if (!sums[FW_IDX_OTHER].packets[FW_PASS] || !sums[FW_IDX_OTHER].packets[FW_DROP])
			ck_fail(&ck_other,
				"no frame was counted as other, passed and dropped: the shared "
				"rows went untested");
		report("test_diff/cells-past-bound", &ck_other);
	}
	fprintf(stderr, "test_diff: frames by class:");
	for (c = 0; c < CLASSES; c++)
		fprintf(stderr, " %s %lu", cls_name[c], cls_count[c]);
	fprintf(stderr, "\n");
	ret = failures ? 1 : 0;
	goto out;
fail:
	printf("FAIL test_diff/setup: %s\n", why);
out:
	for (n = 0; n < NINST; n++) {
		fw_xdp__destroy(insts[n].xdp);
		fw_tc__destroy(insts[n].tc);
	}
	free(valbuf);
	free(model);
	free(cpol);
	free(f);
	pindir_remove();
	return ret;
}
