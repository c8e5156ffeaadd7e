// SPDX-License-Identifier: GPL-2.0
/*
 * prog_cost - what fwctl's programs cost per frame, measured by the kernel:
 * BPF_PROG_TEST_RUN with a large repeat count, several rounds, the median of
 * the per-run time it reports (opts.duration). Beside every fwctl program
 * runs, interleaved round by round, a trivial program of the same type that
 * only returns the same verdict, so the table shows fwctl's own cost over the
 * hook's floor on this machine; and, where Debian's xdp-tools is installed,
 * xdp-filter's programs configured the way `xdp-filter port` and
 * `xdp-filter ip` would.
 *
 * fwctl is measured as it is deployed: one instance per namespace that finds
 * the interface's slot by ifindex (fw_slot = FW_SLOT_BY_IFINDEX), run on a
 * real interface's ifindex (a veth in a network namespace of our own, made
 * with unshare(2): it goes with the process). -i N covers N interfaces, the
 * frame arriving on the last: the data path must not care. -s adds the
 * fixed-slot instance (rodata slot, no fw_slots lookup) the tests use. -a
 * adds, on the XDP rows, fwctl's program cut short after each step of its hot
 * path (bench/fw_stages.bpf.c) and prints what each step adds.
 *
 * Usage: prog_cost [-r ROUNDS] [-n REPEAT] [-i IFACES] [-s] [-a] [-q]
 *        (root; -q: 3 x 100000)
 */
#define _GNU_SOURCE /* sched_getcpu() */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fw_abi.h"
#include "fw_xdp.skel.h"
#include "fw_tc.skel.h"
#include "fw_stages.skel.h"
#include "../tests/unit/frames.h"
#include "../tests/unit/pindir.h"

#define MAX_PROGS  12
#define MAX_ROUNDS 1000

/* xdp-filter's map values (its common_kern_user.h): flags in the low bits. */
#define XF_FLAG_SRC (1 << 0)
#define XF_FLAG_DST (1 << 1)
#define XF_FLAG_UDP (1 << 3)
/* A port none of the frames below uses: UDP frames walk the whole filter. */
#define XF_PORT 9
/* The ICMP frame's source, for xdp-filter's address rule: xdp-filter has no
 * protocol rules, so this is how it drops that frame. */
#define ICMP_SRC "198.51.100.1"

enum hook {
	HOOK_XDP,
	HOOK_TC,
};

struct frame {
	const char *name;
	struct fr_layer layers[FR_MAX_LAYERS];
	int verdict; /* fwctl's, with ICMP blocked */
	__u8 data[FR_MAX_LEN];
	size_t len;
};

/* The built bytes are left out of the table, for build_frames() to fill. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* clang-format off */
static struct frame frames[] = {
	{ "udp-64", { ETH(0x0800), IP4(17), UDP(.len = 22) }, FW_PASS },
	{ "icmp-64", { ETH(0x0800), IP4(1), ICMP4(.len = 22) }, FW_DROP },
	{ "ipv6-udp-64", { ETH(0x86dd), IP6(17), UDP(.len = 2) }, FW_PASS },
	{ "vlan-udp-64", { ETH(0x8100), VLAN(0x0800), IP4(17), UDP(.len = 18) }, FW_PASS },
	{ "qinq-udp-64", { ETH(0x88a8), VLAN(0x8100), VLAN(0x0800), IP4(17), UDP(.len = 14) },
	  FW_PASS },
	{ "ipv6-6ext-udp", { ETH(0x86dd), IP6(0), HOPOPTS(60), DSTOPTS(43), ROUTING(44),
			     FRAG(51, .mf = 1), AH(60, .len = 4), DSTOPTS(17), UDP() }, FW_PASS },
};
/* clang-format on */
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

struct prog {
	const char *name;
	int fd;
	int samples;
	__u32 ns[MAX_ROUNDS];
	__u32 retval;
	bool ret_differs;  /* returned different values across rounds */
	const char *stage; /* -a: a step of fw_stages.bpf.c; NULL: not one */
};

static struct fw_xdp *xdp_skel, *xdp_fixed;
static struct fw_tc *tc_skel, *tc_fixed;
static int n_ifaces = 1;
static bool fixed_too, stages_too;
static struct fw_stages *stages_skel;
/* ifindex[slot]: the interfaces covered; frames arrive on the last one. */
static int ifindex[FW_MAX_IFACES];
static struct bpf_object *xf_obj[2];
static int trivial_fd[2][2] = { { -1, -1 }, { -1, -1 } }; /* [hook][verdict] */

static void cleanup(void)
{
	pindir_remove();
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The trivial comparison: r0 = verdict; exit. */
static int trivial_load(enum bpf_prog_type type, int ret, const char *name)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, name, "GPL", insns, 2, NULL);
}

static int percpu_set(int map_fd, const void *key, __u64 val, int ncpus)
{
	__u64 *vals = calloc((size_t)ncpus, sizeof(*vals));
	int i, err;

	if (!vals)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++)
		vals[i] = val;
	err = bpf_map_update_elem(map_fd, key, vals, BPF_ANY) ? -errno : 0;
	free(vals);
	return err;
}

/* Loads xdp-filter's object for a feature set ("all": what `xdp-filter load`
 * picks by default; "udp": what `load -f udp` picks) in blacklist mode
 * ("alw": pass unless a rule matches), with `xdp-filter port 9 -p udp` and
 * `xdp-filter ip ICMP_SRC -m src` in its maps. Returns the program fd. */
static int xdp_filter_load(int i, const char *feat, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int ncpus = libbpf_num_possible_cpus(), err, fd;
	char pattern[128];
	struct bpf_program *prog;
	struct bpf_map *map;
	__u32 key, addr;
	glob_t g;

	snprintf(pattern, sizeof(pattern), "/usr/lib/*/bpf/xdpfilt_alw_%s.o", feat);
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		snprintf(pattern, sizeof(pattern), "/usr/lib/bpf/xdpfilt_alw_%s.o", feat);
		if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
			snprintf(why, len, "xdpfilt_alw_%s.o not found (install xdp-tools)", feat);
			return -1;
		}
	}
	xf_obj[i] = bpf_object__open_file(g.gl_pathv[0], &opts);
	if (!xf_obj[i]) {
		snprintf(why, len, "cannot open %s: %s", g.gl_pathv[0], strerror(errno));
		globfree(&g);
		return -1;
	}
	globfree(&g);
	err = bpf_object__load(xf_obj[i]);
	if (err) {
		snprintf(why, len, "cannot load xdpfilt_alw_%s: %s", feat, strerror(-err));
		return -1;
	}
	prog = bpf_object__next_program(xf_obj[i], NULL);
	fd = prog ? bpf_program__fd(prog) : -1;

	map = bpf_object__find_map_by_name(xf_obj[i], "filter_ports");
	key = htons(XF_PORT);
	if (map && percpu_set(bpf_map__fd(map), &key, XF_FLAG_DST | XF_FLAG_UDP, ncpus)) {
		snprintf(why, len, "cannot set xdp-filter's port rule");
		return -1;
	}
	map = bpf_object__find_map_by_name(xf_obj[i], "filter_ipv4");
	inet_pton(AF_INET, ICMP_SRC, &addr);
	if (map && percpu_set(bpf_map__fd(map), &addr, XF_FLAG_SRC, ncpus)) {
		snprintf(why, len, "cannot set xdp-filter's address rule");
		return -1;
	}
	return fd;
}

/* N interfaces in a network namespace of our own (unshare: no pin, no
 * cleanup, nothing the host sees): veth pairs, never up, only there to own
 * an ifindex and the receive queue XDP's test-run wants. */
static int make_ifaces(int n, char *why, size_t len)
{
	char name[IF_NAMESIZE];
	FILE *ip;
	int i;

	if (unshare(CLONE_NEWNET)) {
		snprintf(why, len, "cannot make a network namespace: %s", strerror(errno));
		return -1;
	}
	ip = popen("ip -batch - >/dev/null", "w");
	if (!ip) {
		snprintf(why, len, "cannot run ip(8): %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i += 2)
		fprintf(ip, "link add fwb%d type veth peer name fwb%d\n", i, i + 1);
	if (pclose(ip)) {
		snprintf(why, len, "ip(8) cannot make %d veth devices", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fwb%d", i);
		ifindex[i] = (int)if_nametoindex(name);
		if (!ifindex[i]) {
			snprintf(why, len, "%s did not appear: %s", name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* One instance of each fwctl program, sharing the pinned maps: fw_slot is
 * FW_SLOT_BY_IFINDEX (deployed) or a fixed slot (-s). */
static int load_fw(struct fw_xdp **xdp, struct fw_tc **tc, __u32 slot, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	*xdp = fw_xdp__open_opts(&opts);
	*tc = fw_tc__open_opts(&opts);
	if (!*xdp || !*tc) {
		snprintf(why, len, "cannot open fwctl's programs: %s", strerror(errno));
		return -1;
	}
	(*xdp)->rodata->fw_slot = slot;
	(*tc)->rodata->fw_slot = slot;
	err = fw_xdp__load(*xdp);
	if (!err)
		err = fw_tc__load(*tc);
	if (err) {
		snprintf(why, len, "cannot load fwctl's programs: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/* The stages share fwctl's pinned maps, so cover() holds for them too. */
static int load_stages(char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	stages_skel = fw_stages__open_opts(&opts);
	if (!stages_skel) {
		snprintf(why, len, "cannot open the stages: %s", strerror(errno));
		return -1;
	}
	stages_skel->rodata->fw_slot = FW_SLOT_BY_IFINDEX;
	err = fw_stages__load(stages_skel);
	if (err) {
		snprintf(why, len, "cannot load the stages: %s", strerror(-err));
		return -1;
	}
	return 0;
}

/* Covers the n interfaces as fwctl would: fw_slots[ifindex] = slot + 1, and
 * every slot blocks ICMP both ways. */
static int cover(int n, char *why, size_t len)
{
	int slots_fd = bpf_map__fd(xdp_skel->maps.fw_slots);
	int policy_fd = bpf_map__fd(xdp_skel->maps.fw_policy);
	struct fw_policy pol = { .blocked = { 1ull << 1 } };
	__u32 key, val, dir, i;

	for (i = 0; i < (__u32)n; i++) {
		key = (__u32)ifindex[i];
		val = i + 1;
		if (bpf_map_update_elem(slots_fd, &key, &val, BPF_ANY)) {
			snprintf(why, len, "cannot map ifindex %u: %s", key, strerror(errno));
			return -1;
		}
		for (dir = 0; dir < FW_DIRS; dir++) {
			key = fw_key(i, dir);
			if (bpf_map_update_elem(policy_fd, &key, &pol, BPF_ANY)) {
				snprintf(why, len, "cannot set fwctl's policy: %s",
					 strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static int setup(char *why, size_t len)
{
	if (make_ifaces(n_ifaces, why, len))
		return -1;
	if (pindir_make("bench", why, len))
		return -1;
	atexit(cleanup); /* also when frames.h stops on a broken table */
	if (load_fw(&xdp_skel, &tc_skel, FW_SLOT_BY_IFINDEX, why, len))
		return -1;
	if (fixed_too && load_fw(&xdp_fixed, &tc_fixed, (__u32)n_ifaces - 1, why, len))
		return -1;
	if (cover(n_ifaces, why, len))
		return -1;
	if (stages_too && load_stages(why, len))
		return -1;
	trivial_fd[HOOK_XDP][FW_PASS] = trivial_load(BPF_PROG_TYPE_XDP, XDP_PASS, "fwb_xdp_pass");
	trivial_fd[HOOK_XDP][FW_DROP] = trivial_load(BPF_PROG_TYPE_XDP, XDP_DROP, "fwb_xdp_drop");
	trivial_fd[HOOK_TC][FW_PASS] =
		trivial_load(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_UNSPEC, "fwb_tc_unspec");
	trivial_fd[HOOK_TC][FW_DROP] =
		trivial_load(BPF_PROG_TYPE_SCHED_CLS, TC_ACT_SHOT, "fwb_tc_shot");
	if (trivial_fd[0][0] < 0 || trivial_fd[0][1] < 0 || trivial_fd[1][0] < 0 ||
	    trivial_fd[1][1] < 0) {
		snprintf(why, len, "cannot load the trivial programs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void build_frames(void)
{
	size_t i;
	__u8 *ip;

	for (i = 0; i < NFRAMES; i++)
		frames[i].len = fr_build(frames[i].layers, frames[i].data, sizeof(frames[i].data));
	/* The ICMP frame gets a source of its own, for xdp-filter's rule. */
	ip = frames[1].data + 14;
	inet_pton(AF_INET, ICMP_SRC, ip + 12);
	fr_be16(ip + 10, 0);
	fr_be16(ip + 10, fr_csum(ip, 20));
}

static const char *verdict_name(enum hook h, __u32 ret)
{
	/* XDP_ABORTED is what xdp-filter answers to headers it gives up on. */
	if (h == HOOK_XDP)
		return ret == XDP_DROP	    ? "drop"
		       : ret == XDP_PASS    ? "pass"
		       : ret == XDP_ABORTED ? "aborted"
					    : "other";
	return ret == TC_ACT_SHOT ? "drop" : ret == (__u32)TC_ACT_UNSPEC ? "pass" : "other";
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static __u32 median(struct prog *p)
{
	__u32 s[MAX_ROUNDS];

	memcpy(s, p->ns, sizeof(__u32) * (size_t)p->samples);
	qsort(s, (size_t)p->samples, sizeof(__u32), cmp_u32);
	if (p->samples % 2)
		return s[p->samples / 2];
	return (s[p->samples / 2 - 1] + s[p->samples / 2] + 1) / 2;
}

static void minmax(const struct prog *p, __u32 *lo, __u32 *hi)
{
	int i;

	*lo = UINT32_MAX;
	*hi = 0;
	for (i = 0; i < p->samples; i++) {
		if (p->ns[i] < *lo)
			*lo = p->ns[i];
		if (p->ns[i] > *hi)
			*hi = p->ns[i];
	}
}

/* Every program of a row runs on the same interface, as the hook would. */
static int run(struct prog *p, const struct frame *f, enum hook h, int repeat)
{
	struct xdp_md xdp = { .data_end = (__u32)f->len,
			      .ingress_ifindex = (__u32)ifindex[n_ifaces - 1] };
	struct __sk_buff skb = { .ifindex = (__u32)ifindex[n_ifaces - 1] };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = (__u32)f->len,
		    .repeat = repeat);
	int err;

	opts.ctx_in = h == HOOK_XDP ? (void *)&xdp : (void *)&skb;
	opts.ctx_size_in = h == HOOK_XDP ? sizeof(xdp) : sizeof(skb);

	err = bpf_prog_test_run_opts(p->fd, &opts);
	if (err)
		return err;
	if (p->samples && opts.retval != p->retval)
		p->ret_differs = true;
	p->retval = opts.retval;
	p->ns[p->samples++] = opts.duration;
	return 0;
}

struct row {
	const struct frame *fr;
	const char *frame;
	enum hook hook;
	struct prog progs[MAX_PROGS];
	int nprogs;
};

static const char *const hook_name[] = { "xdp", "tc" };

/* In the order fw_xdp runs the steps; the parser alone last. */
static void add_stages(struct row *w)
{
	const struct {
		const char *stage;
		const struct bpf_program *prog;
	} st[] = {
		{ "ifindex", stages_skel->progs.st_ifindex },
		{ "slot", stages_skel->progs.st_slot },
		{ "lookups", stages_skel->progs.st_lookups },
		{ "decide", stages_skel->progs.st_decide },
		{ "parse", stages_skel->progs.st_parse },
	};
	size_t i;

	_Static_assert(3 + 2 + sizeof(st) / sizeof(st[0]) <= MAX_PROGS,
		       "fwctl, trivial, fwctl-slot, two xdp-filters and the stages fit a row");
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		w->progs[w->nprogs++] = (struct prog){
			.name = st[i].stage,
			.fd = bpf_program__fd(st[i].prog),
			.stage = st[i].stage,
		};
}

static void print_rows(struct row *rows, int nrows)
{
	__u32 med[MAX_PROGS], lo, hi, base;
	int r, i;

	printf("%-14s %-4s %-17s %-7s %7s %7s %7s  %s\n", "frame", "hook", "program", "verdict",
	       "median", "min", "max", "vs trivial");
	for (r = 0; r < nrows; r++) {
		struct row *w = &rows[r];

		for (i = 0; i < w->nprogs; i++)
			med[i] = median(&w->progs[i]);
		base = med[1]; /* the trivial program is always second */
		for (i = 0; i < w->nprogs; i++) {
			struct prog *p = &w->progs[i];

			if (p->stage)
				continue;
			minmax(p, &lo, &hi);
			printf("%-14s %-4s %-17s %-7s %7u %7u %7u  ", i ? "" : w->frame,
			       i ? "" : hook_name[w->hook], p->name,
			       p->ret_differs ? "varies" : verdict_name(w->hook, p->retval), med[i],
			       lo, hi);
			if (base)
				printf("%.2fx %+d ns\n", (double)med[i] / base,
				       (int)med[i] - (int)base);
			else
				printf("-\n");
		}
	}
}

/* -a: the XDP rows again, step by step. "step adds" is what a stage adds to
 * the one before it; the parser alone is set against the trivial program. */
static void print_stage(const char *frame, const char *step, const char *verdict, __u32 m,
			__u32 base, __u32 prev)
{
	printf("%-14s %-8s %-7s %7u  %.2fx %+3d ns  %+3d ns\n", frame, step, verdict, m,
	       (double)m / base, (int)m - (int)base, (int)m - (int)prev);
}

static void print_stages(struct row *rows, int nrows)
{
	__u32 base, prev, m;
	int r, i;

	if (!stages_too)
		return;
	printf("\nfwctl's XDP program cut short after each step (-a; bench/fw_stages.bpf.c), "
	       "median ns:\n"
	       "  ifindex  reads ctx->ingress_ifindex   slot    + fw_slots[ifindex]\n"
	       "  lookups  + policy, counters lookups   decide  + parse and decide\n"
	       "  fwctl    + count: the whole program   parse   the parser alone, no lookup\n");
	printf("%-14s %-8s %-7s %7s  %-14s %s\n", "frame", "step", "verdict", "median",
	       "vs trivial", "step adds");
	for (r = 0; r < nrows; r++) {
		struct row *w = &rows[r];

		if (w->hook != HOOK_XDP)
			continue;
		base = prev = median(&w->progs[1]);
		print_stage(w->frame, "trivial", verdict_name(w->hook, w->progs[1].retval), base,
			    base, prev);
		for (i = 2; i < w->nprogs; i++) {
			struct prog *p = &w->progs[i];

			if (!p->stage)
				continue;
			if (!strcmp(p->stage, "parse")) { /* the whole program before it */
				m = median(&w->progs[0]);
				print_stage("", "fwctl", verdict_name(w->hook, w->progs[0].retval),
					    m, base, prev);
				prev = base;
			}
			m = median(p);
			print_stage("", p->stage,
				    p->ret_differs ? "varies" : verdict_name(w->hook, p->retval), m,
				    base, prev);
			prev = m;
		}
	}
}

static bool is_xdp_filter(const struct prog *p)
{
	return !strncmp(p->name, "xdp-filter", 10);
}

/* fwctl against each xdp-filter variant on the XDP rows. */
static void print_versus(struct row *rows, int nrows)
{
	int r, i;
	bool any = false;

	for (r = 0; r < nrows; r++)
		for (i = 2; i < rows[r].nprogs; i++)
			any |= rows[r].hook == HOOK_XDP && is_xdp_filter(&rows[r].progs[i]);
	if (!any)
		return;
	printf("\nfwctl vs xdp-filter, XDP, median ns (ratio below 1: fwctl is cheaper)\n");
	printf("%-14s %7s", "frame", "fwctl");
	for (i = 2; i < rows[0].nprogs; i++)
		if (is_xdp_filter(&rows[0].progs[i]))
			printf(" %17s %6s", rows[0].progs[i].name, "ratio");
	printf("\n");
	for (r = 0; r < nrows; r++) {
		struct row *w = &rows[r];
		__u32 fw;

		if (w->hook != HOOK_XDP)
			continue;
		fw = median(&w->progs[0]);
		printf("%-14s %7u", w->frame, fw);
		for (i = 2; i < w->nprogs; i++) {
			__u32 xf = median(&w->progs[i]);

			if (!is_xdp_filter(&w->progs[i]))
				continue;
			printf(" %17u %5.2fx", xf, xf ? (double)fw / xf : 0.0);
		}
		printf("\n");
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: prog_cost [-r ROUNDS] [-n REPEAT] [-i IFACES] [-s] [-a] [-q]\n"
		   "  -r ROUNDS  rounds per program, median reported (default 5)\n"
		   "  -n REPEAT  runs per round, BPF_PROG_TEST_RUN repeat (default 1000000)\n"
		   "  -i IFACES  interfaces covered, frames arrive on the last (default 1)\n"
		   "  -s         also the fixed-slot instance, as \"fwctl-slot\"\n"
		   "  -a         also fwctl's XDP program cut short after each step\n"
		   "  -q         quick: 3 rounds of 100000 unless -r/-n say otherwise\n");
}

int main(int argc, char **argv)
{
	struct row rows[NFRAMES * 2];
	int rounds = 0, repeat = 0, nrows = 0, r, i, c, err, ret = 1, cpu;
	const char *xf_feat[2] = { "all", "udp" };
	char xf_name[2][32], why[512] = "";
	int xf_fd[2] = { -1, -1 };
	bool quick = false;
	cpu_set_t set;
	size_t f;

	while ((c = getopt(argc, argv, "r:n:i:saqh")) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			repeat = atoi(optarg);
			break;
		case 'i':
			n_ifaces = atoi(optarg);
			break;
		case 's':
			fixed_too = true;
			break;
		case 'a':
			stages_too = true;
			break;
		case 'q':
			quick = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!rounds)
		rounds = quick ? 3 : 5;
	if (!repeat)
		repeat = quick ? 100000 : 1000000;
	if (n_ifaces > FW_MAX_IFACES) {
		fprintf(stderr,
			"prog_cost: -i %d: over the limit of %d interfaces (FW_MAX_IFACES)\n",
			n_ifaces, FW_MAX_IFACES);
		return 2;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1 || n_ifaces < 1 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "prog_cost: needs root to load BPF programs\n");
		return 1;
	}
	libbpf_set_print(libbpf_quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	/* One CPU for every run, so programs compete on equal terms. */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);

	if (setup(why, sizeof(why)))
		goto out;
	for (i = 0; i < 2; i++) {
		snprintf(xf_name[i], sizeof(xf_name[i]), "xdp-filter(%s)", xf_feat[i]);
		xf_fd[i] = xdp_filter_load(i, xf_feat[i], why, sizeof(why));
		if (xf_fd[i] < 0)
			fprintf(stderr, "prog_cost: %s left out: %s\n", xf_name[i], why);
	}
	why[0] = '\0';
	build_frames();

	for (f = 0; f < NFRAMES; f++) {
		for (c = HOOK_XDP; c <= HOOK_TC; c++) {
			struct row *w = &rows[nrows++];

			memset(w, 0, sizeof(*w));
			w->fr = &frames[f];
			w->frame = frames[f].name;
			w->hook = c;
			w->progs[w->nprogs++] = (struct prog){
				.name = "fwctl",
				.fd = c == HOOK_XDP ? bpf_program__fd(xdp_skel->progs.fw_xdp)
						    : bpf_program__fd(tc_skel->progs.fw_tc_out),
			};
			w->progs[w->nprogs++] = (struct prog){
				.name = "trivial",
				.fd = trivial_fd[c][frames[f].verdict],
			};
			if (fixed_too)
				w->progs[w->nprogs++] = (struct prog){
					.name = "fwctl-slot",
					.fd = c == HOOK_XDP
						      ? bpf_program__fd(xdp_fixed->progs.fw_xdp)
						      : bpf_program__fd(tc_fixed->progs.fw_tc_out),
				};
			for (i = 0; c == HOOK_XDP && i < 2; i++)
				if (xf_fd[i] >= 0)
					w->progs[w->nprogs++] =
						(struct prog){ .name = xf_name[i], .fd = xf_fd[i] };
			if (stages_too && c == HOOK_XDP)
				add_stages(w);
		}
	}

	printf("prog_cost: BPF_PROG_TEST_RUN, %d rounds x %d runs, ns per run (opts.duration), "
	       "CPU %d, fwctl blocks icmp on %d interface%s, frames on the last\n\n",
	       rounds, repeat, cpu, n_ifaces, n_ifaces == 1 ? "" : "s");
	/* Round by round, every program once per frame: A B A B, so drift in
	 * clock or load spreads over all of them alike. */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nrows; i++)
			for (c = 0; c < rows[i].nprogs; c++) {
				err = run(&rows[i].progs[c], rows[i].fr, rows[i].hook, repeat);
				if (err) {
					snprintf(why, sizeof(why),
						 "test-run of %s on %s failed: %s",
						 rows[i].progs[c].name, rows[i].frame,
						 strerror(-err));
					goto out;
				}
			}

	print_rows(rows, nrows);
	print_versus(rows, nrows);
	print_stages(rows, nrows);
	/* A fast wrong answer is not a result. */
	for (i = 0; i < nrows; i++) {
		const struct prog *p = &rows[i].progs[0];
		int want = rows[i].fr->verdict;

		if (strcmp(verdict_name(rows[i].hook, p->retval),
			   want == FW_DROP ? "drop" : "pass"))
			fprintf(stderr, "prog_cost: fwctl %s on %s returned %u, expected %s\n",
				hook_name[rows[i].hook], rows[i].frame, p->retval,
				want == FW_DROP ? "drop" : "pass");
	}
	ret = 0;
out:
	if (why[0])
		fprintf(stderr, "prog_cost: %s\n", why);
	for (i = 0; i < 2; i++) {
		bpf_object__close(xf_obj[i]);
		for (c = 0; c < 2; c++)
			if (trivial_fd[i][c] >= 0)
				close(trivial_fd[i][c]);
	}
	fw_stages__destroy(stages_skel);
	fw_xdp__destroy(xdp_fixed);
	fw_tc__destroy(tc_fixed);
	fw_xdp__destroy(xdp_skel);
	fw_tc__destroy(tc_skel);
	cleanup();
	return ret;
}
