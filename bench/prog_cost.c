// SPDX-License-Identifier: GPL-2.0
/*
 * prog_cost - what fwctl's programs cost per frame, to a fraction of a
 * nanosecond.
 *
 * BPF_PROG_TEST_RUN reports whole nanoseconds (opts.duration, an integer
 * division), and a do-nothing XDP program's loop costs a few ns, so one of
 * its steps is 6-20 %. prog_cost times each test-run from user space
 * instead: CLOCK_MONOTONIC around one BPF_PROG_TEST_RUN with a large repeat,
 * divided by the repeat. Before every program it runs the floor, a program
 * of the same type that only returns the same verdict (F A F B F C ...),
 * and pairs each sample with the floor's run just before it, so drift in
 * clock or load cancels; every program runs once per round, many rounds,
 * and the table gives medians. The thread is pinned to one CPU.
 *
 * Programs run as deployed. Everything lives in a network namespace of its
 * own (fwbench-PID-pc), with one idle veth per XDP program: fwctl covers its
 * veths itself (`fwctl -n NS block icmp ...`: one instance that finds the
 * slot by ifindex, and whatever fwctl attaches is what is timed), and the
 * floors, the lower bound and xdp-filter are attached the same way, so that
 * every XDP program runs through the kernel's XDP dispatcher (a direct call
 * for attached programs, up to 48 of them) like a real attachment. TC
 * test-runs have no dispatcher: the programs are called the same way
 * attached or not.
 *
 * Rows besides fwctl and the floor: the lower bound (bench/lower_bound.bpf.c:
 * slot by ifindex, protocol byte, policy byte, one per-CPU count; untagged
 * IPv4 frames only), lower-bound+ (the same with the IPv4 checks any
 * correct program needs and bytes counted beside packets, as fwctl counts)
 * and, where Debian's xdp-tools is installed, xdp-filter's
 * programs configured the way `xdp-filter port 9 -p udp` and `xdp-filter ip
 * 198.51.100.1 -m src` would (its object for `load -f all`, the default,
 * and for `load -f udp`). With -x IFINDEX, fwctl's XDP program also runs on
 * a veth made with that index (fwctl@IFINDEX), when fwctl covers it.
 *
 * With -X NAME=OBJ, another build of fwctl's XDP or TC object runs beside
 * it on the same maps and interfaces: before/after figures from one run.
 *
 * Usage: prog_cost [-r ROUNDS] [-n REPEAT] [-i IFACES] [-x IFINDEX]
 *                  [-X NAME=OBJ] [-t FRAME,...] [-k xdp|tc] [-f] [-o FILE]
 *                  [-F FWCTL] [-q]   (root)
 */
#define _GNU_SOURCE /* sched_getcpu(), setns() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lower_bound.skel.h"
#include "../tests/unit/frames.h"
#include "../tests/unit/pindir.h"

#define MAX_PROGS    12
#define MAX_VARIANTS 6
#define MAX_ROUNDS   1001
#define MAX_FLOORS   8
/* enum bpf_attach_type, for headers older than TCX (Linux 6.6) */
#define PC_TCX_INGRESS 46
#define PC_TCX_EGRESS  47

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
static const char *const hook_name[] = { "xdp", "tc" };

/* fwctl's verdicts, as the frames' table states them (ICMP blocked). */
enum { V_PASS, V_DROP };

struct frame {
	const char *name;
	struct fr_layer layers[FR_MAX_LAYERS];
	int verdict;
	bool ipv4; /* untagged IPv4: the lower bound's frames */
	bool ipv6; /* untagged IPv6: lower-bound6's */
	__u8 data[FR_MAX_LEN];
	size_t len;
};

/* The built bytes are left out of the table, for build_frames() to fill. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* clang-format off */
static struct frame frames[] = {
	{ "udp-64", { ETH(0x0800), IP4(17), UDP(.len = 22) }, V_PASS, true },
	{ "icmp-64", { ETH(0x0800), IP4(1), ICMP4(.len = 22) }, V_DROP, true },
	{ "ipv6-udp-64", { ETH(0x86dd), IP6(17), UDP(.len = 2) }, V_PASS, false, true },
	{ "vlan-udp-64", { ETH(0x8100), VLAN(0x0800), IP4(17), UDP(.len = 18) }, V_PASS },
	{ "qinq-udp-64", { ETH(0x88a8), VLAN(0x8100), VLAN(0x0800), IP4(17), UDP(.len = 14) },
	  V_PASS },
	{ "ipv6-6ext-udp", { ETH(0x86dd), IP6(0), HOPOPTS(60), DSTOPTS(43), ROUTING(44),
			     FRAG(51, .mf = 1), AH(60, .len = 4), DSTOPTS(17), UDP() }, V_PASS,
	  false, true },
};
/* clang-format on */
#define NFRAMES (sizeof(frames) / sizeof(frames[0]))

struct floor {
	enum hook hook;
	__u32 retval;
	int fd;
};

struct sample {
	double ns;    /* wall clock / repeat */
	double floor; /* the floor's run just before, the same way */
	__u32 kns;    /* the kernel's own figure (opts.duration), whole ns */
};

struct prog {
	const char *name;
	int fd;
	int ifindex;	  /* the frame arrives on it (ctx) */
	bool fwctl;	  /* its verdict must be the frame's */
	struct floor *fl; /* found by a first run, from its verdict */
	__u32 retval;
	bool ret_differs;
	int samples;
	struct sample s[MAX_ROUNDS];
};

struct row {
	const struct frame *fr;
	enum hook hook;
	struct prog progs[MAX_PROGS];
	int nprogs;
};

static struct row rows[NFRAMES * 2];
static int nrows;
static struct floor floors[MAX_FLOORS];
static int nfloors;

static char ns_name[64];
static const char *fwctl_bin;
static int n_ifaces = 2, hi_ifindex;
static bool fwctl_only;
/* -t: the frames timed (a comma list of names; NULL: all); -k: the hook. */
static const char *only_frames;
static int only_hook = -1;
static struct lower_bound *lb;
static struct bpf_object *xf_obj[2];

/* -X NAME=OBJ: another build of fwctl's XDP or TC object (an older data
 * path, a prototype), timed beside the one fwctl attached, on the same
 * interfaces: it reuses fwctl's pinned maps and finds the slot by ifindex. */
struct variant {
	char name[3][24]; /* XDP, TC in, TC out */
	const char *path;
	struct bpf_object *obj;
	int xdp, tc_in, tc_out;
};
static struct variant variants[MAX_VARIANTS];
static int nvariants;
/* The veths fwbI, in our namespace: each XDP program attached to one. */
static int next_veth;

static void cleanup(void)
{
	char cmd[512];

	if (ns_name[0]) {
		snprintf(cmd, sizeof(cmd), "'%s' -q -n %s detach --all >/dev/null 2>&1", fwctl_bin,
			 ns_name);
		if (system(cmd)) {
			/* nothing attached, or fwctl gone: the namespace goes anyway */
		}
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", ns_name);
		if (system(cmd)) {
		}
		ns_name[0] = '\0';
	}
	pindir_remove();
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A shell command in our namespace (children inherit it); 0 if it exits 0. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

/* The namespace, veth pairs fwbI/fwbI+1 and, for -i, a bridge of ports;
 * then this process enters it: test-runs find ctx ifindexes there. */
static int make_ns(int pairs, char *why, size_t len)
{
	char path[128];
	FILE *ip;
	int i, fd;

	snprintf(ns_name, sizeof(ns_name), "fwbench-%d-pc", getpid());
	if (sh("ip netns add %s", ns_name)) {
		fail(why, len, "cannot add network namespace %s", ns_name);
		ns_name[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns_name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		return fail(why, len, "cannot enter %s: %s", ns_name, strerror(errno));
	close(fd);
	ip = popen("ip -batch - >/dev/null", "w");
	if (!ip)
		return fail(why, len, "cannot run ip(8): %s", strerror(errno));
	for (i = 0; i < pairs; i++)
		fprintf(ip, "link add fwb%d type veth peer name fwb%d\n", 2 * i, 2 * i + 1);
	/* -i N: a bridge and N - 3 ports, covered before the measured veths. */
	if (n_ifaces > 2) {
		fprintf(ip, "link add fwbbr type bridge\n");
		for (i = 0; i < n_ifaces - 3; i++) {
			fprintf(ip, "link add fwbp%d type veth peer name fwbq%d\n", i, i);
			fprintf(ip, "link set fwbp%d master fwbbr\n", i);
		}
	}
	if (pclose(ip))
		return fail(why, len, "ip(8) cannot make the veth devices");
	return 0;
}

static int veth(int i)
{
	char name[IF_NAMESIZE];

	snprintf(name, sizeof(name), "fwb%d", i);
	return (int)if_nametoindex(name);
}

/* The next unused veth, with prog_fd attached in native mode. */
static int attach_xdp(int prog_fd, char *why, size_t len)
{
	int ifindex = veth(next_veth);

	next_veth += 2;
	if (!ifindex)
		return fail(why, len, "out of veth devices");
	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		return fail(why, len, "cannot attach XDP to ifindex %d: %s", ifindex,
			    strerror(errno));
	return ifindex;
}

/* The floor: r0 = retval; exit. One per hook and verdict, made on first use;
 * an XDP floor is attached like the programs it is set against. */
static struct floor *floor_for(enum hook h, __u32 retval, char *why, size_t len)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = (__s32)retval },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct floor *f;
	char name[16];
	int i;

	for (i = 0; i < nfloors; i++)
		if (floors[i].hook == h && floors[i].retval == retval)
			return &floors[i];
	if (nfloors == MAX_FLOORS) {
		fail(why, len, "too many floors");
		return NULL;
	}
	f = &floors[nfloors];
	/* Program names take letters, digits, '_' and '.' only. */
	snprintf(name, sizeof(name), "fwb_fl_%s%u", hook_name[h], retval & 0xff);
	f->fd = bpf_prog_load(h == HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS, name,
			      "GPL", insns, 2, NULL);
	if (f->fd < 0) {
		fail(why, len, "cannot load the floor: %s", strerror(errno));
		return NULL;
	}
	if (h == HOOK_XDP && attach_xdp(f->fd, why, len) < 0)
		return NULL;
	f->hook = h;
	f->retval = retval;
	nfloors++;
	return f;
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
	const char *const where[] = { "/usr/lib/*/bpf", "/usr/lib/bpf", "/usr/local/lib/bpf" };
	int ncpus = libbpf_num_possible_cpus(), err;
	struct bpf_program *prog;
	struct bpf_map *map;
	char pattern[128];
	__u32 key, addr;
	glob_t g = { 0 };
	size_t w;

	for (w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
		snprintf(pattern, sizeof(pattern), "%s/xdpfilt_alw_%s.o", where[w], feat);
		if (!glob(pattern, 0, NULL, &g) && g.gl_pathc)
			break;
		globfree(&g);
		g.gl_pathc = 0;
	}
	if (!g.gl_pathc)
		return fail(why, len, "xdpfilt_alw_%s.o not found (install xdp-tools)", feat);
	xf_obj[i] = bpf_object__open_file(g.gl_pathv[0], &opts);
	if (!xf_obj[i]) {
		fail(why, len, "cannot open %s: %s", g.gl_pathv[0], strerror(errno));
		globfree(&g);
		return -1;
	}
	globfree(&g);
	err = bpf_object__load(xf_obj[i]);
	if (err)
		return fail(why, len, "cannot load xdpfilt_alw_%s: %s", feat, strerror(-err));
	prog = bpf_object__next_program(xf_obj[i], NULL);
	if (!prog)
		return fail(why, len, "xdpfilt_alw_%s.o has no program", feat);

	map = bpf_object__find_map_by_name(xf_obj[i], "filter_ports");
	key = htons(XF_PORT);
	if (map && percpu_set(bpf_map__fd(map), &key, XF_FLAG_DST | XF_FLAG_UDP, ncpus))
		return fail(why, len, "cannot set xdp-filter's port rule");
	map = bpf_object__find_map_by_name(xf_obj[i], "filter_ipv4");
	inet_pton(AF_INET, ICMP_SRC, &addr);
	if (map && percpu_set(bpf_map__fd(map), &addr, XF_FLAG_SRC, ncpus))
		return fail(why, len, "cannot set xdp-filter's address rule");
	return bpf_program__fd(prog);
}

/* The program on ifindex's TC hook (ingress or egress): a TCX link's or
 * the first cls_bpf filter's under clsact, as tc(8) lists it. */
static int tc_prog_fd(int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q);
	char name[IF_NAMESIZE], line[512];
	__u32 ids[4], id = 0;
	const char *p;
	FILE *tc;

	q.prog_ids = ids;
	q.prog_cnt = 4;
	if (!bpf_prog_query_opts(ifindex, ingress ? PC_TCX_INGRESS : PC_TCX_EGRESS, &q) &&
	    q.prog_cnt)
		return bpf_prog_get_fd_by_id(ids[0]);
	if (!if_indextoname((unsigned int)ifindex, name))
		return -1;
	snprintf(line, sizeof(line), "tc filter show dev %s %s 2>/dev/null", name,
		 ingress ? "ingress" : "egress");
	tc = popen(line, "r");
	if (!tc)
		return -1;
	while (!id && fgets(line, sizeof(line), tc))
		if ((p = strstr(line, " direct-action")) && (p = strstr(p, " id ")))
			id = (__u32)strtoul(p + 4, NULL, 10);
	pclose(tc);
	return id ? bpf_prog_get_fd_by_id(id) : -1;
}

static int xdp_prog_fd(int ifindex)
{
	__u32 id = 0;

	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) || !id)
		if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
			return -1;
	return bpf_prog_get_fd_by_id(id);
}

struct fw_fds {
	int xdp, tc_in, tc_out, xdp_hi;
	int xdp_if, tc_if;
};

/* fwctl covers its interfaces itself, as a user would: ICMP blocked both
 * ways on fwb0 (XDP in, TC out) and on fwb2 with --hook tc (TC both ways);
 * with -i, first a bridge and its ports; with -x, the veth of that index. */
static int fwctl_cover(struct fw_fds *fw, char *why, size_t len)
{
	fw->xdp_if = veth(0);
	fw->tc_if = veth(2);
	next_veth = 4;
	if (n_ifaces > 2 && sh("'%s' -q -n %s block icmp fwbbr --dir both", fwctl_bin, ns_name))
		return fail(why, len, "fwctl refused to cover %d interfaces", n_ifaces);
	if (sh("'%s' -q -n %s block icmp fwb0 --dir both", fwctl_bin, ns_name))
		return fail(why, len, "fwctl block icmp fwb0 failed (FWCTL=%s)", fwctl_bin);
	if (sh("'%s' -q -n %s block icmp fwb2 --dir both --hook tc", fwctl_bin, ns_name))
		return fail(why, len, "fwctl block icmp fwb2 --hook tc failed");
	fw->xdp = xdp_prog_fd(fw->xdp_if);
	fw->tc_out = tc_prog_fd(fw->xdp_if, false);
	fw->tc_in = tc_prog_fd(fw->tc_if, true);
	if (fw->xdp < 0 || fw->tc_out < 0 || fw->tc_in < 0)
		return fail(why, len, "cannot find the programs fwctl attached");
	fw->xdp_hi = -1;
	if (hi_ifindex &&
	    sh("ip link add fwbhi index %d type veth peer name fwbhj 2>/dev/null", hi_ifindex)) {
		fprintf(stderr, "prog_cost: fwctl@%d left out: ip(8) cannot make ifindex %d\n",
			hi_ifindex, hi_ifindex);
	} else if (hi_ifindex) {
		if (sh("'%s' -q -n %s block icmp fwbhi --dir in 2>/dev/null", fwctl_bin, ns_name))
			fprintf(stderr, "prog_cost: fwctl@%d left out: fwctl refused ifindex %d\n",
				hi_ifindex, hi_ifindex);
		else
			fw->xdp_hi = xdp_prog_fd(hi_ifindex);
	}
	return 0;
}

/* The lower bound covers the same interfaces, ICMP dropped. */
static int lb_load(const struct fw_fds *fw, char *why, size_t len)
{
	lb = lower_bound__open_and_load();
	if (!lb)
		return fail(why, len, "cannot load the lower bound: %s", strerror(errno));
	lb->bss->lb_slot[fw->xdp_if & 1023] = 1;
	lb->bss->lb_slot[fw->tc_if & 1023] = 2;
	lb->bss->lb_policy[0][1] = 1;
	lb->bss->lb_policy[1][1] = 1;
	if (attach_xdp(bpf_program__fd(lb->progs.lb6_xdp), why, len) < 0)
		return -1;
	if (attach_xdp(bpf_program__fd(lb->progs.lbc_xdp), why, len) < 0)
		return -1;
	return attach_xdp(bpf_program__fd(lb->progs.lb_xdp), why, len) < 0 ? -1 : 0;
}

/* Where variable `name` sits in section `sec` of obj (its BTF): the
 * offset, or -1. */
static long datasec_var(struct bpf_object *obj, const char *sec, const char *name, __u32 *size)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, (__u32)id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++)
		if (!strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off),
			    name)) {
			*size = vs->size;
			return vs->offset;
		}
	return -1;
}

/* fw_slot in the object's .rodata: FW_SLOT_BY_IFINDEX, as fwctl sets it. */
static int set_slot_by_ifindex(struct bpf_object *obj)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	__u32 vsize = 0;
	long off = datasec_var(obj, ".rodata", "fw_slot", &vsize);
	size_t size;
	__u8 *data;

	if (!map || off < 0 || vsize != 4)
		return -1;
	data = (__u8 *)bpf_map__initial_value(map, &size);
	if (!data || (size_t)off + 4 > size)
		return -1;
	*(__u32 *)(data + off) = 0xffffffffU;
	return 0;
}

/* bench/proto_globals.bpf.c: its global fw_gslots and fw_gpolicy filled
 * from what fwctl wrote in the pinned fw_slots and fw_policy. 0 if the
 * object has none. */
static int fill_globals(struct bpf_object *obj, char *why, size_t len)
{
	struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	struct bpf_map *slots = bpf_object__find_map_by_name(obj, "fw_slots");
	struct bpf_map *pol = bpf_object__find_map_by_name(obj, "fw_policy");
	__u32 ssize = 0, psize = 0, key, zero = 0, vsize, n, i;
	long soff = datasec_var(obj, ".bss", "fw_gslots", &ssize);
	long poff = datasec_var(obj, ".bss", "fw_gpolicy", &psize);
	__u8 *buf;
	int err = 0;

	if (soff < 0 || poff < 0)
		return 0;
	if (!bss || !slots || !pol)
		return fail(why, len, "prototype without fw_slots or fw_policy");
	vsize = bpf_map__value_size(bss);
	buf = calloc(1, vsize);
	if (!buf || bpf_map_lookup_elem(bpf_map__fd(bss), &zero, buf)) {
		free(buf);
		return fail(why, len, "cannot read the prototype's globals");
	}
	n = ssize / 4 < 4096 ? ssize / 4 : 4096; /* our veths have small indexes */
	for (i = 0; i < n; i++)
		bpf_map_lookup_elem(bpf_map__fd(slots), &i, buf + soff + i * 4);
	n = psize / bpf_map__value_size(pol);
	for (key = 0; key < n; key++)
		bpf_map_lookup_elem(bpf_map__fd(pol), &key,
				    buf + poff + (size_t)key * bpf_map__value_size(pol));
	if (bpf_map_update_elem(bpf_map__fd(bss), &zero, buf, BPF_ANY))
		err = fail(why, len, "cannot write the prototype's globals: %s", strerror(errno));
	free(buf);
	return err;
}

static int variant_load(struct variant *v, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	char dir[128];
	struct bpf_program *prog;
	struct stat sb;
	int err;

	if (stat("/proc/self/ns/net", &sb))
		return fail(why, len, "cannot stat our network namespace: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/fwctl/ns%llu", (unsigned long long)sb.st_ino);
	opts.pin_root_path = dir;
	v->xdp = v->tc_in = v->tc_out = -1;
	v->obj = bpf_object__open_file(v->path, &opts);
	if (!v->obj)
		return fail(why, len, "cannot open %s: %s", v->path, strerror(errno));
	if (set_slot_by_ifindex(v->obj))
		return fail(why, len, "%s has no fw_slot in .rodata", v->path);
	err = bpf_object__load(v->obj);
	if (err)
		return fail(why, len, "cannot load %s: %s", v->path, strerror(-err));
	if (fill_globals(v->obj, why, len))
		return -1;
	bpf_object__for_each_program(prog, v->obj)
	{
		const char *n = bpf_program__name(prog);

		if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP)
			v->xdp = bpf_program__fd(prog);
		else if (!strcmp(n, "fw_tc_in"))
			v->tc_in = bpf_program__fd(prog);
		else if (!strcmp(n, "fw_tc_out"))
			v->tc_out = bpf_program__fd(prog);
	}
	if (v->xdp >= 0 && attach_xdp(v->xdp, why, len) < 0)
		return -1;
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
	return ret == TC_ACT_SHOT				 ? "drop"
	       : ret == (__u32)TC_ACT_UNSPEC || ret == TC_ACT_OK ? "pass"
								 : "other";
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One test-run of fd on the frame, repeat times: wall ns per run. */
static int run_one(int fd, const struct frame *f, enum hook h, int ifindex, int repeat, double *ns,
		   __u32 *kns, __u32 *retval)
{
	struct xdp_md xdp = { .data_end = (__u32)f->len, .ingress_ifindex = (__u32)ifindex };
	struct __sk_buff skb = { .ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = (__u32)f->len,
		    .repeat = repeat);
	double t0;
	int err;

	opts.ctx_in = h == HOOK_XDP ? (void *)&xdp : (void *)&skb;
	opts.ctx_size_in = h == HOOK_XDP ? sizeof(xdp) : sizeof(skb);
	t0 = now_ns();
	err = bpf_prog_test_run_opts(fd, &opts);
	*ns = (now_ns() - t0) / repeat;
	if (err)
		return -errno;
	*kns = opts.duration;
	*retval = opts.retval;
	return 0;
}

static void add(struct row *w, const char *name, int fd, int ifindex, bool fwctl)
{
	if (fd < 0)
		return;
	w->progs[w->nprogs++] =
		(struct prog){ .name = name, .fd = fd, .ifindex = ifindex, .fwctl = fwctl };
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Medians of a program's samples: its ns, its floors', the ratio and the
 * difference paired sample by sample, and the kernel's whole ns. */
struct pstat {
	double ns, floor, ratio, extra, kns, lo, hi;
};

static struct pstat stats(const struct prog *p)
{
	double a[MAX_ROUNDS], b[MAX_ROUNDS], c[MAX_ROUNDS], d[MAX_ROUNDS], k[MAX_ROUNDS];
	struct pstat st;
	int i, n = p->samples;

	for (i = 0; i < n; i++) {
		a[i] = p->s[i].ns;
		b[i] = p->s[i].floor;
		c[i] = p->s[i].ns / p->s[i].floor;
		d[i] = p->s[i].ns - p->s[i].floor;
		k[i] = p->s[i].kns;
	}
	st.ns = median(a, n);
	st.lo = a[0];
	st.hi = a[n - 1];
	st.floor = median(b, n);
	st.ratio = median(c, n);
	st.extra = median(d, n);
	st.kns = median(k, n);
	return st;
}

static void print_rows(int rounds, int repeat)
{
	int r, i;

	printf("prog_cost: %d rounds x %d runs, wall clock / runs, each sample paired with the "
	       "floor's run before it; medians, ns per run; test_run: the kernel's figure "
	       "(whole ns)\n\n",
	       rounds, repeat);
	printf("%-14s %-4s %-17s %-7s %7s %7s %7s %7s %6s %7s %8s\n", "frame", "hook", "program",
	       "verdict", "ns", "min", "max", "floor", "ratio", "+ns", "test_run");
	for (r = 0; r < nrows; r++) {
		struct row *w = &rows[r];

		for (i = 0; i < w->nprogs; i++) {
			struct prog *p = &w->progs[i];
			struct pstat st = stats(p);

			printf("%-14s %-4s %-17s %-7s %7.2f %7.2f %7.2f %7.2f %5.2fx %+7.2f "
			       "%8.1f\n",
			       i ? "" : w->fr->name, i ? "" : hook_name[w->hook], p->name,
			       p->ret_differs ? "varies" : verdict_name(w->hook, p->retval), st.ns,
			       st.lo, st.hi, st.floor, st.ratio, st.extra, st.kns);
		}
	}
}

/* Raw samples: one line per program run, with its floor's run. */
static int write_raw(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	int r, i, j;

	if (!f)
		return -1;
	fprintf(f, "round\tframe\thook\tprogram\tverdict\tns\tfloor_ns\ttest_run_ns\n");
	for (r = 0; r < nrows; r++)
		for (i = 0; i < rows[r].nprogs; i++) {
			struct prog *p = &rows[r].progs[i];

			for (j = 0; j < p->samples; j++)
				fprintf(f, "%d\t%s\t%s\t%s\t%s\t%.4f\t%.4f\t%u\n", j + 1,
					rows[r].fr->name, hook_name[rows[r].hook], p->name,
					p->ret_differs ? "varies"
						       : verdict_name(rows[r].hook, p->retval),
					p->s[j].ns, p->s[j].floor, p->s[j].kns);
		}
	return f == stdout ? fflush(f) : fclose(f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: prog_cost [-r ROUNDS] [-n REPEAT] [-i IFACES] [-x IFINDEX] [-X NAME=OBJ]\n"
		"                 [-t FRAME,...] [-k xdp|tc] [-f] [-o FILE] [-F FWCTL] [-q]\n"
		"  -r ROUNDS  rounds, every program once per round (default 31)\n"
		"  -n REPEAT  runs per test-run (default 2000000)\n"
		"  -i IFACES  interfaces fwctl covers (default and least 2: the veths the\n"
		"             frames arrive on; more: a bridge and its ports, covered first)\n"
		"  -x IFINDEX also fwctl's XDP program on a veth with that ifindex\n"
		"  -X NAME=OBJ  also the programs of OBJ, another build of fw_xdp.bpf.o or\n"
		"             fw_tc.bpf.o (an older data path, a prototype), on fwctl's maps\n"
		"             and interfaces; rows NAME, NAME-in, NAME-out (up to 6 times)\n"
		"  -t FRAMES  only these frames (comma list of the names in the table)\n"
		"  -k HOOK    only this hook's rows (xdp or tc)\n"
		"  -f         fwctl and the floor only (no lower bound, no xdp-filter)\n"
		"  -o FILE    raw samples as TSV (\"-\": stdout, then no table)\n"
		"  -F FWCTL   the fwctl that covers the interfaces (default: $FWCTL, else\n"
		"             ../fwctl beside this program)\n"
		"  -q         quick: 7 rounds of 500000 unless -r/-n say otherwise\n");
}

/* $FWCTL, else OUTPUT/fwctl for OUTPUT/bench/prog_cost. */
static const char *default_fwctl(void)
{
	static char path[PATH_MAX];
	const char *e = getenv("FWCTL");
	char *slash;
	ssize_t n;
	int up;

	if (e && *e)
		return e;
	n = readlink("/proc/self/exe", path, sizeof(path) - 8);
	if (n <= 0)
		return "fwctl";
	path[n] = '\0';
	for (up = 0; up < 2; up++) {
		slash = strrchr(path, '/');
		if (!slash)
			return "fwctl";
		*slash = '\0';
	}
	strcat(path, "/fwctl");
	return path;
}

int main(int argc, char **argv)
{
	int rounds = 0, repeat = 0, r, i, c, err, ret = 1, cpu, ncheck = 0;
	const char *xf_feat[2] = { "all", "udp" }, *raw = NULL;
	char xf_name[2][32], hi_name[32], why[512] = "";
	int xf_fd[2] = { -1, -1 }, xf_if[2] = { 0, 0 };
	struct fw_fds fw = { -1, -1, -1, -1, 0, 0 };
	bool quick = false, table;
	cpu_set_t set;
	size_t f;

	while ((c = getopt(argc, argv, "r:n:i:x:X:t:k:fo:F:qh")) != -1) {
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
		case 'x':
			hi_ifindex = atoi(optarg);
			break;
		case 'X': {
			const char *eq = strchr(optarg, '=');
			struct variant *v = &variants[nvariants];

			if (!eq || eq == optarg || eq - optarg > 16 || nvariants == MAX_VARIANTS) {
				usage(stderr);
				return 2;
			}
			snprintf(v->name[0], sizeof(v->name[0]), "%.*s", (int)(eq - optarg),
				 optarg);
			snprintf(v->name[1], sizeof(v->name[1]), "%.*s-in", (int)(eq - optarg),
				 optarg);
			snprintf(v->name[2], sizeof(v->name[2]), "%.*s-out", (int)(eq - optarg),
				 optarg);
			v->path = eq + 1;
			nvariants++;
			break;
		}
		case 't':
			only_frames = optarg;
			break;
		case 'k':
			only_hook = !strcmp(optarg, "xdp")  ? HOOK_XDP
				    : !strcmp(optarg, "tc") ? HOOK_TC
							    : -2;
			if (only_hook == -2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'f':
			fwctl_only = true;
			break;
		case 'o':
			raw = optarg;
			break;
		case 'F':
			fwctl_bin = optarg;
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
		rounds = quick ? 7 : 31;
	if (!repeat)
		repeat = quick ? 500000 : 2000000;
	if (n_ifaces < 2)
		n_ifaces = 2; /* fwb0 and fwb2 at least */
	if (rounds < 1 || rounds >= MAX_ROUNDS || repeat < 1000 || n_ifaces > 100000 ||
	    hi_ifindex < 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "prog_cost: needs root to load BPF programs\n");
		return 1;
	}
	if (!fwctl_bin)
		fwctl_bin = default_fwctl();
	if (access(fwctl_bin, X_OK)) {
		fprintf(stderr, "prog_cost: %s: not an executable fwctl (-F, FWCTL)\n", fwctl_bin);
		return 1;
	}
	table = !raw || strcmp(raw, "-");
	libbpf_set_print(libbpf_quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	atexit(cleanup); /* also when frames.h stops on a broken table */

	/* One CPU for every run, so programs compete on equal terms. */
	cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);

	/* fwb0: fwctl's XDP, fwb2: its TC, then one per XDP program and floor. */
	if (make_ns(16, why, sizeof(why)) || pindir_make("bench", why, sizeof(why)) ||
	    fwctl_cover(&fw, why, sizeof(why)))
		goto out;
	if (!fwctl_only) {
		if (lb_load(&fw, why, sizeof(why)))
			goto out;
		for (i = 0; i < 2; i++) {
			snprintf(xf_name[i], sizeof(xf_name[i]), "xdp-filter(%s)", xf_feat[i]);
			xf_fd[i] = xdp_filter_load(i, xf_feat[i], why, sizeof(why));
			if (xf_fd[i] >= 0 &&
			    (xf_if[i] = attach_xdp(xf_fd[i], why, sizeof(why))) < 0)
				xf_fd[i] = -1;
			if (xf_fd[i] < 0)
				fprintf(stderr, "prog_cost: %s left out: %s\n", xf_name[i], why);
		}
		why[0] = '\0';
	}
	for (i = 0; i < nvariants; i++)
		if (variant_load(&variants[i], why, sizeof(why)))
			goto out;
	snprintf(hi_name, sizeof(hi_name), "fwctl@%d", hi_ifindex);
	build_frames();

	for (f = 0; f < NFRAMES; f++) {
		struct row *w;
		char list[256];

		snprintf(list, sizeof(list), ",%s,", only_frames ? only_frames : "");
		snprintf(why, sizeof(why), ",%s,", frames[f].name);
		if (only_frames && !strstr(list, why))
			continue;
		why[0] = '\0';
		if (only_hook == HOOK_TC)
			goto tc;
		w = &rows[nrows++];

		w->fr = &frames[f];
		w->hook = HOOK_XDP;
		add(w, "fwctl", fw.xdp, fw.xdp_if, true);
		add(w, hi_name, fw.xdp_hi, hi_ifindex, true);
		for (i = 0; i < nvariants; i++)
			add(w, variants[i].name[0], variants[i].xdp, fw.xdp_if, true);
		if (!fwctl_only && frames[f].ipv4)
			add(w, "lower-bound", bpf_program__fd(lb->progs.lb_xdp), fw.xdp_if, false);
		if (!fwctl_only && frames[f].ipv4)
			add(w, "lower-bound+", bpf_program__fd(lb->progs.lbc_xdp), fw.xdp_if,
			    false);
		if (!fwctl_only && frames[f].ipv6)
			add(w, "lower-bound6", bpf_program__fd(lb->progs.lb6_xdp), fw.xdp_if,
			    false);
		for (i = 0; !fwctl_only && i < 2; i++)
			add(w, xf_name[i], xf_fd[i], xf_if[i], false);

		if (only_hook == HOOK_XDP)
			continue;
	tc:
		w = &rows[nrows++];
		w->fr = &frames[f];
		w->hook = HOOK_TC;
		add(w, "fwctl-in", fw.tc_in, fw.tc_if, true);
		add(w, "fwctl-out", fw.tc_out, fw.xdp_if, true);
		for (i = 0; i < nvariants; i++) {
			add(w, variants[i].name[1], variants[i].tc_in, fw.tc_if, true);
			add(w, variants[i].name[2], variants[i].tc_out, fw.xdp_if, true);
		}
		if (!fwctl_only && frames[f].ipv4)
			add(w, "lower-bound", bpf_program__fd(lb->progs.lb_tc), fw.tc_if, false);
		if (!fwctl_only && frames[f].ipv4)
			add(w, "lower-bound+", bpf_program__fd(lb->progs.lbc_tc), fw.tc_if, false);
		if (!fwctl_only && frames[f].ipv6)
			add(w, "lower-bound6", bpf_program__fd(lb->progs.lb6_tc), fw.tc_if, false);
	}

	/* A first run of each program finds its verdict, hence its floor. */
	for (i = 0; i < nrows; i++)
		for (c = 0; c < rows[i].nprogs; c++) {
			struct prog *p = &rows[i].progs[c];
			double ns;
			__u32 kns;

			err = run_one(p->fd, rows[i].fr, rows[i].hook, p->ifindex, 1, &ns, &kns,
				      &p->retval);
			if (err) {
				snprintf(why, sizeof(why), "test-run of %s on %s failed: %s",
					 p->name, rows[i].fr->name, strerror(-err));
				goto out;
			}
			p->fl = floor_for(rows[i].hook, p->retval, why, sizeof(why));
			if (!p->fl)
				goto out;
		}

	if (table)
		fprintf(stderr, "prog_cost: CPU %d, fwctl %s, %d interfaces covered, %d rounds\n",
			cpu, fwctl_bin, n_ifaces, rounds);
	/* Round by round, the floor before every program: F A F B F C. */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nrows; i++)
			for (c = 0; c < rows[i].nprogs; c++) {
				struct prog *p = &rows[i].progs[c];
				struct sample *s = &p->s[p->samples];
				__u32 kns, rv, frv;

				err = run_one(p->fl->fd, rows[i].fr, rows[i].hook, p->ifindex,
					      repeat, &s->floor, &kns, &frv);
				if (!err)
					err = run_one(p->fd, rows[i].fr, rows[i].hook, p->ifindex,
						      repeat, &s->ns, &s->kns, &rv);
				if (err) {
					snprintf(why, sizeof(why),
						 "test-run of %s on %s failed: %s", p->name,
						 rows[i].fr->name, strerror(-err));
					goto out;
				}
				if (rv != p->retval)
					p->ret_differs = true;
				p->samples++;
			}

	if (raw && write_raw(raw)) {
		snprintf(why, sizeof(why), "cannot write %s: %s", raw, strerror(errno));
		goto out;
	}
	if (table)
		print_rows(rounds, repeat);
	/* A fast wrong answer is not a result. */
	ret = 0;
	for (i = 0; i < nrows; i++)
		for (c = 0; c < rows[i].nprogs; c++) {
			const struct prog *p = &rows[i].progs[c];
			const char *want = rows[i].fr->verdict == V_DROP ? "drop" : "pass";

			if (!p->fwctl)
				continue;
			ncheck++;
			if (strcmp(verdict_name(rows[i].hook, p->retval), want) || p->ret_differs) {
				fprintf(stderr, "prog_cost: %s %s on %s returned %u, expected %s\n",
					p->name, hook_name[rows[i].hook], rows[i].fr->name,
					p->retval, want);
				ret = 1;
			}
		}
	if (!ncheck) {
		snprintf(why, sizeof(why), "no fwctl program was measured");
		ret = 1;
	}
out:
	if (why[0])
		fprintf(stderr, "prog_cost: %s\n", why);
	for (i = 0; i < 2; i++)
		bpf_object__close(xf_obj[i]);
	for (i = 0; i < nvariants; i++)
		bpf_object__close(variants[i].obj);
	lower_bound__destroy(lb);
	cleanup();
	return ret;
}
