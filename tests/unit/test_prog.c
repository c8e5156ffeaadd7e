// SPDX-License-Identifier: GPL-2.0
/*
 * test_prog - the real fw_xdp, fw_tc_in and fw_tc_out programs, loaded into
 * the kernel and run with BPF_PROG_TEST_RUN on crafted frames. Each case
 * states a frame, the protocols its direction blocks, what the frame must
 * count as and the verdict; the test checks the program's return value and
 * that exactly one counter cell of one slot and direction moved, by one
 * packet and the frame's length in bytes.
 *
 * A third part fills one slot's counter cells past their bound, blocks,
 * unblocks and resets, and fakes the states a reset racing the program can
 * leave: every count must stay with its kind, or go to "other", never be
 * lost or given to another kind.
 *
 * Test-run builds linear frames only, so the TC pull path is covered by a
 * second part: a veth pair between two namespaces of our own, AF_PACKET
 * senders that make paged skbs (a TX ring as trafgen uses, and sends of a
 * page or more), and a probe program ahead of fwctl's that proves the
 * headers really were outside the linear area.
 *
 * Output (read by tests/run.sh): `ok NAME`, `FAIL NAME: WHY` plus detail
 * lines indented by two spaces, or `skip NAME: WHY`; nothing else on stdout.
 * Exit status 1 if anything failed. Root only.
 */
#define _GNU_SOURCE /* setns() */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/magic.h>
#include <linux/virtio_net.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw_abi.h"
#include "fw_xdp.skel.h"
#include "fw_tc.skel.h"
#include "pindir.h"
#include "frames.h"
#include "fw_count.h"

/* The parser is plain C so it also builds here: that is the only way to feed
 * it fewer than the 14 bytes BPF_PROG_TEST_RUN insists on. Its loop hints are
 * for clang's BPF backend; gcc does not know them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#include "fw_parse.h"
#pragma GCC diagnostic pop

#define KEYS (FW_MAX_IFACES * FW_DIRS)
/* What a case expects when no counter may move at all. */
#define NO_COUNT FW_IDX_SUMS

enum hook {
	HOOK_XDP,
	HOOK_TC_OUT,
	HOOK_TC_IN,
	HOOKS,
};

#define H_XDP	 (1u << HOOK_XDP)
#define H_TC_OUT (1u << HOOK_TC_OUT)
#define H_TC_IN	 (1u << HOOK_TC_IN)
#define H_ALL	 (H_XDP | H_TC_OUT | H_TC_IN)

static const char *const hook_name[HOOKS] = { "xdp", "tc-out", "tc-in" };
static const __u32 hook_dir[HOOKS] = { FW_DIR_IN, FW_DIR_OUT, FW_DIR_IN };

/* One program instance per slot, as fwctl makes one per interface. The last
 * one sits past the table: it must pass everything and count nothing. Slots 2
 * and 3 serve the veth pair of the non-linear part. */
static const __u32 slots[] = { 0, 1, 2, 3, 4, 5, FW_MAX_IFACES - 1, FW_MAX_IFACES };
#define NSLOTS	      (sizeof(slots) / sizeof(slots[0]))
#define SLOT_VETH_OUT 2
#define SLOT_VETH_IN  3
/* Slots 4 and 5 serve the counter cell part. */
#define SLOT_CELLS_A 4
#define SLOT_CELLS_B 5

struct inst {
	struct fw_xdp *xdp;
	struct fw_tc *tc;
};

static struct inst insts[NSLOTS];
static int policy_fd = -1, counters_fd = -1;
static int ncpus;
static int failures;
static char ns_a[32], ns_b[32];

/* --- results ------------------------------------------------------------- */

struct check {
	bool failed;
	bool skipped; /* not exercised, for the reason in why */
	char why[256];
	char detail[4096];
	size_t dlen;
};

/* One indented detail line; what does not fit is cut, not overrun. */
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

/* The first failure is the headline, later ones become detail lines. */
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

static void __attribute__((format(printf, 2, 3))) ck_detail(struct check *ck, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ck_vdetail(ck, fmt, ap);
	va_end(ap);
}

static void report(const char *name, const struct check *ck)
{
	if (!ck->failed && ck->skipped) {
		printf("skip %s: %s\n", name, ck->why);
	} else if (!ck->failed) {
		printf("ok %s\n", name);
	} else {
		failures++;
		printf("FAIL %s: %s\n%.*s", name, ck->why, (int)ck->dlen, ck->detail);
	}
	fflush(stdout);
}

static void skip(const char *name, const char *why)
{
	printf("skip %s: %s\n", name, why);
	fflush(stdout);
}

/* --- names for details --------------------------------------------------- */

static const struct {
	const char *name;
	int proto;
} protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 },	{ "udp", 17 },	 { "gre", 47 },
	{ "esp", 50 }, { "ah", 51 },  { "icmpv6", 58 }, { "sctp", 132 },
};

static const char *idx_name(__u32 idx, char *buf, size_t len)
{
	size_t i;

	if (idx == FW_IDX_NONIP)
		return "non-ip";
	if (idx == FW_IDX_MALFORMED)
		return "malformed";
	if (idx == FW_IDX_OTHER)
		return "other";
	if (idx >= FW_IDX_SUMS)
		return "none";
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == (int)idx) {
			snprintf(buf, len, "%u (%s)", idx, protos[i].name);
			return buf;
		}
	snprintf(buf, len, "%u", idx);
	return buf;
}

static const char *verdict_name(int v)
{
	return v == FW_DROP ? "drop" : "pass";
}

/* "icmp,tcp", "58", "all" or "": the protocols a direction blocks, and
 * "strict" for the policy flag. A typo is a broken table, so it stops the
 * program rather than test something else. */
static struct fw_policy policy_parse(const char *s)
{
	struct fw_policy pol = { 0 };
	char buf[256], *tok, *save = NULL, *end;
	unsigned long n;
	size_t i;
	int p;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			memset(pol.blocked, 0xff, sizeof(pol.blocked));
			continue;
		}
		if (!strcmp(tok, "strict")) { /* no ICMP anti-lockout exemptions */
			pol.flags |= FW_POLICY_STRICT;
			continue;
		}
		p = -1;
		for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (!strcmp(tok, protos[i].name))
				p = protos[i].proto;
		if (p < 0) {
			n = strtoul(tok, &end, 10);
			if (*end || n > 255) {
				fprintf(stderr, "test_prog: bad protocol '%s' in table\n", tok);
				exit(2);
			}
			p = (int)n;
		}
		pol.blocked[p >> 6] |= 1ull << (p & 63);
	}
	return pol;
}

static struct fw_policy policy_not(struct fw_policy pol)
{
	size_t i;

	for (i = 0; i < sizeof(pol.blocked) / sizeof(pol.blocked[0]); i++)
		pol.blocked[i] = ~pol.blocked[i];
	pol.flags ^= FW_POLICY_STRICT;
	return pol;
}

/* --- state: bpffs, programs, maps, namespaces ----------------------------- */

static void netns_del(const char *name)
{
	char path[PATH_MAX];

	if (!name[0])
		return;
	/* What `ip netns del` does, in calls a signal handler may make. */
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* Only what this process made: its pin directory and its namespaces. */
static void cleanup_fs(void)
{
	netns_del(ns_a);
	netns_del(ns_b);
	pindir_remove();
}

static void on_signal(int sig)
{
	cleanup_fs();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int load_inst(struct inst *in, __u32 slot, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	in->xdp = fw_xdp__open_opts(&opts);
	in->tc = fw_tc__open_opts(&opts);
	if (!in->xdp || !in->tc) {
		snprintf(why, len, "cannot open skeletons: %s", strerror(errno));
		return -1;
	}
	in->xdp->rodata->fw_slot = slot;
	in->tc->rodata->fw_slot = slot;
	err = fw_xdp__load(in->xdp);
	if (!err)
		err = fw_tc__load(in->tc);
	if (err) {
		snprintf(why, len, "cannot load programs for slot %u: %s", slot, strerror(-err));
		return -1;
	}
	return 0;
}

static int prog_fd(unsigned int si, enum hook h)
{
	switch (h) {
	case HOOK_XDP:
		return bpf_program__fd(insts[si].xdp->progs.fw_xdp);
	case HOOK_TC_OUT:
		return bpf_program__fd(insts[si].tc->progs.fw_tc_out);
	default:
		return bpf_program__fd(insts[si].tc->progs.fw_tc_in);
	}
}

static int slot_index(__u32 slot)
{
	unsigned int i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i] == slot)
			return (int)i;
	fprintf(stderr, "test_prog: slot %u has no program instance\n", slot);
	exit(2);
}

/* Every key's policy as written, compiled as fwctl compiles it: the map
 * holds the same, and readers attribute cells by its owner[]. */
static struct fw_compiled cpol[KEYS];

/* keep 0 frees retired cells: only after the counters were zeroed. */
static int set_policy_keep(__u32 slot, __u32 dir, const struct fw_policy *pol, int keep)
{
	__u32 key = fw_key(slot, dir);

	if (slot >= FW_MAX_IFACES)
		return 0;
	cpol[key].set = *pol;
	fw_policy_compile(&cpol[key], keep);
	return bpf_map_update_elem(policy_fd, &key, &cpol[key], BPF_ANY);
}

static int set_policy(__u32 slot, __u32 dir, const struct fw_policy *pol)
{
	return set_policy_keep(slot, dir, pol, 1);
}

/* The row a frame of kind idx with verdict v counts in: its own where the
 * compiled policy gave it a cell, "other" where it shares. */
static __u32 row_of(__u32 key, __u32 idx, int v)
{
	for (int c = 0; c < FW_CELLS; c++)
		if (cpol[key].owner[c] == fw_owner(idx, (__u32)v))
			return idx;
	return FW_IDX_OTHER;
}

/* The tested slot and direction get pol, every other one the complement: a
 * program that read the wrong direction or slot would flip its verdict. */
static int set_policies(__u32 slot, __u32 dir, const struct fw_policy *pol)
{
	struct fw_policy inv = policy_not(*pol);
	unsigned int i;
	__u32 d;
	int err;

	for (i = 0; i < NSLOTS; i++)
		for (d = 0; d < FW_DIRS; d++) {
			err = set_policy(slots[i], d, slots[i] == slot && d == dir ? pol : &inv);
			if (err)
				return err;
		}
	return 0;
}

/* --- counters ------------------------------------------------------------ */

/* Every slot's counters on every CPU, as read from the map. */
struct snap {
	__u8 *raw;
};

/* Counters before and after one frame; reused, they are megabytes each. */
static struct snap before, after;

static int snap_take(struct snap *s)
{
	__u32 key;

	if (!s->raw) {
		s->raw = malloc((size_t)KEYS * ncpus * sizeof(struct fw_counters));
		if (!s->raw)
			return -ENOMEM;
	}
	for (key = 0; key < KEYS; key++)
		if (bpf_map_lookup_elem(counters_fd, &key,
					s->raw + (size_t)key * ncpus * sizeof(struct fw_counters)))
			return -errno;
	return 0;
}

/* One key's counters on every CPU, summed by kind. */
static void snap_sums(const struct snap *s, __u32 key, struct fw_counter sums[FW_IDX_SUMS])
{
	int cpu;

	memset(sums, 0, sizeof(*sums) * FW_IDX_SUMS);
	for (cpu = 0; cpu < ncpus; cpu++)
		fw_counters_add(sums, cpol[key].owner,
				(const void *)(s->raw + ((size_t)key * ncpus + cpu) *
								sizeof(struct fw_counters)));
}

struct cell {
	__u32 slot, dir, idx;
	int verdict;
	__u64 packets, bytes;
};

#define MAX_CELLS 8

/* Checks that the kinds in want moved by exactly their amounts and that no
 * other kind of any slot moved at all. Returns the number of wrong ones. */
static int check_counters(struct check *ck, const struct snap *a, const struct snap *b,
			  const struct cell *want, int nwant)
{
	static struct fw_counter sa[FW_IDX_SUMS], sb[FW_IDX_SUMS];
	char n1[32];
	size_t one = (size_t)ncpus * sizeof(struct fw_counters);
	bool seen[MAX_CELLS] = { false };
	int bad = 0, i, v;
	__u64 dp, db;
	__u32 key, idx;

	for (key = 0; key < KEYS; key++) {
		if (!memcmp(a->raw + key * one, b->raw + key * one, one))
			continue;
		snap_sums(a, key, sa);
		snap_sums(b, key, sb);
		for (idx = 0; idx < FW_IDX_SUMS; idx++)
			for (v = 0; v < FW_VERDICTS; v++) {
				dp = sb[idx].packets[v] - sa[idx].packets[v];
				db = sb[idx].bytes[v] - sa[idx].bytes[v];
				if (!dp && !db)
					continue;
				for (i = 0; i < nwant; i++)
					if (fw_key(want[i].slot, want[i].dir) == key &&
					    row_of(key, want[i].idx, want[i].verdict) == idx &&
					    want[i].verdict == v)
						break;
				if (i < nwant) {
					seen[i] = true;
					if (dp == want[i].packets && db == want[i].bytes)
						continue;
				}
				bad++;
				if (i < nwant)
					ck_fail(ck,
						"counter slot %u %s %s %s moved by %llu packets "
						"%llu "
						"bytes, expected %llu packets %llu bytes",
						want[i].slot,
						want[i].dir == FW_DIR_IN ? "in" : "out",
						idx_name(idx, n1, sizeof(n1)), verdict_name(v),
						(unsigned long long)dp, (unsigned long long)db,
						(unsigned long long)want[i].packets,
						(unsigned long long)want[i].bytes);
				else
					ck_fail(ck,
						"counter slot %u %s %s %s moved by %llu packets "
						"%llu "
						"bytes, expected no change",
						key / FW_DIRS,
						key % FW_DIRS == FW_DIR_IN ? "in" : "out",
						idx_name(idx, n1, sizeof(n1)), verdict_name(v),
						(unsigned long long)dp, (unsigned long long)db);
			}
	}
	for (i = 0; i < nwant; i++) {
		if (seen[i])
			continue;
		bad++;
		ck_fail(ck,
			"counter slot %u %s %s %s did not move, expected %llu packets %llu bytes",
			want[i].slot, want[i].dir == FW_DIR_IN ? "in" : "out",
			idx_name(want[i].idx, n1, sizeof(n1)), verdict_name(want[i].verdict),
			(unsigned long long)want[i].packets, (unsigned long long)want[i].bytes);
	}
	return bad;
}

/* --- the case table ------------------------------------------------------ */

/* The fields after verdict are optional: zero is the common case. */
struct tcase {
	const char *name;
	struct fr_layer frame[FR_MAX_LAYERS];
	const char *block;  /* what the tested slot and direction block */
	__u32 idx;	    /* what the frame counts as; NO_COUNT: nothing */
	int verdict;	    /* FW_PASS or FW_DROP */
	__u16 cut;	    /* keep only the first cut bytes; 0 keeps all */
	unsigned int hooks; /* H_*; 0 means XDP and TC egress */
	__u32 slot;	    /* program instance; 0 unless testing isolation */
};

/* Tables leave their optional trailing fields out, as C zeroes them. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define P_IP	 0x0800
#define P_IPV6	 0x86dd
#define P_ARP	 0x0806
#define P_LLDP	 0x88cc
#define P_8021Q	 0x8100
#define P_8021AD 0x88a8
#define MALF	 FW_IDX_MALFORMED
#define NONIP	 FW_IDX_NONIP
#define PASS	 FW_PASS
#define DROP	 FW_DROP

/* The six extension headers the parser walks, in an order RFC 8200 allows,
 * then nh; FW_MAX_EXTHDR of them is the longest chain still read. */
/* clang-format off */
#define CHAIN6(nh) IP6(0), HOPOPTS(60), DSTOPTS(43), ROUTING(44), FRAG(51, .mf = 1), \
		   AH(60, .len = 4), DSTOPTS(nh)
/* clang-format on */

/* clang-format off */
static const struct tcase cases[] = {
	/* IPv4: a protocol from each 64-bit word of the policy. */
	{ "ipv4-icmp-blocked", { ETH(P_IP), IP4(1), ICMP4(.len = 56) },
	  "icmp", 1, DROP, .hooks = H_ALL },
	{ "ipv4-icmp-passed", { ETH(P_IP), IP4(1), ICMP4(.len = 56) },
	  "tcp,udp", 1, PASS, .hooks = H_ALL },
	{ "ipv4-tcp-blocked", { ETH(P_IP), IP4(6), TCP() }, "tcp", 6, DROP },
	{ "ipv4-udp-blocked", { ETH(P_IP), IP4(17), UDP(.len = 18) }, "icmp,udp", 17, DROP },
	{ "ipv4-udp-nothing-blocked", { ETH(P_IP), IP4(17), UDP() }, "", 17, PASS, .hooks = H_ALL },
	{ "ipv4-gre-blocked", { ETH(P_IP), IP4(47), GRE(.len = 20) }, "gre", 47, DROP },
	{ "ipv4-sctp-blocked", { ETH(P_IP), IP4(132), SCTP() }, "sctp", 132, DROP },
	{ "ipv4-sctp-passed", { ETH(P_IP), IP4(132), SCTP() }, "131,133", 132, PASS },
	{ "ipv4-proto-0-blocked", { ETH(P_IP), IP4(0), BYTES(8) }, "0", 0, DROP },
	{ "ipv4-proto-64-passed", { ETH(P_IP), IP4(64), BYTES(8) }, "63,65", 64, PASS },
	{ "ipv4-proto-255-blocked", { ETH(P_IP), IP4(255), BYTES(8) }, "255", 255, DROP },
	{ "ipv4-everything-blocked", { ETH(P_IP), IP4(17), UDP() }, "all", 17, DROP },

	/* IPv4 options and fragments. */
	{ "ipv4-ihl6-tcp-blocked", { ETH(P_IP), IP4(6, .ihl = 6), TCP() }, "tcp", 6, DROP },
	{ "ipv4-ihl15-udp-blocked", { ETH(P_IP), IP4(17, .ihl = 15), UDP() },
	  "udp", 17, DROP, .hooks = H_ALL },
	{ "ipv4-ihl15-udp-passed", { ETH(P_IP), IP4(17, .ihl = 15), UDP() }, "tcp", 17, PASS },
	{ "ipv4-frag-first-udp-blocked", { ETH(P_IP), IP4(17, .mf = 1), UDP(.len = 16) },
	  "udp", 17, DROP },
	{ "ipv4-frag-later-udp-blocked", { ETH(P_IP), IP4(17, .frag = 185), BYTES(64) },
	  "udp", 17, DROP },
	{ "ipv4-frag-later-icmp-passed", { ETH(P_IP), IP4(1, .frag = 1, .mf = 1), BYTES(16) },
	  "udp", 1, PASS },

	/* IPv4 headers that cannot be read: malformed. */
	{ "ipv4-ihl4-malformed", { ETH(P_IP), IP4(6, .ihl = 4), TCP() }, "udp", MALF, DROP },
	{ "ipv4-ihl1-malformed", { ETH(P_IP), IP4(6, .ihl = 1), TCP() }, "udp", MALF, DROP },
	{ "ipv4-version6-malformed", { ETH(P_IP), IP4(17, .ver = 6), UDP() }, "tcp", MALF, DROP },
	{ "ipv4-version6-nothing-blocked", { ETH(P_IP), IP4(17, .ver = 6), UDP() },
	  "", MALF, PASS, .hooks = H_ALL },
	{ "ipv4-trunc-eth-only", { ETH(P_IP) }, "icmp", MALF, DROP, .hooks = H_ALL },
	{ "ipv4-trunc-19-bytes", { ETH(P_IP), IP4(1), ICMP4() },
	  "icmp", MALF, DROP, .cut = 14 + 19 },
	{ "ipv4-trunc-19-nothing-blocked", { ETH(P_IP), IP4(1), ICMP4() },
	  "", MALF, PASS, .cut = 14 + 19 },
	{ "ipv4-header-only-20-bytes", { ETH(P_IP), IP4(1), ICMP4() },
	  "icmp", 1, DROP, .cut = 14 + 20 },
	{ "ipv4-trunc-ihl15-59-bytes", { ETH(P_IP), IP4(6, .ihl = 15), TCP() },
	  "tcp", MALF, DROP, .cut = 14 + 59 },
	{ "ipv4-ihl15-header-only-60-bytes", { ETH(P_IP), IP4(6, .ihl = 15), TCP() },
	  "tcp", 6, DROP, .cut = 14 + 60 },

	/* IPv6, and ICMPv6 behind each extension header the parser walks. */
	{ "ipv6-icmpv6-blocked", { ETH(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", 58, DROP, .hooks = H_ALL },
	{ "ipv6-udp-passed", { ETH(P_IPV6), IP6(17), UDP() }, "icmpv6", 17, PASS },
	{ "ipv6-tcp-blocked", { ETH(P_IPV6), IP6(6), TCP() }, "tcp", 6, DROP },
	{ "ipv6-hopopts-icmpv6-blocked", { ETH(P_IPV6), IP6(0), HOPOPTS(58), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "ipv6-hopopts-icmpv6-passed", { ETH(P_IPV6), IP6(0), HOPOPTS(58), ICMP6() },
	  "0,udp", 58, PASS },
	{ "ipv6-hopopts-24-udp-blocked", { ETH(P_IPV6), IP6(0), HOPOPTS(17, .len = 2), UDP() },
	  "udp", 17, DROP },
	{ "ipv6-routing-icmpv6-blocked", { ETH(P_IPV6), IP6(43), ROUTING(58), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "ipv6-frag-first-icmpv6-blocked", { ETH(P_IPV6), IP6(44), FRAG(58, .mf = 1), ICMP6() },
	  "icmpv6", 58, DROP, .hooks = H_ALL },
	{ "ipv6-dstopts-icmpv6-blocked", { ETH(P_IPV6), IP6(60), DSTOPTS(58), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "ipv6-ah-icmpv6-blocked", { ETH(P_IPV6), IP6(51), AH(58, .len = 4), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "ipv6-ah-min-tcp-passed", { ETH(P_IPV6), IP6(51), AH(6), TCP() }, "icmpv6,ah", 6, PASS },
	{ "ipv6-chain6-icmpv6-blocked", { ETH(P_IPV6), CHAIN6(58), ICMP6() },
	  "icmpv6", 58, DROP, .hooks = H_ALL },
	{ "ipv6-chain6-tcp-passed", { ETH(P_IPV6), CHAIN6(6), TCP() }, "icmpv6", 6, PASS },
	{ "ipv6-chain7-malformed", { ETH(P_IPV6), CHAIN6(60), DSTOPTS(58), ICMP6() },
	  "tcp", MALF, DROP, .hooks = H_ALL },
	{ "ipv6-chain7-nothing-blocked", { ETH(P_IPV6), CHAIN6(60), DSTOPTS(58), ICMP6() },
	  "", MALF, PASS },

	/* IPv6 fragments: a later one carries no upper-layer header, and is
	 * classified by the fragment header's next header. */
	{ "ipv6-frag-later-icmpv6-blocked",
	  { ETH(P_IPV6), IP6(44), FRAG(58, .frag = 100), BYTES(32) },
	  "icmpv6", 58, DROP, .hooks = H_ALL },
	{ "ipv6-frag-later-udp-passed",
	  { ETH(P_IPV6), IP6(44), FRAG(17, .frag = 100, .mf = 1), BYTES(32) },
	  "icmpv6", 17, PASS },
	{ "ipv6-hopopts-frag-later-udp-blocked",
	  { ETH(P_IPV6), IP6(0), HOPOPTS(44), FRAG(17, .frag = 1), BYTES(8) },
	  "udp", 17, DROP },
	{ "ipv6-frag-later-names-exthdr-malformed",
	  { ETH(P_IPV6), IP6(44), FRAG(60, .frag = 8), BYTES(16) },
	  "icmpv6", MALF, DROP },

	/* IPv6 headers that cannot be read: malformed. */
	{ "ipv6-version4-malformed", { ETH(P_IPV6), IP6(58, .ver = 4), ICMP6() },
	  "tcp", MALF, DROP },
	{ "ipv6-trunc-eth-only", { ETH(P_IPV6) }, "icmpv6", MALF, DROP },
	{ "ipv6-trunc-39-bytes", { ETH(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", MALF, DROP, .cut = 14 + 39 },
	{ "ipv6-header-only-40-bytes", { ETH(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", 58, DROP, .cut = 14 + 40 },
	{ "ipv6-trunc-in-hopopts", { ETH(P_IPV6), IP6(0), HOPOPTS(58), ICMP6() },
	  "icmpv6", MALF, DROP, .cut = 14 + 40 + 7 },
	{ "ipv6-hopopts-then-nothing", { ETH(P_IPV6), IP6(0), HOPOPTS(58), ICMP6() },
	  "icmpv6", 58, DROP, .cut = 14 + 40 + 8 },
	/* The header's first 8 bytes are there, its declared 16 are not: as
	 * with an IPv4 IHL past the end, the headers cannot be read to the end
	 * (fw_parse.h's policy), so it must count as malformed. */
	{ "ipv6-trunc-in-dstopts-body", { ETH(P_IPV6), IP6(60), DSTOPTS(17, .len = 1), UDP() },
	  "tcp", MALF, DROP, .cut = 14 + 40 + 8 },
	{ "ipv6-trunc-in-frag-header", { ETH(P_IPV6), IP6(44), FRAG(58), ICMP6() },
	  "icmpv6", MALF, DROP, .cut = 14 + 40 + 4 },
	{ "ipv6-trunc-in-chain", { ETH(P_IPV6), CHAIN6(58), ICMP6() },
	  "icmpv6", MALF, DROP, .cut = 14 + 40 + 8 + 8 + 8 + 3 },
	{ "ipv6-trunc-in-ah", { ETH(P_IPV6), IP6(51), AH(58, .len = 4), ICMP6() },
	  "tcp", MALF, DROP, .cut = 14 + 40 + 6 },

	/* ICMP anti-lockout (fw_parse.h): with ICMP blocked, fragmentation
	 * needed still passes, and so do ICMPv6 packet too big and neighbour
	 * discovery, unless the policy is strict. Only the upper-layer header
	 * tells, so a later fragment or a cut type byte is dropped. */
	{ "ipv4-icmp-frag-needed-exempt", { ETH(P_IP), IP4(1), ICMP4T(3, 4, .len = 28) },
	  "icmp", 1, PASS, .hooks = H_ALL },
	{ "ipv4-icmp-frag-needed-strict", { ETH(P_IP), IP4(1), ICMP4T(3, 4, .len = 28) },
	  "icmp,strict", 1, DROP, .hooks = H_ALL },
	{ "ipv4-icmp-port-unreachable-blocked", { ETH(P_IP), IP4(1), ICMP4T(3, 3) },
	  "icmp", 1, DROP },
	{ "ipv4-icmp-frag-needed-code-cut", { ETH(P_IP), IP4(1), ICMP4T(3, 4) },
	  "icmp", 1, DROP, .cut = 14 + 20 + 1 },
	{ "ipv4-icmp-frag-needed-later-fragment",
	  { ETH(P_IP), IP4(1, .frag = 1), ICMP4T(3, 4) }, "icmp", 1, DROP },
	{ "ipv4-icmp-frag-needed-options-exempt",
	  { ETH(P_IP), IP4(1, .ihl = 15), ICMP4T(3, 4) }, "icmp", 1, PASS },
	{ "ipv6-icmpv6-packet-too-big-exempt", { ETH(P_IPV6), IP6(58), ICMP6T(2, 0) },
	  "icmpv6", 58, PASS, .hooks = H_ALL },
	{ "ipv6-icmpv6-132-blocked", { ETH(P_IPV6), IP6(58), ICMP6T(132, 0) },
	  "icmpv6", 58, DROP },
	{ "ipv6-icmpv6-router-solicit-exempt", { ETH(P_IPV6), IP6(58), ICMP6T(133, 0) },
	  "icmpv6", 58, PASS },
	{ "ipv6-icmpv6-neighbour-solicit-exempt", { ETH(P_IPV6), IP6(58), ICMP6T(135, 0) },
	  "icmpv6", 58, PASS },
	{ "ipv6-icmpv6-neighbour-solicit-strict", { ETH(P_IPV6), IP6(58), ICMP6T(135, 0) },
	  "icmpv6,strict", 58, DROP, .hooks = H_ALL },
	{ "ipv6-icmpv6-redirect-exempt", { ETH(P_IPV6), IP6(58), ICMP6T(137, 0) },
	  "icmpv6", 58, PASS },
	{ "ipv6-icmpv6-138-blocked", { ETH(P_IPV6), IP6(58), ICMP6T(138, 0) },
	  "icmpv6", 58, DROP },
	{ "ipv6-chain6-neighbour-advert-exempt", { ETH(P_IPV6), CHAIN6(58), ICMP6T(136, 0) },
	  "icmpv6", 58, PASS },
	{ "ipv6-icmpv6-type-cut", { ETH(P_IPV6), IP6(58), ICMP6T(135, 0) },
	  "icmpv6", 58, DROP, .cut = 14 + 40 + 1 },
	{ "ipv6-frag-later-neighbour-solicit-blocked",
	  { ETH(P_IPV6), IP6(44), FRAG(58, .frag = 100), ICMP6T(135, 0) }, "icmpv6", 58, DROP },
	{ "qinq-ipv6-neighbour-solicit-exempt",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IPV6), IP6(58), ICMP6T(135, 0) },
	  "icmpv6", 58, PASS },

	/* VLAN: 802.1Q, QinQ both ways, and a third tag that could hide anything. */
	{ "vlan-ipv4-icmp-blocked", { ETH(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "icmp", 1, DROP, .hooks = H_ALL },
	{ "vlan-ipv6-icmpv6-blocked", { ETH(P_8021Q), VLAN(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "vlan-ipv4-udp-passed", { ETH(P_8021Q), VLAN(P_IP), IP4(17), UDP() }, "icmp", 17, PASS },
	{ "qinq-88a8-8100-ipv4-udp-blocked",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IP), IP4(17), UDP() },
	  "udp", 17, DROP, .hooks = H_ALL },
	{ "qinq-88a8-8100-ipv6-icmpv6-blocked",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", 58, DROP },
	{ "qinq-8100-8100-ipv4-tcp-blocked",
	  { ETH(P_8021Q), VLAN(P_8021Q), VLAN(P_IP), IP4(6), TCP() },
	  "tcp", 6, DROP },
	{ "qinq-8100-8100-ipv6-udp-passed",
	  { ETH(P_8021Q), VLAN(P_8021Q), VLAN(P_IPV6), IP6(17), UDP() },
	  "tcp", 17, PASS },
	{ "vlan-3-tags-malformed",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "tcp", MALF, DROP, .hooks = H_ALL },
	{ "vlan-3-tags-nothing-blocked",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "", MALF, PASS },
	{ "vlan-trunc-eth-only", { ETH(P_8021Q) }, "icmp", MALF, DROP },
	{ "vlan-trunc-in-tag", { ETH(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "icmp", MALF, DROP, .cut = 16 },
	{ "vlan-trunc-after-tag", { ETH(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "icmp", MALF, DROP, .cut = 18 },
	{ "vlan-ipv4-trunc-19-bytes", { ETH(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "icmp", MALF, DROP, .cut = 18 + 19, .hooks = H_ALL },
	{ "vlan-ipv6-trunc-39-bytes", { ETH(P_8021Q), VLAN(P_IPV6), IP6(58), ICMP6() },
	  "icmpv6", MALF, DROP, .cut = 18 + 39, .hooks = H_ALL },
	{ "qinq-trunc-in-inner-tag", { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IP), IP4(1), ICMP4() },
	  "icmp", MALF, DROP, .cut = 20 },
	{ "vlan-arp-passed-all-blocked", { ETH(P_8021Q), VLAN(P_ARP), ARP() }, "all", NONIP, PASS },

	/* Not IP: always passed, counted as such. 14 bytes is the least the
	 * kernel's test-run accepts (see min-len below). */
	{ "arp-passed-all-blocked", { ETH(P_ARP), ARP() }, "all", NONIP, PASS, .hooks = H_ALL },
	{ "lldp-passed-all-blocked", { ETH(P_LLDP), LLDP() }, "all", NONIP, PASS },
	{ "arp-eth-only-14-bytes", { ETH(P_ARP) }, "all", NONIP, PASS, .hooks = H_ALL },

	/* Isolation: every other slot's policy is the complement of the tested
	 * one's (set_policies), so a program that read another slot would flip
	 * its verdict, and the counter check pins the slot it counts in. */
	{ "slot0-passes-while-slot1-blocks-all", { ETH(P_IP), IP4(1), ICMP4() },
	  "", 1, PASS, .hooks = H_ALL, .slot = 0 },
	{ "slot1-icmp-blocked", { ETH(P_IP), IP4(1), ICMP4() },
	  "icmp", 1, DROP, .hooks = H_ALL, .slot = 1 },
	{ "slot1-icmp-passed", { ETH(P_IP), IP4(1), ICMP4() },
	  "udp", 1, PASS, .hooks = H_ALL, .slot = 1 },
	{ "slot-last-icmp-blocked", { ETH(P_IP), IP4(1), ICMP4() },
	  "icmp", 1, DROP, .hooks = H_ALL, .slot = FW_MAX_IFACES - 1 },
	/* An instance past the table finds no policy and no counters. */
	{ "slot-past-table-passes-uncounted", { ETH(P_IP), IP4(1), ICMP4() },
	  "all", NO_COUNT, PASS, .hooks = H_ALL, .slot = FW_MAX_IFACES },
};
/* clang-format on */

/* --- running frames through test-run -------------------------------------- */

static __u32 hook_retval(enum hook h, int verdict)
{
	if (h == HOOK_XDP)
		return verdict == FW_DROP ? XDP_DROP : XDP_PASS;
	return verdict == FW_DROP ? TC_ACT_SHOT : (__u32)TC_ACT_UNSPEC;
}

static int test_run(int fd, const __u8 *frame, size_t len, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(fd, &opts);
	if (err)
		return err;
	*retval = opts.retval;
	return 0;
}

/* The skb flavour of test-run answers EINVAL when the ethertype says IPv4 or
 * IPv6 and the base header is not all there (XDP's does not mind). */
static bool short_ip(const __u8 *frame, size_t len)
{
	__u16 type = (__u16)(frame[12] << 8 | frame[13]);

	if (len < 14)
		return false;
	return (type == P_IP && len < 14 + 20) || (type == P_IPV6 && len < 14 + 40);
}

/* Runs one frame through slot's program at hook h and checks the verdict and
 * that only the wanted cells moved. A test-run error goes to *run_err. */
static void run_and_check(struct check *ck, __u32 slot, enum hook h, const __u8 *frame, size_t len,
			  __u32 idx, int verdict, int *run_err)
{
	struct cell want = {
		.slot = slot,
		.dir = hook_dir[h],
		.idx = idx,
		.verdict = verdict,
		.packets = 1,
		.bytes = len,
	};
	__u32 retval = 0;
	int err;

	err = snap_take(&before);
	if (err) {
		ck_fail(ck, "cannot read counters: %s", strerror(-err));
		return;
	}
	err = test_run(prog_fd(slot_index(slot), h), frame, len, &retval);
	if (run_err)
		*run_err = err;
	/* The kernel never builds such an skb, so TC cannot meet this frame:
	 * the refusal is the expected outcome (the vlan-* and nonlinear-*
	 * cases cover truncation at TC). Anything else is checked in full. */
	if (err == -EINVAL && h != HOOK_XDP && short_ip(frame, len))
		return;
	if (err) {
		if (!run_err)
			ck_fail(ck, "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		return;
	}
	if (retval != hook_retval(h, verdict))
		ck_fail(ck, "program returned %d, expected %d (%s)", (int)retval,
			(int)hook_retval(h, verdict), verdict_name(verdict));
	err = snap_take(&after);
	if (err) {
		ck_fail(ck, "cannot read counters: %s", strerror(-err));
		return;
	}
	check_counters(ck, &before, &after, &want, idx == NO_COUNT ? 0 : 1);
}

static void run_table(void)
{
	__u8 frame[FR_MAX_LEN];
	char name[128], n1[32];
	struct fw_policy pol;
	unsigned int hooks;
	size_t i, len;
	int h, err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		len = fr_build(c->frame, frame, sizeof(frame));
		if (c->cut) {
			if (c->cut > len) {
				fprintf(stderr,
					"test_prog: %s: cut %u past the frame's %zu bytes\n",
					c->name, c->cut, len);
				exit(2);
			}
			len = c->cut;
		}
		pol = policy_parse(c->block);
		hooks = c->hooks ? c->hooks : H_XDP | H_TC_OUT;
		for (h = 0; h < HOOKS; h++) {
			struct check ck = { 0 };

			if (!(hooks & (1u << h)))
				continue;
			snprintf(name, sizeof(name), "%s/%s", hook_name[h], c->name);
			err = set_policies(c->slot, hook_dir[h], &pol);
			if (err)
				ck_fail(&ck, "cannot set policy: %s", strerror(-err));
			else
				run_and_check(&ck, c->slot, h, frame, len, c->idx, c->verdict,
					      NULL);
			if (ck.failed)
				ck_detail(&ck,
					  "frame %zu bytes, slot %u blocks '%s', expected %s %s",
					  len, c->slot, c->block, idx_name(c->idx, n1, sizeof(n1)),
					  verdict_name(c->verdict));
			report(name, &ck);
		}
	}
}

/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header, so 14
 * bytes (the table's *-eth-only cases) is the shortest a program can be fed
 * this way. Should a kernel ever accept 13, the frame must count as
 * malformed and be dropped. */
static void run_min_len(void)
{
	static const struct fr_layer eth[] = { ETH(P_IP) };
	struct fw_policy pol = policy_parse("icmp");
	__u8 frame[FR_MAX_LEN];
	char name[64];
	int h, err;

	fr_build(eth, frame, sizeof(frame));
	for (h = 0; h < HOOKS; h++) {
		struct check ck = { 0 };
		int run_err = 0;

		snprintf(name, sizeof(name), "%s/eth-13-bytes", hook_name[h]);
		err = set_policies(0, hook_dir[h], &pol);
		if (err) {
			ck_fail(&ck, "cannot set policy: %s", strerror(-err));
		} else {
			run_and_check(&ck, 0, h, frame, 13, FW_IDX_MALFORMED, FW_DROP, &run_err);
			if (run_err && run_err != -EINVAL)
				ck_fail(&ck, "test-run failed with %s, expected EINVAL (too short)",
					strerror(-run_err));
		}
		report(name, &ck);
	}
}

/* Below 14 bytes only the parser itself can be asked, built on the host. */
static void run_host_short(void)
{
	struct check ck = { 0 };
	__u8 buf[64]; /* more than any window, so reading past end stays in bounds */
	const __u8 *l4;
	size_t n;
	__u32 idx;

	memset(buf, 0, sizeof(buf));
	/* ARP: a parser that read the type past end would say non-IP. */
	buf[12] = 0x08;
	buf[13] = 0x06;
	for (n = 0; n < FW_ETH_HLEN; n++) {
		idx = fw_parse(buf, buf + n, &l4);
		if (idx != FW_IDX_MALFORMED)
			ck_fail(&ck, "%zu-byte frame counted as %u, expected malformed", n, idx);
	}
	report("host/eth-0-to-13-bytes-malformed", &ck);
}

/* --- counter cells: own rows, the bound, unblock, reset ------------------ */

/*
 * fwctl gives cells out when it writes a policy (fw_policy_compile): TCP,
 * UDP, ICMP, ICMPv6, non-IP, malformed and other have fixed ones, each
 * blocked protocol one of its own while any is left. Frames are IPv4 with
 * the protocol under test and 8 bytes of payload, through slot A's (or B's)
 * XDP program, direction in, on the one CPU main() pins the process to.
 */
#define CELL_LEN (14 + 20 + 8)

static int cell_cpu;

/* What fwctl's reset does: zeros on every CPU, then the policy compiled
 * again with the retired cells freed. */
static int cells_reset_slot(__u32 slot)
{
	__u8 *all = calloc((size_t)ncpus, sizeof(struct fw_counters));
	__u32 key = fw_key(slot, FW_DIR_IN);
	int err;

	if (!all)
		return -ENOMEM;
	err = bpf_map_update_elem(counters_fd, &key, all, BPF_ANY) ? -errno : 0;
	free(all);
	if (!err)
		err = set_policy_keep(slot, FW_DIR_IN, &cpol[key].set, 0);
	return err;
}

/* Slot's sums over every CPU, by kind, and this CPU's copy. */
static int cells_read(__u32 slot, struct fw_counter sums[FW_IDX_SUMS], struct fw_counters *mine)
{
	__u8 *all = calloc((size_t)ncpus, sizeof(struct fw_counters));
	__u32 key = fw_key(slot, FW_DIR_IN);
	int cpu, err;

	if (!all)
		return -ENOMEM;
	err = bpf_map_lookup_elem(counters_fd, &key, all) ? -errno : 0;
	memset(sums, 0, sizeof(*sums) * FW_IDX_SUMS);
	for (cpu = 0; !err && cpu < ncpus; cpu++)
		fw_counters_add(sums, cpol[key].owner,
				(const void *)(all + (size_t)cpu * sizeof(struct fw_counters)));
	if (!err && mine)
		memcpy(mine, all + (size_t)cell_cpu * sizeof(struct fw_counters), sizeof(*mine));
	free(all);
	return err;
}

/* One frame of protocol proto through slot's XDP program; the verdict. */
static int cells_send(struct check *ck, __u32 slot, unsigned int proto, int want)
{
	struct fr_layer l[] = { ETH(P_IP), IP4((__u16)proto), BYTES(8), { 0 } };
	__u8 frame[FR_MAX_LEN];
	__u32 retval = 0;
	size_t len = fr_build(l, frame, sizeof(frame));
	int err = test_run(prog_fd((unsigned int)slot_index(slot), HOOK_XDP), frame, len, &retval);

	if (err)
		ck_fail(ck, "test-run of protocol %u failed: %s", proto, strerror(-err));
	else if (retval != hook_retval(HOOK_XDP, want))
		ck_fail(ck, "protocol %u: program returned %u, expected %s", proto, retval,
			verdict_name(want));
	return err;
}

/* The policy of slot's direction in: protocols lo..hi blocked (lo > hi:
 * none). */
static int cells_block(__u32 slot, unsigned int lo, unsigned int hi)
{
	struct fw_policy pol = { 0 };

	for (unsigned int p = lo; p <= hi && p < 256; p++)
		pol.blocked[p >> 6] |= 1ull << (p & 63);
	return set_policy(slot, FW_DIR_IN, &pol);
}

/* Kind k of sums must hold exactly these packets (bytes CELL_LEN each). */
static void cells_expect(struct check *ck, const struct fw_counter sums[FW_IDX_SUMS], __u32 k,
			 __u64 passed, __u64 dropped)
{
	const struct fw_counter *c = &sums[k];
	char n1[32];

	if (c->packets[FW_PASS] == passed && c->packets[FW_DROP] == dropped &&
	    c->bytes[FW_PASS] == passed * CELL_LEN && c->bytes[FW_DROP] == dropped * CELL_LEN)
		return;
	ck_fail(ck,
		"%s: %llu/%llu packets, %llu/%llu bytes passed/dropped, expected %llu/%llu "
		"packets of %d bytes",
		idx_name(k, n1, sizeof(n1)), (unsigned long long)c->packets[FW_PASS],
		(unsigned long long)c->packets[FW_DROP], (unsigned long long)c->bytes[FW_PASS],
		(unsigned long long)c->bytes[FW_DROP], (unsigned long long)passed,
		(unsigned long long)dropped, CELL_LEN);
}

/* No kind but the listed ones (a -1 ended list) may have counted. */
static void cells_only(struct check *ck, const struct fw_counter sums[FW_IDX_SUMS],
		       const int *kinds)
{
	char n1[32];

	for (__u32 k = 0; k < FW_IDX_SUMS; k++) {
		const int *p = kinds;

		while (*p >= 0 && *p != (int)k)
			p++;
		if (*p < 0 && (sums[k].packets[FW_PASS] || sums[k].packets[FW_DROP]))
			ck_fail(ck, "%s counted %llu/%llu packets, expected none",
				idx_name(k, n1, sizeof(n1)),
				(unsigned long long)sums[k].packets[FW_PASS],
				(unsigned long long)sums[k].packets[FW_DROP]);
	}
}

/* Blocked protocols have rows of their own, as do TCP, UDP, ICMP and
 * ICMPv6 passed; other passed protocols share "other". Totals stay exact. */
static void cells_rows(struct fw_counter *sums)
{
	const unsigned int npass = 60, first_drop = 200;
	struct check ck = { 0 };
	__u64 total[FW_VERDICTS] = { 0 };
	unsigned int p, shared = 0;

	if (cells_block(SLOT_CELLS_A, first_drop, 255) || cells_reset_slot(SLOT_CELLS_A))
		ck_fail(&ck, "cannot set up slot %u", SLOT_CELLS_A);
	for (p = 0; p < npass && !ck.failed; p++)
		cells_send(&ck, SLOT_CELLS_A, p, FW_PASS);
	for (p = first_drop; p < 256 && !ck.failed; p++)
		cells_send(&ck, SLOT_CELLS_A, p, FW_DROP);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		for (p = 0; p < npass; p++) {
			bool own = p == 1 || p == 6 || p == 17 || p == 58;

			cells_expect(&ck, sums, p, own, 0);
			shared += !own;
		}
		cells_expect(&ck, sums, FW_IDX_OTHER, shared, 0);
		for (p = first_drop; p < 256; p++)
			cells_expect(&ck, sums, p, 0, 1);
		for (__u32 k = 0; k < FW_IDX_SUMS; k++)
			for (int v = 0; v < FW_VERDICTS; v++)
				total[v] += sums[k].packets[v];
		if (total[FW_PASS] != npass || total[FW_DROP] != 256 - first_drop)
			ck_fail(&ck, "%llu passed and %llu dropped in all, expected %u and %u",
				(unsigned long long)total[FW_PASS],
				(unsigned long long)total[FW_DROP], npass, 256 - first_drop);
	}
	report("cells/blocked-own-rows", &ck);
}

/* More blocked protocols than cells: as many as there are cells have their
 * own (those that had one keep it, then new ones by number), the rest drop
 * into "other"; nothing is lost. */
static void cells_bound(struct fw_counter *sums)
{
	const unsigned int dyn = FW_CELL_ICMP_PASS - FW_CELL_DYN_FIRST;
	struct check ck = { 0 };
	unsigned int p, own = 0, other = 0;

	if (cells_block(SLOT_CELLS_A, 0, 255) || cells_reset_slot(SLOT_CELLS_A))
		ck_fail(&ck, "cannot set up slot %u", SLOT_CELLS_A);
	for (p = 0; p < 256 && !ck.failed; p++)
		if (p != 1 && p != 58) /* echo-less frames: no exemption either way */
			cells_send(&ck, SLOT_CELLS_A, p, FW_DROP);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	for (p = 0; p < 256 && !ck.failed; p++) {
		if (p == 1 || p == 58)
			continue;
		if (sums[p].packets[FW_DROP])
			own++;
		if (p == 6 || p == 17 || sums[p].packets[FW_DROP])
			cells_expect(&ck, sums, p, 0, 1);
	}
	other = 254 - own;
	if (!ck.failed) {
		cells_expect(&ck, sums, FW_IDX_OTHER, 0, other);
		if (own != dyn + 2)
			ck_fail(&ck, "%u blocked protocols counted apart, expected %u", own,
				dyn + 2);
	}
	report("cells/bound-blocked-past-cells", &ck);
}

/* Unblocked, a protocol's drops stay its own: its cell is retired, not
 * handed to the next blocked protocol; blocked again, it is the same row. A
 * reset frees it. */
static void cells_retired(struct fw_counter *sums)
{
	static const int after_reset[] = { FW_IDX_OTHER, 150, -1 };
	struct check ck = { 0 };

	if (cells_block(SLOT_CELLS_A, 100, 100) || cells_reset_slot(SLOT_CELLS_A))
		ck_fail(&ck, "cannot set up slot %u", SLOT_CELLS_A);
	cells_send(&ck, SLOT_CELLS_A, 100, FW_DROP);
	if (cells_block(SLOT_CELLS_A, 150, 150))
		ck_fail(&ck, "cannot block 150 alone");
	cells_send(&ck, SLOT_CELLS_A, 100, FW_PASS);
	cells_send(&ck, SLOT_CELLS_A, 150, FW_DROP);
	cells_send(&ck, SLOT_CELLS_A, 150, FW_DROP);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		cells_expect(&ck, sums, 100, 0, 1);
		cells_expect(&ck, sums, 150, 0, 2);
		cells_expect(&ck, sums, FW_IDX_OTHER, 1, 0);
	}
	report("cells/unblocked-keeps-its-drops", &ck);

	memset(&ck, 0, sizeof(ck));
	if (cells_block(SLOT_CELLS_A, 100, 100))
		ck_fail(&ck, "cannot block 100 again");
	cells_send(&ck, SLOT_CELLS_A, 100, FW_DROP);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		cells_expect(&ck, sums, 100, 0, 2);
		cells_expect(&ck, sums, 150, 0, 2);
	}
	report("cells/blocked-again-same-row", &ck);

	/* Every cell retired: a new blocked protocol takes none of them. */
	memset(&ck, 0, sizeof(ck));
	for (unsigned int p = 2; p < 256 && !ck.failed; p++) {
		if (p == 6 || p == 17 || p == 58)
			continue;
		if (cells_block(SLOT_CELLS_A, p, p))
			ck_fail(&ck, "cannot block %u", p);
		cells_send(&ck, SLOT_CELLS_A, p, FW_DROP);
	}
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	for (unsigned int p = 2; p < 256 && !ck.failed; p++) {
		if (p == 6 || p == 17 || p == 58)
			continue;
		/* Each had the cells to itself until they ran out. */
		if (sums[p].packets[FW_DROP] > (p == 100 || p == 150 ? 3u : 1u))
			ck_fail(&ck, "protocol %u counted %llu drops", p,
				(unsigned long long)sums[p].packets[FW_DROP]);
	}
	if (!ck.failed) {
		__u64 own = 0;

		for (unsigned int p = 2; p < 256; p++)
			own += p != 6 && p != 17 && p != 58 ? sums[p].packets[FW_DROP] : 0;
		if (own + sums[FW_IDX_OTHER].packets[FW_DROP] != 252 + 2 + 1)
			ck_fail(&ck, "%llu own + %llu other drops, expected 255 in all",
				(unsigned long long)own,
				(unsigned long long)sums[FW_IDX_OTHER].packets[FW_DROP]);
		if (!sums[FW_IDX_OTHER].packets[FW_DROP])
			ck_fail(&ck, "the cells never ran out: the test tests nothing");
	}
	report("cells/retired-never-handed-on", &ck);

	memset(&ck, 0, sizeof(ck));
	if (cells_block(SLOT_CELLS_A, 150, 150) || cells_reset_slot(SLOT_CELLS_A))
		ck_fail(&ck, "cannot reset slot %u", SLOT_CELLS_A);
	cells_send(&ck, SLOT_CELLS_A, 150, FW_DROP);
	cells_send(&ck, SLOT_CELLS_A, 100, FW_PASS);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		cells_expect(&ck, sums, 150, 0, 1);
		cells_expect(&ck, sums, FW_IDX_OTHER, 1, 0);
		cells_only(&ck, sums, after_reset);
		for (int c = FW_CELL_DYN_FIRST; c < FW_CELL_ICMP_PASS; c++)
			if (cpol[fw_key(SLOT_CELLS_A, FW_DIR_IN)].owner[c] &&
			    cpol[fw_key(SLOT_CELLS_A, FW_DIR_IN)].owner[c] !=
				    fw_owner(150, FW_DROP))
				ck_fail(&ck, "cell %d still owned by %#x after the reset", c,
					cpol[fw_key(SLOT_CELLS_A, FW_DIR_IN)].owner[c]);
	}
	report("cells/reset-frees-retired", &ck);
}

/* Two interfaces never share a cell. */
static void cells_apart(struct fw_counter *sums)
{
	static const int only[] = { 150, -1 };
	struct check ck = { 0 };

	if (cells_block(SLOT_CELLS_A, 150, 150) || cells_block(SLOT_CELLS_B, 150, 150) ||
	    cells_reset_slot(SLOT_CELLS_A) || cells_reset_slot(SLOT_CELLS_B))
		ck_fail(&ck, "cannot set up slots %u and %u", SLOT_CELLS_A, SLOT_CELLS_B);
	cells_send(&ck, SLOT_CELLS_B, 150, FW_DROP);
	cells_send(&ck, SLOT_CELLS_B, 150, FW_DROP);
	cells_send(&ck, SLOT_CELLS_A, 150, FW_DROP);
	if (!ck.failed && cells_read(SLOT_CELLS_A, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		cells_expect(&ck, sums, 150, 0, 1);
		cells_only(&ck, sums, only);
	}
	if (!ck.failed && cells_read(SLOT_CELLS_B, sums, NULL))
		ck_fail(&ck, "cannot read the counters: %s", strerror(errno));
	if (!ck.failed) {
		cells_expect(&ck, sums, 150, 0, 2);
		cells_only(&ck, sums, only);
	}
	report("cells/two-interfaces-apart", &ck);
}

static void run_cells(void)
{
	static struct fw_counter sums[FW_IDX_SUMS];
	static const struct fw_policy none;

	cells_rows(sums);
	cells_bound(sums);
	cells_retired(sums);
	cells_apart(sums);
	set_policy(SLOT_CELLS_A, FW_DIR_IN, &none);
	set_policy(SLOT_CELLS_B, FW_DIR_IN, &none);
	cells_reset_slot(SLOT_CELLS_A);
	cells_reset_slot(SLOT_CELLS_B);
}

/* --- non-linear skbs through TC, on a veth pair between two namespaces ------ */

/*
 *   netns A                          netns B
 *   +------------------+            +--------------------+
 *   | fwu-va           |    veth    |             fwu-vb |
 *   |  egress:  probe  | ---------> |  ingress:  probe   |
 *   |      fw_tc_out(2)|            |      fw_tc_in(3)   |
 *   |  AF_PACKET tx    |            |  AF_PACKET tap     |
 *   |                  |            |  udp 192.0.2.2:7   |
 *   +------------------+            +--------------------+
 *
 * AF_PACKET's TX ring (what trafgen uses) copies only the Ethernet header
 * into the skb and hangs the rest of the frame off it as page fragments; a
 * plain send of a page or more does the same. veth hands the skb on as it
 * is, so the TC hook under test sees 14 linear bytes and has to pull to read
 * the IP header. Only the fwctl program under test is attached, since one
 * that pulled on egress would hand ingress a linear skb. A probe ahead of it
 * records the linear length, so a case the kernel did not page after all
 * says skip rather than prove nothing.
 *
 * The tap on vb sees a frame before TC ingress does, so it tells whether
 * egress passed it; a UDP socket behind vb tells whether ingress did. IPv6 is
 * off in both namespaces and only vb has an address, so the only frames on
 * the link are ours.
 */

#define VA	    "fwu-va"
#define VB	    "fwu-vb"
#define VB_ADDR	    "192.0.2.2" /* frames.h's IPv4 destination */
#define UDP_PORT    7		/* frames.h's UDP destination port */
#define RING_FRAME  2048
#define RING_FRAMES 8
#define FW_PRIO	    2

struct probe_val {
	__u64 linear;
	__u64 len;
};

struct veth {
	int host_ns, ns_fd[2];
	int ifindex[2];
	int probe_map;
	int probe_fd[3]; /* [0] egress of va, [1] ingress of vb, [2] the same after fwctl's */
	int fw_on[2];	 /* fwctl program attached there */
	int tx_fd, ring_fd, tap_fd, udp_fd;
	__u8 *ring;
	unsigned int ring_next;
};

/* Minimal encoders for the probe; the kernel's own macros are not uapi. */
/* clang-format off */
#define I_MOV64_REG(d, s)  { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = d, .src_reg = s }
#define I_MOV64_IMM(d, v)  { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = d, .imm = v }
#define I_ADD64_IMM(d, v)  { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = d, .imm = v }
#define I_SUB64_REG(d, s)  { .code = BPF_ALU64 | BPF_SUB | BPF_X, .dst_reg = d, .src_reg = s }
#define I_LDX_W(d, s, o)   { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = d, .src_reg = s, .off = o }
#define I_STX_DW(d, s, o)  { .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = d, .src_reg = s, .off = o }
#define I_ST_W(d, o, v)    { .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = d, .off = o, .imm = v }
#define I_LD_MAP_FD(d, fd) { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = d, \
			     .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd }, { 0 }
#define I_CALL(f)	   { .code = BPF_JMP | BPF_CALL, .imm = f }
#define I_JEQ_IMM(d, v, o) { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = d, .off = o, .imm = v }
#define I_EXIT()	   { .code = BPF_JMP | BPF_EXIT }
/* clang-format on */

/* probe_map[key] = { data_end - data, len }; returns TC_ACT_UNSPEC so the
 * next filter, fwctl's, runs on the same skb. */
static int probe_load(int map_fd, int key)
{
	struct bpf_insn insns[] = {
		I_MOV64_REG(BPF_REG_6, BPF_REG_1),
		I_LDX_W(BPF_REG_7, BPF_REG_6, offsetof(struct __sk_buff, data)),
		I_LDX_W(BPF_REG_8, BPF_REG_6, offsetof(struct __sk_buff, data_end)),
		I_SUB64_REG(BPF_REG_8, BPF_REG_7),
		I_LDX_W(BPF_REG_9, BPF_REG_6, offsetof(struct __sk_buff, len)),
		I_ST_W(BPF_REG_10, -4, key),
		I_MOV64_REG(BPF_REG_2, BPF_REG_10),
		I_ADD64_IMM(BPF_REG_2, -4),
		I_LD_MAP_FD(BPF_REG_1, map_fd),
		I_CALL(BPF_FUNC_map_lookup_elem),
		I_JEQ_IMM(BPF_REG_0, 0, 2),
		I_STX_DW(BPF_REG_0, BPF_REG_8, 0),
		I_STX_DW(BPF_REG_0, BPF_REG_9, 8),
		I_MOV64_IMM(BPF_REG_0, TC_ACT_UNSPEC),
		I_EXIT(),
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 1);
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fwu_probe", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd < 0)
		fprintf(stderr, "test_prog: probe rejected:\n%s\n", log);
	return fd;
}

static int run_quiet(const char *cmd)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s >/dev/null", cmd);
	return system(buf);
}

static int enter_ns(int fd)
{
	return setns(fd, CLONE_NEWNET) ? -errno : 0;
}

/* side 0 is va's egress, side 1 vb's ingress. */
static enum bpf_tc_attach_point side_point(int side)
{
	return side ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

/* Attaches (prog_fd >= 0) or detaches fwctl's program on one side; netlink
 * requests act in the caller's namespace, hence the hop. */
static int veth_fw(struct veth *v, int side, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = v->ifindex[side],
		    .attach_point = side_point(side));
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = FW_PRIO);
	int err;

	if ((prog_fd >= 0) == v->fw_on[side])
		return 0;
	err = enter_ns(v->ns_fd[side]);
	if (err)
		return err;
	if (prog_fd >= 0) {
		opts.prog_fd = prog_fd;
		err = bpf_tc_attach(&hook, &opts);
	} else {
		err = bpf_tc_detach(&hook, &opts);
	}
	if (!err)
		v->fw_on[side] = prog_fd >= 0;
	enter_ns(v->host_ns);
	return err;
}

/* Probe n on one side, ahead of fwctl's filter (priority 1, which makes
 * the clsact qdisc) or after it. */
static int veth_probe(struct veth *v, int side, int n, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = v->ifindex[side],
		    .attach_point = side_point(side));
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = v->probe_fd[n], .handle = 1, .priority = prio);
	int err = prio == 1 ? bpf_tc_hook_create(&hook) : 0;

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static int veth_up(struct veth *v, char *why, size_t len)
{
	struct tpacket_req req = {
		.tp_block_size = 4096,
		.tp_block_nr = RING_FRAMES * RING_FRAME / 4096,
		.tp_frame_size = RING_FRAME,
		.tp_frame_nr = RING_FRAMES,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	char cmd[1024], path[PATH_MAX];
	int ver = TPACKET_V2, one = 1, err, i;

	snprintf(ns_a, sizeof(ns_a), "fwtest-u%d-a", getpid());
	snprintf(ns_b, sizeof(ns_b), "fwtest-u%d-b", getpid());
	snprintf(cmd, sizeof(cmd),
		 "ip netns add %1$s && ip netns add %2$s && "
		 "ip netns exec %1$s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		 "net.ipv6.conf.default.disable_ipv6=1 && "
		 "ip netns exec %2$s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
		 "net.ipv6.conf.default.disable_ipv6=1 && "
		 "ip -n %1$s link add " VA " mtu 9000 type veth peer name " VB
		 " mtu 9000 netns %2$s && "
		 "ip -n %2$s addr add " VB_ADDR "/24 dev " VB " && "
		 "ip -n %1$s link set " VA " address 02:00:00:00:00:01 up && "
		 "ip -n %2$s link set " VB " address 02:00:00:00:00:02 up",
		 ns_a, ns_b);
	if (run_quiet(cmd)) {
		snprintf(why, len, "cannot build the veth pair with ip(8)");
		return -1;
	}

	v->host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_a);
	v->ns_fd[0] = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", ns_b);
	v->ns_fd[1] = open(path, O_RDONLY | O_CLOEXEC);
	if (v->host_ns < 0 || v->ns_fd[0] < 0 || v->ns_fd[1] < 0) {
		snprintf(why, len, "cannot open the namespaces: %s", strerror(errno));
		return -1;
	}

	v->probe_map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fwu_probe", sizeof(__u32),
				      sizeof(struct probe_val), 3, NULL);
	if (v->probe_map < 0) {
		snprintf(why, len, "cannot create the probe map: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 3; i++) {
		v->probe_fd[i] = probe_load(v->probe_map, i);
		if (v->probe_fd[i] < 0) {
			snprintf(why, len, "the kernel refused the probe program");
			return -1;
		}
	}

	/* Sockets and netlink requests belong to the namespace they are made in. */
	for (i = 0; i < 2; i++) {
		err = enter_ns(v->ns_fd[i]);
		if (err) {
			snprintf(why, len, "cannot enter a namespace: %s", strerror(-err));
			return -1;
		}
		v->ifindex[i] = (int)if_nametoindex(i ? VB : VA);
		err = veth_probe(v, i, i, 1);
		if (!err && i == 1)
			err = veth_probe(v, 1, 2, FW_PRIO + 1);
		if (err) {
			snprintf(why, len, "cannot attach the probe to %s: %s", i ? VB : VA,
				 strerror(-err));
			return -1;
		}
		sll.sll_ifindex = v->ifindex[i];
		if (i == 0) {
			/* Protocol 0: these sockets send and never receive. */
			v->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
			v->ring_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
			if (v->tx_fd < 0 || v->ring_fd < 0 ||
			    bind(v->tx_fd, (void *)&sll, sizeof(sll)) ||
			    setsockopt(v->ring_fd, SOL_PACKET, PACKET_VNET_HDR, &one,
				       sizeof(one)) ||
			    setsockopt(v->ring_fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
			    setsockopt(v->ring_fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
				snprintf(why, len, "cannot set up AF_PACKET senders: %s",
					 strerror(errno));
				return -1;
			}
			v->ring = mmap(NULL, RING_FRAMES * RING_FRAME, PROT_READ | PROT_WRITE,
				       MAP_SHARED, v->ring_fd, 0);
			if (v->ring == MAP_FAILED || bind(v->ring_fd, (void *)&sll, sizeof(sll))) {
				if (v->ring == MAP_FAILED)
					v->ring = NULL;
				snprintf(why, len, "cannot map the TX ring: %s", strerror(errno));
				return -1;
			}
		} else {
			sll.sll_protocol = htons(ETH_P_ALL);
			v->tap_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
					   htons(ETH_P_ALL));
			v->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (v->tap_fd < 0 || bind(v->tap_fd, (void *)&sll, sizeof(sll)) ||
			    v->udp_fd < 0 || bind(v->udp_fd, (void *)&sin, sizeof(sin))) {
				snprintf(why, len, "cannot open the receivers: %s",
					 strerror(errno));
				return -1;
			}
		}
	}
	err = enter_ns(v->host_ns);
	if (err) {
		snprintf(why, len, "cannot return to the host namespace: %s", strerror(-err));
		return -1;
	}
	return 0;
}

static void veth_down(struct veth *v)
{
	int i;

	if (v->ring)
		munmap(v->ring, RING_FRAMES * RING_FRAME);
	if (v->tx_fd >= 0)
		close(v->tx_fd);
	if (v->ring_fd >= 0)
		close(v->ring_fd);
	if (v->tap_fd >= 0)
		close(v->tap_fd);
	if (v->udp_fd >= 0)
		close(v->udp_fd);
	for (i = 0; i < 3; i++)
		if (v->probe_fd[i] >= 0)
			close(v->probe_fd[i]);
	for (i = 0; i < 2; i++)
		if (v->ns_fd[i] >= 0)
			close(v->ns_fd[i]);
	if (v->probe_map >= 0)
		close(v->probe_map);
	if (v->host_ns >= 0) {
		enter_ns(v->host_ns);
		close(v->host_ns);
	}
	/* The veth pair, its qdiscs and filters go with the namespaces. */
	netns_del(ns_a);
	netns_del(ns_b);
	ns_a[0] = ns_b[0] = '\0';
}

/* A frame egress TC dropped makes send() fail with ENOBUFS: that is the
 * verdict, not an error. The virtio-net header in front of each ring frame
 * says how much of it goes into the linear area (at least the Ethernet
 * header), so a case can split the frame where it likes. */
static int send_ring(struct veth *v, const __u8 *frame, size_t len, __u16 linear)
{
	struct tpacket2_hdr *h = (void *)(v->ring + (size_t)v->ring_next * RING_FRAME);
	struct virtio_net_hdr vnet = { .hdr_len = linear };
	size_t off = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	int err = 0;

	if (sizeof(vnet) + len > RING_FRAME - off)
		return -EMSGSIZE;
	if (h->tp_status != TP_STATUS_AVAILABLE)
		return -EBUSY;
	memcpy((__u8 *)h + off, &vnet, sizeof(vnet));
	memcpy((__u8 *)h + off + sizeof(vnet), frame, len);
	h->tp_len = (__u32)(sizeof(vnet) + len);
	__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
	/* Blocking: returns once the kernel is done with the frame. */
	if (send(v->ring_fd, NULL, 0, 0) < 0)
		err = errno == ENOBUFS ? 0 : -errno;
	/* The kernel hands a dropped frame back as SEND_REQUEST, to be sent
	 * again, and keeps its ring head there: reuse the slot, without the
	 * retry, which would put the frame on the wire after all. */
	if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) == TP_STATUS_SEND_REQUEST)
		__atomic_store_n(&h->tp_status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
	else
		v->ring_next = (v->ring_next + 1) % RING_FRAMES;
	return err;
}

static int send_plain(struct veth *v, const __u8 *frame, size_t len)
{
	if (send(v->tx_fd, frame, len, 0) < 0 && errno != ENOBUFS)
		return -errno;
	return 0;
}

static void rx_drain(struct veth *v)
{
	__u8 buf[FR_MAX_LEN];

	while (recv(v->tap_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	while (recv(v->udp_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Frames vb received within timeout_ms (not ones it sent: B may answer),
 * and the length of the last. */
static int tap_count(struct veth *v, int timeout_ms, size_t *last_len)
{
	struct pollfd pfd = { .fd = v->tap_fd, .events = POLLIN };
	struct sockaddr_ll from;
	socklen_t fl;
	__u8 buf[FR_MAX_LEN];
	ssize_t n;
	int count = 0;

	while (poll(&pfd, 1, timeout_ms) > 0) {
		for (;;) {
			fl = sizeof(from);
			n = recvfrom(v->tap_fd, buf, sizeof(buf), MSG_DONTWAIT, (void *)&from, &fl);
			if (n < 0)
				break;
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			count++;
			*last_len = (size_t)n;
		}
		timeout_ms = 50; /* anything after the first is late or stray */
	}
	return count;
}

static int udp_count(struct veth *v, int timeout_ms)
{
	struct pollfd pfd = { .fd = v->udp_fd, .events = POLLIN };
	__u8 buf[FR_MAX_LEN];
	int count = 0;

	while (poll(&pfd, 1, timeout_ms) > 0) {
		while (recv(v->udp_fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			count++;
		timeout_ms = 50;
	}
	return count;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct nlcase {
	const char *name;
	struct fr_layer frame[FR_MAX_LAYERS];
	bool ring;	   /* TX ring, else one send() of a page or more */
	enum hook hook;	   /* HOOK_TC_OUT on va or HOOK_TC_IN on vb */
	const char *block; /* what that hook's direction blocks */
	__u32 idx;
	int verdict;
	__u16 cut;
	bool udp; /* an IPv4 UDP datagram for vb's socket: check it arrives */
	/* Bytes the receiving side loses: the kernel moves an outer VLAN tag
	 * into skb metadata before packet taps and TC ingress see the frame. */
	__u16 untagged;
	__u16 linear; /* ring: bytes put in the linear area; 0: 14 */
	/* Longer than FW_COPY_MAX: the program pulls the headers into the
	 * linear area; a shorter frame it reads from a copy, the skb as is. */
	bool pulled;
};

/* Every case fails without fw_tc's copy or pull: the IP header is outside
 * the linear area, so the frame would count as malformed, and be dropped as
 * such wherever anything is blocked. A frame fwctl passes also shows, at the
 * next probe, whether the program copied (the skb goes on as it came) or
 * pulled (more of it goes on linear). */
/* clang-format off */
static const struct nlcase nlcases[] = {
	{ "ring-ipv4-udp-passed", { ETH(P_IP), IP4(17), UDP(.len = 22) },
	  true, HOOK_TC_OUT, "tcp", 17, PASS },
	{ "ring-ipv4-icmp-blocked", { ETH(P_IP), IP4(1), ICMP4(.len = 22) },
	  true, HOOK_TC_OUT, "icmp", 1, DROP },
	{ "ring-ipv4-trunc-19-malformed", { ETH(P_IP), IP4(1), ICMP4() },
	  true, HOOK_TC_OUT, "icmp", MALF, DROP, .cut = 14 + 19 },
	{ "ring-ipv6-chain6-icmpv6-blocked", { ETH(P_IPV6), CHAIN6(58), ICMP6() },
	  true, HOOK_TC_OUT, "icmpv6", 58, DROP },
	{ "ring-ipv6-frag-later-udp-blocked",
	  { ETH(P_IPV6), IP6(44), FRAG(17, .frag = 100), BYTES(32) },
	  true, HOOK_TC_OUT, "udp", 17, DROP },
	{ "ring-qinq-ipv4-tcp-blocked",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IP), IP4(6), TCP() },
	  true, HOOK_TC_OUT, "tcp", 6, DROP },
	{ "ring-qinq-ipv4-tcp-passed",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IP), IP4(6), TCP() },
	  true, HOOK_TC_OUT, "udp", 6, PASS, .untagged = 4 },
	/* The IP headers are linear, the ICMP type is not: only pulling it in
	 * shows the anti-lockout exemption applies. */
	{ "ring-ipv4-frag-needed-type-paged-exempt", { ETH(P_IP), IP4(1), ICMP4T(3, 4, .len = 28) },
	  true, HOOK_TC_OUT, "icmp", 1, PASS, .linear = 14 + 20 },
	{ "ring-ipv6-neighbour-solicit-type-paged-exempt",
	  { ETH(P_IPV6), IP6(58), ICMP6T(135, 0, .len = 16) },
	  true, HOOK_TC_OUT, "icmpv6", 58, PASS, .linear = 14 + 40 },
	{ "ring-ipv6-echo-type-paged-blocked", { ETH(P_IPV6), IP6(58), ICMP6(.len = 16) },
	  true, HOOK_TC_OUT, "icmpv6", 58, DROP, .linear = 14 + 40 },
	{ "ring-ipv6-chain6-split-mid-chain-passed", { ETH(P_IPV6), CHAIN6(17), UDP() },
	  true, HOOK_TC_OUT, "icmpv6", 17, PASS, .linear = 14 + 40 + 8 + 4 },
	{ "page-ipv4-udp-5000-passed", { ETH(P_IP), IP4(17), UDP(.len = 4958) },
	  false, HOOK_TC_OUT, "icmp", 17, PASS, .pulled = true },
	/* 14 + 40 + 512 bytes of headers in a frame past the copy: pulled. */
	{ "ring-ipv6-hopopts-512-udp-passed-pulled",
	  { ETH(P_IPV6), IP6(0), HOPOPTS(17, .len = 63), UDP() },
	  true, HOOK_TC_OUT, "icmpv6", 17, PASS, .pulled = true },
	{ "ring-ipv6-hopopts-512-icmpv6-blocked-pulled",
	  { ETH(P_IPV6), IP6(0), HOPOPTS(58, .len = 63), ICMP6() },
	  true, HOOK_TC_OUT, "icmpv6", 58, DROP, .pulled = true },
	{ "page-ipv6-hopopts-icmpv6-5000-blocked",
	  { ETH(P_IPV6), IP6(0), HOPOPTS(58), ICMP6(.len = 4930) },
	  false, HOOK_TC_OUT, "icmpv6", 58, DROP, .pulled = true },

	{ "ring-ipv4-udp-passed", { ETH(P_IP), IP4(17), UDP(.len = 22) },
	  true, HOOK_TC_IN, "tcp", 17, PASS, .udp = true },
	{ "ring-ipv4-udp-blocked", { ETH(P_IP), IP4(17), UDP(.len = 22) },
	  true, HOOK_TC_IN, "udp", 17, DROP, .udp = true },
	{ "ring-ipv4-ihl15-udp-blocked", { ETH(P_IP), IP4(17, .ihl = 15), UDP() },
	  true, HOOK_TC_IN, "udp", 17, DROP, .udp = true },
	{ "ring-ipv4-trunc-19-malformed", { ETH(P_IP), IP4(1), ICMP4() },
	  true, HOOK_TC_IN, "icmp", MALF, DROP, .cut = 14 + 19 },
	{ "ring-ipv6-chain6-tcp-passed", { ETH(P_IPV6), CHAIN6(6), TCP() },
	  true, HOOK_TC_IN, "icmpv6", 6, PASS },
	{ "ring-qinq-ipv6-icmpv6-blocked",
	  { ETH(P_8021AD), VLAN(P_8021Q), VLAN(P_IPV6), IP6(58), ICMP6() },
	  true, HOOK_TC_IN, "icmpv6", 58, DROP, .untagged = 4 },
	{ "page-ipv4-udp-5000-passed", { ETH(P_IP), IP4(17), UDP(.len = 4958) },
	  false, HOOK_TC_IN, "icmp", 17, PASS, .udp = true, .pulled = true },
	{ "ring-ipv6-neighbour-solicit-type-paged-exempt",
	  { ETH(P_IPV6), IP6(58), ICMP6T(135, 0, .len = 16) },
	  true, HOOK_TC_IN, "icmpv6", 58, PASS, .linear = 14 + 40 },
	{ "ring-ipv4-frag-needed-type-paged-strict", { ETH(P_IP), IP4(1), ICMP4T(3, 4, .len = 28) },
	  true, HOOK_TC_IN, "icmp,strict", 1, DROP, .linear = 14 + 20 },
	{ "ring-ipv6-hopopts-512-icmpv6-blocked-pulled",
	  { ETH(P_IPV6), IP6(0), HOPOPTS(58, .len = 63), ICMP6() },
	  true, HOOK_TC_IN, "icmpv6", 58, DROP, .pulled = true },
};
/* clang-format on */

static void run_nlcase(struct veth *v, const struct nlcase *c)
{
	struct fw_policy pol = policy_parse(c->block), none = { 0 };
	int side = c->hook == HOOK_TC_IN, slot = side ? SLOT_VETH_IN : SLOT_VETH_OUT;
	struct probe_val pv = { 0 }, pv_next = { 0 };
	__u8 frame[FR_MAX_LEN];
	char name[128], n1[32];
	struct check ck = { 0 };
	size_t len, seen_len, tap_len = 0;
	int err, taps, dgrams = -1, tries, s;
	struct cell want;
	/* The probe that sees what fwctl's program passed on: vb's ingress
	 * probe after egress, the one behind fwctl's filter after ingress. */
	__u32 key = (__u32)side, key_next = side ? 2 : 1;
	unsigned int i;

	snprintf(name, sizeof(name), "%s/nonlinear-%s", hook_name[c->hook], c->name);
	len = fr_build(c->frame, frame, sizeof(frame));
	if (c->cut)
		len = c->cut;
	seen_len = len - (side ? c->untagged : 0);
	want = (struct cell){ (__u32)slot, hook_dir[c->hook], c->idx, c->verdict, 1, seen_len };

	for (i = 0; i < NSLOTS; i++) {
		set_policy(slots[i], FW_DIR_IN, &none);
		set_policy(slots[i], FW_DIR_OUT, &none);
	}
	err = set_policy((__u32)slot, hook_dir[c->hook], &pol);
	for (s = 0; s < 2 && !err; s++)
		err = veth_fw(v, s, s == side ? prog_fd(slot_index((__u32)slot), c->hook) : -1);
	if (!err)
		err = bpf_map_update_elem(v->probe_map, &key, &pv, BPF_ANY) ? -errno : 0;
	if (!err)
		err = bpf_map_update_elem(v->probe_map, &key_next, &pv, BPF_ANY) ? -errno : 0;
	rx_drain(v);
	if (!err)
		err = snap_take(&before);
	if (err) {
		ck_fail(&ck, "cannot set up the case: %s", strerror(-err));
		goto out;
	}

	err = c->ring ? send_ring(v, frame, len, c->linear) : send_plain(v, frame, len);
	if (err) {
		ck_fail(&ck, "cannot send the frame: %s", strerror(-err));
		goto out;
	}
	taps = tap_count(v, side || c->verdict == FW_PASS ? 1000 : 100, &tap_len);
	if (c->udp)
		dgrams = udp_count(v, c->verdict == FW_PASS ? 1000 : 100);

	bpf_map_lookup_elem(v->probe_map, &key, &pv);
	if (pv.len != seen_len) {
		ck_fail(&ck, "the probe at %s saw %llu bytes, expected %zu", side ? VB : VA,
			(unsigned long long)pv.len, seen_len);
		goto out;
	}
	if (c->linear && pv.linear != c->linear) {
		ck_fail(&ck, "the probe at %s saw %llu linear bytes, expected %u", side ? VB : VA,
			(unsigned long long)pv.linear, c->linear);
		goto out;
	}
	if (pv.linear >= pv.len) {
		char why[128];

		snprintf(why, sizeof(why), "the skb arrived linear (%llu of %llu bytes)",
			 (unsigned long long)pv.linear, (unsigned long long)pv.len);
		skip(name, why);
		return;
	}

	/* Ingress runs in softirq, maybe after the tap woke us: wait for it. */
	for (tries = 0; tries < 100; tries++) {
		struct check probe = { 0 };

		err = snap_take(&after);
		if (err || !check_counters(&probe, &before, &after, &want, 1))
			break;
		sleep_ms(10);
	}
	if (err) {
		ck_fail(&ck, "cannot read counters: %s", strerror(-err));
		goto out;
	}
	check_counters(&ck, &before, &after, &want, 1);

	if (side || c->verdict == FW_PASS) {
		if (taps != 1 || tap_len != len - c->untagged)
			ck_fail(&ck,
				"%d frames reached " VB " (last %zu bytes), expected one of %zu",
				taps, tap_len, len - c->untagged);
	} else if (taps) {
		ck_fail(&ck, "%d frames reached " VB " though egress dropped it", taps);
	}
	/* What the program passed on: as it was (copied) or with more of it
	 * linear (pulled). The next probe runs after vb's tap: wait for it.
	 * A tag the kernel strips at vb is pulled in there, so those cases
	 * tell nothing. */
	if (c->verdict == FW_PASS && !c->untagged) {
		for (tries = 0; tries < 100 && pv_next.len != seen_len; tries++) {
			bpf_map_lookup_elem(v->probe_map, &key_next, &pv_next);
			if (pv_next.len != seen_len)
				sleep_ms(10);
		}
		if (pv_next.len != seen_len)
			ck_fail(&ck, "the probe after fwctl's program saw %llu bytes, expected %zu",
				(unsigned long long)pv_next.len, seen_len);
		else if (c->pulled ? pv_next.linear <= pv.linear : pv_next.linear != pv.linear)
			ck_fail(&ck,
				"fwctl's program handed on %llu linear bytes of %llu, had %llu: %s",
				(unsigned long long)pv_next.linear, (unsigned long long)pv_next.len,
				(unsigned long long)pv.linear,
				c->pulled ? "headers past the copy were not pulled in"
					  : "it pulled what a copy could read");
	}
	if (c->udp && dgrams != (c->verdict == FW_PASS))
		ck_fail(&ck, "%d datagrams reached the socket behind " VB ", expected %d", dgrams,
			c->verdict == FW_PASS);
	if (ck.failed)
		ck_detail(&ck, "linear %llu of %llu bytes, blocks '%s', expected %s %s",
			  (unsigned long long)pv.linear, (unsigned long long)pv.len, c->block,
			  idx_name(c->idx, n1, sizeof(n1)), verdict_name(c->verdict));
out:
	report(name, &ck);
}

static void run_nonlinear(void)
{
	struct veth v = { .host_ns = -1,
			  .ns_fd = { -1, -1 },
			  .probe_map = -1,
			  .probe_fd = { -1, -1, -1 },
			  .tx_fd = -1,
			  .ring_fd = -1,
			  .tap_fd = -1,
			  .udp_fd = -1 };
	char why[256] = "", name[128];
	size_t i;

	if (veth_up(&v, why, sizeof(why))) {
		for (i = 0; i < sizeof(nlcases) / sizeof(nlcases[0]); i++) {
			snprintf(name, sizeof(name), "%s/nonlinear-%s", hook_name[nlcases[i].hook],
				 nlcases[i].name);
			skip(name, why);
		}
	} else {
		for (i = 0; i < sizeof(nlcases) / sizeof(nlcases[0]); i++)
			run_nlcase(&v, &nlcases[i]);
	}
	veth_down(&v);
}

/* --- main ---------------------------------------------------------------- */

int main(void)
{
	cpu_set_t cpus;
	char why[512] = "";
	unsigned int i;
	int ret = 1;

	if (geteuid() != 0) {
		skip("test_prog", "needs root to load BPF programs");
		return 0;
	}
	libbpf_set_print(libbpf_quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	/* One CPU throughout: the cell part needs to know whose copy fills. */
	cell_cpu = sched_getcpu();
	CPU_ZERO(&cpus);
	CPU_SET(cell_cpu, &cpus);
	if (cell_cpu < 0 || sched_setaffinity(0, sizeof(cpus), &cpus)) {
		snprintf(why, sizeof(why), "cannot stay on one CPU: %s", strerror(errno));
		goto fail;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		snprintf(why, sizeof(why), "cannot count CPUs: %s", strerror(-ncpus));
		goto fail;
	}
	if (pindir_make("unit", why, sizeof(why)))
		goto fail;
	/* A broken table stops the program with exit(2): still clean up. */
	atexit(cleanup_fs);
	for (i = 0; i < NSLOTS; i++)
		if (load_inst(&insts[i], slots[i], why, sizeof(why)))
			goto fail;
	policy_fd = bpf_map__fd(insts[0].xdp->maps.fw_policy);
	counters_fd = bpf_map__fd(insts[0].xdp->maps.fw_counters);

	run_table();
	run_min_len();
	run_host_short();
	run_cells();
	run_nonlinear();
	ret = failures ? 1 : 0;
	goto out;
fail:
	printf("FAIL test_prog/setup: %s\n", why);
out:
	for (i = 0; i < NSLOTS; i++) {
		fw_xdp__destroy(insts[i].xdp);
		fw_tc__destroy(insts[i].tc);
	}
	free(before.raw);
	free(after.raw);
	cleanup_fs();
	return ret;
}
