// SPDX-License-Identifier: GPL-2.0
/* verify.c - is what the rules ask of an interface what the kernel does?
 * One answer per direction, from the kernel's state, never from fwctl's
 * records alone: status shows it, and the reconciler repairs from it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include "fwctl.h"
#include "fw_count.h"

static const char *const dir_name[FW_DIRS] = { "in", "out" };

const char *fw_enf_name(int state)
{
	static const char *const names[] = { "enforced", "degraded", "not-enforced" };

	return names[state];
}

static void set(struct fw_enf *e, int state, int gap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set(struct fw_enf *e, int state, int gap, const char *fmt, ...)
{
	va_list ap;

	/* The worst finding of a direction is the one shown. */
	if (state < e->state)
		return;
	e->state = state;
	e->gap = gap;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

static bool is_ours(__u32 id, __u32 recorded, __u32 pinned)
{
	return id && (id == recorded || id == pinned);
}

/* A program's map ids, kept for the last few programs asked about: what a
 * loaded program reads never changes. */
struct prog_maps {
	__u32 prog, n, ids[32];
	bool dispatcher; /* libxdp's: its maps are its components' */
};

static int prog_maps_read(__u32 prog, struct prog_maps *out)
{
	static struct prog_maps cache[8];
	static unsigned int next;
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cache); i++)
		if (cache[i].prog == prog) {
			*out = cache[i];
			return 0;
		}
	fd = bpf_prog_get_fd_by_id(prog);
	if (fd < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	info.nr_map_ids = ARRAY_SIZE(out->ids);
	info.map_ids = (__u64)(unsigned long)out->ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	out->prog = prog;
	out->dispatcher = !strcmp(info.name, "xdp_dispatcher");
	out->n = info.nr_map_ids < ARRAY_SIZE(out->ids) ? info.nr_map_ids : ARRAY_SIZE(out->ids);
	cache[next++ % ARRAY_SIZE(cache)] = *out;
	return 0;
}

/*
 * Whether the program on a hook, whose id says it is fwctl's (pinned or
 * recorded), reads this namespace's maps: a program put under fwctl's pin,
 * or maps whose pins were replaced, decide by something status does not
 * read. true also where it cannot tell (opening a program by id wants
 * CAP_SYS_ADMIN; libxdp's dispatcher runs fwctl's program as a component),
 * as before this check.
 */
bool fw_prog_reads_state(const struct fw_state *st, __u32 prog)
{
	const __u32 *need = st->decide_ids;
	struct prog_maps pm;

	if (!need[0] || !need[1] || !need[2] || prog_maps_read(prog, &pm) || pm.dispatcher)
		return true;
	return fw_maps_include(pm.ids, pm.n, need, FW_DECIDING_MAPS);
}

bool fw_maps_include(const __u32 *have, __u32 n, const __u32 *need, __u32 nneed)
{
	for (__u32 i = 0; i < nneed; i++) {
		bool found = false;

		for (__u32 j = 0; j < n && !found; j++)
			found = have[j] == need[i];
		if (!found)
			return false;
	}
	return true;
}

/* fw_slots' entry for an interface (slot + 1, 0: none) against its slot
 * (got as read): the programs find the interface's policy through it. */
int fw_slot_check(int slot, __u32 got, char *why, size_t len)
{
	if (got == (__u32)slot + 1)
		return FW_ENFORCED;
	if (!got)
		snprintf(why, len, "fw_slots maps it to no slot: the programs pass all it carries");
	else
		snprintf(why, len,
			 "fw_slots maps it to slot %u, not %d: the programs apply another "
			 "interface's policy",
			 got - 1, slot);
	return FW_NOT_ENFORCED;
}

/* fwctl's cls_bpf filter on a hook as the kernel holds it: its verdicts are
 * the action (direct-action) and it sees every frame (protocol all). */
int fw_tc_filter_check(const struct fw_tc_hook *h, const char *hook, char *why, size_t len)
{
	if (!h->direct) {
		snprintf(why, len,
			 "fwctl's tc %s filter runs without direct-action: its drops are "
			 "taken for a class id and every frame passes",
			 hook);
		return FW_NOT_ENFORCED;
	}
	if (h->protocol != ETH_P_ALL) {
		snprintf(why, len,
			 "fwctl's tc %s filter sees only protocol 0x%04x (%s): other frames "
			 "pass it unfiltered",
			 hook, h->protocol,
			 fw_ethertype_name(h->protocol) ? fw_ethertype_name(h->protocol)
							: "one EtherType");
		return FW_NOT_ENFORCED;
	}
	return FW_ENFORCED;
}

/* The interface's fw_slots entry as the kernel holds it: fw_slots_hi for an
 * ifindex beyond the direct table, where no entry is 0. */
static int slot_read(const struct fw_state *st, int ifindex, __u32 *got)
{
	bool hi = ifindex >= FW_MAX_IFINDEX;
	__u32 key = ifindex;

	*got = 0;
	if (!bpf_map_lookup_elem(hi ? st->slots_hi_fd : st->slots_fd, &key, got))
		return 0;
	return hi && errno == ENOENT ? 0 : -errno;
}

/* Names of kinds, at most three, then how many more. */
struct kinds {
	int n;
	char s[96];
};

/* exempt: only the ICMP types fw_icmp_exempt() lets through differ. */
static void kinds_add(struct kinds *k, __u32 kind, bool exempt)
{
	size_t len = strlen(k->s);
	char name[32];

	if (k->n++ >= 3)
		return;
	if (kind < 256)
		fw_proto_name(kind, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", kind == FW_IDX_NONIP ? "non-IP" : "malformed");
	snprintf(k->s + len, sizeof(k->s) - len, "%s%s%s", len ? ", " : "", name,
		 exempt ? " (exempt types)" : "");
}

static const char *kinds_str(struct kinds *k)
{
	size_t len = strlen(k->s);

	if (k->n > 3)
		snprintf(k->s + len, sizeof(k->s) - len, " and %d more", k->n - 3);
	return k->s;
}

/*
 * What the programs read against what the rules ask: the act bytes of a
 * fw_policy entry as the kernel holds it (got) against those fwctl would
 * compile from want, starting from the entry's own owner[] as fwctl does
 * when it writes one (so a repair writes exactly what this expects).
 * Per kind: a byte that passes what want blocks, or drops what it passes,
 * or checks the ICMP exemptions where strict was asked (or the reverse), is
 * FW_NOT_ENFORCED; a byte whose verdict is right but whose counter cell is
 * not, or owner[] differing, is FW_DEGRADED (filtering holds, stats would
 * count in the wrong row). Returns the state; why gets the reason.
 */
int fw_act_check(const struct fw_compiled *got, const struct fw_policy *want, char *why, size_t len)
{
	struct fw_compiled exp;
	struct kinds pass = {}, drop = {}, cell = {};

	memcpy(exp.owner, got->owner, sizeof(exp.owner));
	exp.set = *want;
	fw_policy_compile(&exp, 1);
	for (__u32 k = 0; k < FW_IDX_SLOTS; k++) {
		__u8 e = exp.act[k], g = got->act[k];
		bool edrop = e & FW_ACT_DROP, gdrop = g & FW_ACT_DROP;

		/* A byte at or above FW_ACT_CHECK passes exempt ICMP types. */
		if (edrop && !gdrop)
			kinds_add(&pass, k, false);
		else if (!edrop && gdrop)
			kinds_add(&drop, k, false);
		else if (edrop && e < FW_ACT_CHECK && g >= FW_ACT_CHECK)
			kinds_add(&pass, k, true);
		else if (edrop && e >= FW_ACT_CHECK && g < FW_ACT_CHECK)
			kinds_add(&drop, k, true);
		else if (e != g)
			kinds_add(&cell, k, false);
	}
	if (pass.n && drop.n)
		snprintf(why, len, "passes %s though blocked; drops %s though not blocked",
			 kinds_str(&pass), kinds_str(&drop));
	else if (pass.n || drop.n)
		snprintf(why, len, "%s %s though %sblocked", pass.n ? "passes" : "drops",
			 kinds_str(pass.n ? &pass : &drop), pass.n ? "" : "not ");
	if (pass.n || drop.n)
		return FW_NOT_ENFORCED;
	if (cell.n) {
		snprintf(why, len, "counts %s in the wrong cells", kinds_str(&cell));
		return FW_DEGRADED;
	}
	if (memcmp(exp.owner, got->owner, sizeof(exp.owner))) {
		snprintf(why, len, "counter cells attributed to the wrong kinds (owner[])");
		return FW_DEGRADED;
	}
	return FW_ENFORCED;
}

/* The slot's two fw_policy entries as the kernel holds them: what
 * fw_verify() checks. */
int fw_verify_read(const struct fw_state *st, int slot, struct fw_compiled c[FW_DIRS])
{
	for (__u32 d = 0; d < FW_DIRS; d++) {
		__u32 key = fw_key(slot, d);

		if (bpf_map_lookup_elem(st->policy_fd, &key, &c[d]))
			return fw_fail(-errno, "cannot read policy: %s", strerror(errno));
	}
	return 0;
}

/* An entry, the set as stated and the act bytes the programs read, against
 * the rules. */
static void verify_policy(const struct fw_link *l, __u32 dir, const struct fw_compiled *c,
			  const struct fw_policy *want, struct fw_enf *e)
{
	char why[128];
	int state;

	if (memcmp(&c->set, want, sizeof(*want))) {
		set(e, FW_NOT_ENFORCED, FW_GAP_POLICY,
		    "policy in the maps differs from the rules (%s)", dir_name[dir]);
		return;
	}
	state = fw_act_check(c, want, why, sizeof(why));
	if (state != FW_ENFORCED)
		set(e, state, FW_GAP_POLICY, "%s %s: the programs' act[] in fw_policy %s", l->name,
		    dir_name[dir], why);
}

/* The XDP hook: ours on the interface, first, in the mode asked. */
static void verify_xdp(const struct fw_state *st, const struct fw_iface *ifc,
		       const struct fw_link *l, const struct fw_want *w, const struct fw_ours *ours,
		       struct fw_enf *e)
{
	const struct fw_xdp_info *x = &l->xdp;
	char name[32];

	if (is_ours(x->prog_id, ifc->xdp_prog_id, ours->xdp) &&
	    !fw_prog_reads_state(st, x->prog_id)) {
		/* fwctl's program on other maps is replaced as fwctl's; any other
		 * only with --force. */
		fw_prog_name(x->prog_id, name, sizeof(name));
		set(e, FW_NOT_ENFORCED, strcmp(name, "fw_xdp") ? FW_GAP_XDP_FOREIGN : FW_GAP_XDP,
		    "XDP program '%s' (id %u) does not read this namespace's pinned maps "
		    "(a pin was replaced)",
		    name, x->prog_id);
		return;
	}
	if (is_ours(x->prog_id, ifc->xdp_prog_id, ours->xdp)) {
		if (x->mode == FW_XDP_GENERIC && w->req.mode == FW_MODE_NATIVE)
			set(e, FW_NOT_ENFORCED, FW_GAP_XDP, "generic XDP where native was asked");
		else if (x->mode == FW_XDP_GENERIC && w->req.mode == FW_MODE_AUTO)
			set(e, FW_DEGRADED, FW_GAP_NONE, "generic XDP: driver has no native XDP");
		return;
	}
	if (is_ours(x->other_id, ifc->xdp_prog_id, ours->xdp)) {
		fw_prog_name(x->prog_id, name, sizeof(name));
		set(e, FW_NOT_ENFORCED, FW_GAP_XDP_FOREIGN,
		    "native XDP program '%s' (id %u) runs before fwctl's", name, x->prog_id);
		return;
	}
	if (!x->prog_id) {
		set(e, FW_NOT_ENFORCED, FW_GAP_XDP, "XDP program missing");
		return;
	}
	fw_prog_name(x->prog_id, name, sizeof(name));
	set(e, FW_NOT_ENFORCED, FW_GAP_XDP_FOREIGN, "XDP program replaced by '%s' (id %u)", name,
	    x->prog_id);
}

/* A TC hook: fwctl's program there, and nothing ahead of it. */
static void verify_tc(const struct fw_state *st, const struct fw_iface *ifc,
		      const struct fw_link *l, __u32 dir, const struct fw_ours *ours, bool clsact,
		      struct fw_enf *e, struct fw_seen *seen)
{
	char name[32], why[160];
	__u32 rec = dir == FW_DIR_IN ? ifc->tc_in_prog_id : ifc->tc_out_prog_id;
	__u32 pinned = dir == FW_DIR_IN ? ours->tc_in : ours->tc_out;
	const char *hook = dir == FW_DIR_IN ? "ingress" : "egress";
	bool tcx = ifc->tc_kind == FW_TC_TCX;
	struct fw_tc_hook h;
	int err;

	err = fw_tc_hook_read(l->ifindex, dir, clsact, tcx ? (rec ? rec : pinned) : 0, &h);
	if (err) {
		set(e, FW_NOT_ENFORCED, FW_GAP_TC, "cannot read tc %s: %s", hook, strerror(-err));
		return;
	}
	if (tcx && !h.prog_id) {
		set(e, FW_NOT_ENFORCED, FW_GAP_TC, "TCX %s link missing", hook);
		return;
	}
	if (!tcx && !h.prog_id) {
		set(e, FW_NOT_ENFORCED, FW_GAP_TC, "tc %s filter missing%s", hook,
		    clsact ? "" : " (clsact qdisc deleted)");
		return;
	}
	seen->tc[dir] = is_ours(h.prog_id, rec, pinned);
	if (!seen->tc[dir]) {
		set(e, FW_NOT_ENFORCED, FW_GAP_TC, "tc %s program replaced (id %u)", hook,
		    h.prog_id);
		return;
	}
	if (!fw_prog_reads_state(st, h.prog_id)) {
		seen->tc[dir] = false;
		fw_prog_name(h.prog_id, name, sizeof(name));
		set(e, FW_NOT_ENFORCED, FW_GAP_TC,
		    "tc %s program '%s' (id %u) does not read this namespace's pinned maps "
		    "(a pin was replaced)",
		    hook, name, h.prog_id);
		return;
	}
	seen->tc_kind = tcx ? FW_TC_TCX : FW_TC_CLSBPF;
	if (fw_tc_filter_check(&h, hook, why, sizeof(why)) != FW_ENFORCED) {
		set(e, FW_NOT_ENFORCED, FW_GAP_TC, "%s", why);
		return;
	}
	if (!h.first)
		set(e, FW_NOT_ENFORCED, h.tcx_ahead ? FW_GAP_TCX_AHEAD : FW_GAP_TC_ORDER,
		    "another filter runs first on tc %s: %s", hook, h.ahead);
}

/* A TC hook the interface needs (egress; ingress where TC stands for XDP)
 * held at fwctl's priority by a filter fwctl's cannot join: *h and *dir. */
static bool tc_held(const struct fw_link *l, const struct fw_want *w, bool clsact,
		    struct fw_tc_hook *h, __u32 *dir)
{
	for (*dir = 0; clsact && *dir < FW_DIRS; (*dir)++) {
		if (*dir == FW_DIR_IN && w->req.hook != FW_HOOK_TC)
			continue;
		if (!fw_tc_hook_read(l->ifindex, *dir, true, 0, h) && h->holder[0])
			return true;
	}
	return false;
}

/* The interface has no fwctl program: why not. */
static void verify_uncovered(const struct fw_state *st, const struct fw_link *l,
			     const struct fw_want *w, const struct fw_ours *ours, bool clsact,
			     struct fw_enf *e)
{
	struct fw_tc_hook h;
	char name[32];
	__u32 dir;
	int used = 0;

	for (int s = 0; s < FW_MAX_IFACES; s++)
		used += st->ifaces[s].ifindex != 0;
	if (w->req.hook == FW_HOOK_XDP && l->xdp.prog_id && l->xdp.prog_id != ours->xdp) {
		fw_prog_name(l->xdp.prog_id, name, sizeof(name));
		set(e, FW_NOT_ENFORCED, FW_GAP_CANNOT,
		    "cannot attach: XDP program '%s' (id %u) of another tool is attached; "
		    "--force replaces it",
		    name, l->xdp.prog_id);
	} else if (used >= FW_MAX_IFACES) {
		set(e, FW_NOT_ENFORCED, FW_GAP_CANNOT,
		    "cannot attach: interface table is full (%d interfaces per namespace)",
		    FW_MAX_IFACES);
	} else if (tc_held(l, w, clsact, &h, &dir)) {
		set(e, FW_NOT_ENFORCED, FW_GAP_CANNOT,
		    "cannot attach: another tool's %s holds tc %s priority %d, which "
		    "fwctl's filter needs for every protocol; remove it, or set FWCTL_TC=tcx",
		    h.holder, dir == FW_DIR_IN ? "ingress" : "egress", FW_TC_PRIO);
	} else {
		set(e, FW_NOT_ENFORCED, FW_GAP_UNCOVERED,
		    "not covered yet: appeared while no 'fwctl watch' ran; a change of "
		    "the rule that covers it (or of all rules) covers it");
	}
}

/*
 * Checks one interface the rules cover against the kernel: slot is its
 * fwctl slot or -1; pol the slot's two fw_policy entries as the kernel holds
 * them (fw_verify_read): the set and the act bytes the programs read.
 * e[dir] gets the state and, where not enforced, the reason and what to
 * repair. Reads the kernel for this interface only (its TC hooks; the XDP
 * state came with the link dump).
 */
void fw_verify(const struct fw_state *st, int slot, const struct fw_link *l,
	       const struct fw_want *w, const struct fw_ours *ours, bool clsact,
	       const struct fw_compiled pol[FW_DIRS], struct fw_enf e[FW_DIRS],
	       struct fw_seen *seen)
{
	const struct fw_iface *ifc = slot >= 0 ? &st->ifaces[slot] : NULL;
	struct fw_seen none;
	char why[160];
	__u32 got;

	if (!seen)
		seen = &none;
	memset(seen, 0, sizeof(*seen));
	memset(e, 0, sizeof(*e) * FW_DIRS);
	seen->xdp = is_ours(l->xdp.prog_id, ifc ? ifc->xdp_prog_id : 0, ours->xdp);
	if (!ifc) {
		/* Not recorded, yet fwctl's filter may run there (a change
		 * killed between attaching it and recording it): say so. */
		for (__u32 d = 0; d < FW_DIRS; d++) {
			struct fw_tc_hook h;
			__u32 pinned = d == FW_DIR_IN ? ours->tc_in : ours->tc_out;

			if (clsact && !fw_tc_hook_read(l->ifindex, d, clsact, 0, &h) &&
			    is_ours(h.prog_id, 0, pinned)) {
				seen->tc[d] = true;
				seen->tc_kind = FW_TC_CLSBPF;
			}
		}
		verify_uncovered(st, l, w, ours, clsact, &e[FW_DIR_IN]);
		e[FW_DIR_OUT] = e[FW_DIR_IN];
		return;
	}
	for (__u32 d = 0; d < FW_DIRS; d++)
		verify_policy(l, d, &pol[d], &w->pol[d], &e[d]);
	/* The programs find the policy by the interface's fw_slots entry. A
	 * pinned map checked at open cannot refuse a lookup; where it does (no
	 * map behind the fd) it tells nothing, as a program it cannot open. */
	if (!slot_read(st, l->ifindex, &got) &&
	    fw_slot_check(slot, got, why, sizeof(why)) != FW_ENFORCED)
		for (__u32 d = 0; d < FW_DIRS; d++)
			set(&e[d], FW_NOT_ENFORCED, FW_GAP_POLICY, "%s", why);
	if (ifc->hook == FW_HOOK_XDP && ifc->xdp_prog_id && !ifc->suspended) {
		verify_xdp(st, ifc, l, w, ours, &e[FW_DIR_IN]);
	} else {
		verify_tc(st, ifc, l, FW_DIR_IN, ours, clsact, &e[FW_DIR_IN], seen);
		if (ifc->hook == FW_HOOK_XDP)
			set(&e[FW_DIR_IN], FW_DEGRADED, FW_GAP_NONE,
			    "tc ingress stands in for XDP (the kernel allows no XDP below a "
			    "bridge with XDP)");
	}
	verify_tc(st, ifc, l, FW_DIR_OUT, ours, clsact, &e[FW_DIR_OUT], seen);
}

static bool clsact_on(const int *idx, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (idx[i] == ifindex)
			return true;
	return false;
}

/*
 * Every interface the rules cover and every interface fwctl has a program
 * on, that the view selects, each checked against the kernel: status and
 * the fwctl_enforced metric. pol: every slot's policies as the maps hold
 * them. Returns how many rows (the caller frees them), or -errno; *broken is
 * set when any is not enforced.
 */
int fw_status_rows(struct fw_state *st, const struct fw_view *v, const struct fw_policy *pol,
		   struct fw_status_row **out, bool *broken)
{
	struct fw_compiled c[FW_DIRS];
	struct fw_want *w = NULL;
	struct fw_status_row *rows;
	struct fw_ours ours;
	int nw, n = 0, nclsact, *clsact = NULL, err = 0;
	bool held;

	*broken = false;
	nw = fw_wants(st, v->links, v->n, &w, &held);
	if (nw < 0)
		return nw;
	rows = calloc(nw + FW_MAX_IFACES + 1, sizeof(*rows));
	nclsact = fw_clsact_list(&clsact);
	if (!rows || nclsact < 0) {
		free(w);
		free(rows);
		return rows ? fw_fail(nclsact, "cannot list qdiscs: %s", strerror(-nclsact))
			    : fw_fail(-ENOMEM, "out of memory");
	}
	fw_ours_read(st, &ours);
	for (__u32 s = 0; s < FW_MAX_IFACES; s++) {
		const struct fw_iface *ifc = &st->ifaces[s];
		struct fw_status_row *r = &rows[n];
		const struct fw_want *wi = NULL;

		if (!ifc->ifindex || !fw_view_selects(v, ifc->ifindex))
			continue;
		r->slot = s;
		r->ifindex = ifc->ifindex;
		r->link = fw_view_link(v, ifc->ifindex);
		snprintf(r->ifname, sizeof(r->ifname), "%s", r->link ? r->link->name : ifc->name);
		memcpy(r->blocked, &pol[fw_key(s, 0)], sizeof(r->blocked));
		for (int i = 0; i < nw && r->link; i++)
			if (w[i].link == r->link)
				wi = &w[i];
		if (r->link) {
			err = fw_verify_read(st, s, c);
			if (err)
				goto out;
		}
		if (wi) {
			fw_verify(st, s, r->link, wi, &ours,
				  clsact_on(clsact, nclsact, ifc->ifindex), c, r->e, &r->seen);
			n++;
			continue;
		}
		/* Gone, or no rule covers it any more: nothing is asked of it,
		 * but what runs there is still shown as the kernel has it. */
		if (r->link) {
			struct fw_want self = { .link = r->link, .req.hook = ifc->hook };

			memcpy(self.pol, r->blocked, sizeof(self.pol));
			fw_verify(st, s, r->link, &self, &ours,
				  clsact_on(clsact, nclsact, ifc->ifindex), c, r->e, &r->seen);
		}
		memset(r->e, 0, sizeof(r->e));
		r->e[0].state = FW_DEGRADED;
		snprintf(r->e[0].reason, sizeof(r->e[0].reason), "%s",
			 r->link ? "no rule covers it; 'fwctl watch' or the next change "
				   "of all rules releases it"
				 : "interface is gone; 'fwctl watch', a change of its bridge's "
				   "rule or of all rules releases its slot");
		r->e[1] = r->e[0];
		n++;
	}
	for (int i = 0; i < nw; i++) {
		struct fw_status_row *r = &rows[n];

		if (fw_slot_of(st, w[i].link->ifindex) >= 0 ||
		    !fw_view_selects(v, w[i].link->ifindex))
			continue;
		r->slot = -1;
		r->ifindex = w[i].link->ifindex;
		r->link = w[i].link;
		snprintf(r->ifname, sizeof(r->ifname), "%s", r->link->name);
		memcpy(r->blocked, w[i].pol, sizeof(r->blocked));
		fw_verify(st, -1, r->link, &w[i], &ours, clsact_on(clsact, nclsact, r->ifindex),
			  NULL, r->e, &r->seen);
		n++;
	}
	for (int i = 0; i < n; i++)
		for (int d = 0; d < FW_DIRS; d++)
			*broken |= rows[i].e[d].state == FW_NOT_ENFORCED;
out:
	free(clsact);
	free(w);
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	return n;
}
