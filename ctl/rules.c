// SPDX-License-Identifier: GPL-2.0
/* rules.c - rules stay as the user stated them; what each interface enforces
 * is derived from them and the current topology, every time it may change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fwctl.h"
#include "opts.h"

struct fw_rule *fw_rule_find(struct fw_state *st, const char *target)
{
	for (int i = 0; i < FW_MAX_RULES; i++)
		if (st->rules[i].target[0] && !strcmp(st->rules[i].target, target))
			return &st->rules[i];
	return NULL;
}

struct fw_rule *fw_rule_add(struct fw_state *st, const char *target)
{
	struct fw_rule *r = fw_rule_find(st, target);

	if (r)
		return r;
	for (int i = 0; i < FW_MAX_RULES; i++) {
		r = &st->rules[i];
		if (!r->target[0]) {
			memset(r, 0, sizeof(*r));
			snprintf(r->target, sizeof(r->target), "%s", target);
			return r;
		}
	}
	fw_fail(-E2BIG, "rule table is full (%d targets per namespace)", FW_MAX_RULES);
	return NULL;
}

/* A rule that only holds exceptions: it asks nothing of an interface no
 * other rule covers. */
static bool excepts_only(const struct fw_rule *r)
{
	return !(r->flags & FW_RULE_OWN_HOOK) && fw_policy_empty(&r->blocked[FW_DIR_IN]) &&
	       fw_policy_empty(&r->blocked[FW_DIR_OUT]);
}

/* Does any rule hold exceptions (which shape their bridge's own policy)? */
static bool rules_except(const struct fw_state *st)
{
	for (int i = 0; i < FW_MAX_RULES; i++)
		if (st->rules[i].target[0] &&
		    (!fw_policy_empty(&st->rules[i].excepted[FW_DIR_IN]) ||
		     !fw_policy_empty(&st->rules[i].excepted[FW_DIR_OUT])))
			return true;
	return false;
}

static struct fw_want *want_find(struct fw_want *w, int n, const struct fw_link *link)
{
	for (int i = 0; i < n; i++)
		if (w[i].link == link)
			return &w[i];
	return NULL;
}

static struct fw_want *want_get(struct fw_want *w, int *n, const struct fw_link *link)
{
	struct fw_want *found = want_find(w, *n, link);

	if (found)
		return found;
	memset(&w[*n], 0, sizeof(w[*n]));
	w[*n].link = link;
	return &w[(*n)++];
}

static void policy_or(struct fw_policy *to, const struct fw_policy *p)
{
	for (int i = 0; i < 4; i++)
		to->blocked[i] |= p->blocked[i];
	to->flags |= p->flags;
}

static void want_merge(struct fw_want *w, const struct fw_rule *r, bool direct)
{
	for (int d = 0; d < FW_DIRS; d++) {
		policy_or(direct ? &w->own[d] : &w->inherited[d], &r->blocked[d]);
		if (direct)
			policy_or(&w->excepted[d], &r->excepted[d]);
	}
	/* An interface's own rule decides its mode and hook over its
	 * bridge's; one that only holds exceptions leaves them. */
	if (direct && !(r->flags & FW_RULE_OWN_HOOK))
		return;
	if (direct || !w->direct) {
		w->req.mode = r->mode;
		w->req.hook = r->hook;
	}
	w->direct |= direct;
}

/*
 * The most specific target wins: a port enforces its own rules' blocks and
 * its bridge's, less what its own rules except. The bridge device's own
 * hooks see the host's traffic with every port (host -> port on its egress,
 * port -> host on its ingress) before or after the port's hook does; they
 * leave a protocol any port excepts to the ports' hooks, each of which
 * still blocks it unless excepted: so an excepted port talks to the host,
 * and to no port that blocks.
 */
static void wants_settle(struct fw_want *w, int n)
{
	for (int i = 0; i < n; i++)
		for (int d = 0; d < FW_DIRS; d++) {
			w[i].pol[d] = w[i].own[d];
			bool kept = false;

			for (int b = 0; b < 4; b++) {
				__u64 k =
					w[i].inherited[d].blocked[b] & ~w[i].excepted[d].blocked[b];

				w[i].pol[d].blocked[b] |= k;
				kept |= k != 0;
			}
			/* --strict of the bridge's rule goes with what it still blocks. */
			if (kept)
				w[i].pol[d].flags |= w[i].inherited[d].flags;
			if (fw_policy_empty(&w[i].pol[d]))
				w[i].pol[d].flags = 0;
		}
	for (int i = 0; i < n; i++) {
		if (!w[i].link->master)
			continue;
		for (int j = 0; j < n; j++) {
			/* Only a bridge's rule covers its ports (not a bond's). */
			if (w[j].link->ifindex != w[i].link->master ||
			    strcmp(w[j].link->kind, "bridge"))
				continue;
			for (int d = 0; d < FW_DIRS; d++) {
				for (int b = 0; b < 4; b++)
					w[j].pol[d].blocked[b] &= ~w[i].excepted[d].blocked[b];
				if (fw_policy_empty(&w[j].pol[d]))
					w[j].pol[d].flags = 0;
			}
		}
	}
}

/*
 * The interfaces a target covers, as ifindexes: an interface; a bridge and
 * every port on it; a container's host-side ports. *container is set for the
 * latter, whose directions are the container's (in = toward it), the reverse
 * of its host-side port's. Returns how many, or -errno; a target that is not
 * there (yet) covers nothing.
 */
int fw_target_resolve(const char *target, const struct fw_link *links, int n, int *out, int max,
		      bool *container)
{
	const struct fw_link *l;
	char name[FW_TARGET_LEN];
	int found = 0, fd;

	*container = fw_target_kind(target) != FW_TARGET_IFACE;
	if (*container) {
		fd = fw_container_open(target, name, sizeof(name));
		if (fd == -ESRCH)
			return 0; /* stopped: covers nothing until it runs */
		if (fd < 0)
			return fd;
		found = fw_container_ports(fd, links, n, out, max);
		close(fd);
		return found;
	}
	l = fw_link_by_name(links, n, target);
	if (!l)
		return 0;
	out[found++] = l->ifindex;
	if (strcmp(l->kind, "bridge"))
		return found;
	for (int i = 0; i < n && found < max; i++)
		if (links[i].master == l->ifindex)
			out[found++] = links[i].ifindex;
	return found;
}

/* Returns false when the rule's target cannot be resolved now. */
static bool want_rule(struct fw_want *w, int *nw, const struct fw_rule *r,
		      const struct fw_link *links, int n, bool existing)
{
	int *idx = calloc(n + 1, sizeof(*idx)), cnt;
	struct fw_rule flipped = *r;
	bool container;

	if (!idx)
		return false;
	cnt = fw_target_resolve(r->target, links, n, idx, n, &container);
	if (cnt < 0) {
		/* Docker down, say: keep what the other rules ask for, and
		 * release nothing, since this rule's ports are unknown. */
		fw_docker_warn();
		fw_warn("rule for '%s' not applied: %s", r->target, fw_err());
		fw_err_clear();
		free(idx);
		return false;
	}
	if (container) {
		flipped.blocked[FW_DIR_IN] = r->blocked[FW_DIR_OUT];
		flipped.blocked[FW_DIR_OUT] = r->blocked[FW_DIR_IN];
		flipped.excepted[FW_DIR_IN] = r->excepted[FW_DIR_OUT];
		flipped.excepted[FW_DIR_OUT] = r->excepted[FW_DIR_IN];
	}
	for (int i = 0; i < cnt; i++) {
		const struct fw_link *l = fw_link_by_index(links, n, idx[i]);
		struct fw_want *to = !l		? NULL
				     : existing ? want_find(w, *nw, l)
						: want_get(w, nw, l);

		if (to)
			want_merge(to, &flipped, i == 0 || container);
	}
	free(idx);
	return true;
}

int fw_wants(struct fw_state *st, const struct fw_link *links, int n, struct fw_want **out,
	     bool *held)
{
	struct fw_want *w = calloc(n + 1, sizeof(*w));
	int nw = 0;

	*held = false;
	if (!w)
		return fw_fail(-ENOMEM, "out of memory");
	/* Rules of exceptions last, onto what the others cover. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < FW_MAX_RULES; i++) {
			const struct fw_rule *r = &st->rules[i];

			if (r->target[0] && excepts_only(r) == pass &&
			    !want_rule(w, &nw, r, links, n, pass))
				*held = true;
		}
	wants_settle(w, nw);
	*out = w;
	return nw;
}

/* Does the attached interface in slot still fit what is wanted of it? */
static bool fits(struct fw_state *st, __u32 slot, const struct fw_attach_req *req)
{
	const struct fw_iface *ifc = &st->ifaces[slot];

	/* Half made (a killed fwctl): not fitting, so it is made again. */
	if (ifc->hook != req->hook || !ifc->tc_out_prog_id)
		return false;
	if (req->hook == FW_HOOK_XDP && !ifc->xdp_prog_id)
		return ifc->tc_in_prog_id && req->mode != FW_MODE_NATIVE; /* tc stands in */
	if (req->hook == FW_HOOK_XDP && req->mode == FW_MODE_NATIVE)
		return ifc->xdp_mode == FW_XDP_NATIVE;
	if (req->hook == FW_HOOK_XDP && req->mode == FW_MODE_GENERIC)
		return ifc->xdp_mode == FW_XDP_GENERIC;
	return true;
}

int fw_slot_of(const struct fw_state *st, int ifindex)
{
	for (int s = 0; s < FW_MAX_IFACES; s++)
		if (st->ifaces[s].ifindex == (__u32)ifindex)
			return s;
	return -1;
}

/* The kernel allows no XDP change below a device with XDP: if the port's
 * bridge is ours, it steps aside until the end of fw_apply(). */
static int suspend_master(struct fw_state *st, const struct fw_link *l, const struct fw_link *links,
			  int nlinks)
{
	const struct fw_link *ml = l->master ? fw_link_by_index(links, nlinks, l->master) : NULL;
	int m = ml ? fw_slot_of(st, ml->ifindex) : -1;

	return m >= 0 ? fw_xdp_suspend(st, m, ml) : 0;
}

/* What fw_apply() found it could not do, interface by interface. */
struct failures {
	int n;
	char msg[1024];
	struct fw_scope *scope;
};

static void failed(struct failures *f, const struct fw_link *l)
{
	size_t len = strlen(f->msg);

	/* The same reason for every interface (the kernel refused the program)
	 * is said once. */
	if (f->n++ < 4 && !strstr(f->msg, fw_err()))
		snprintf(f->msg + len, sizeof(f->msg) - len, "%s%s", len ? "; " : "", fw_err());
	if (f->scope && f->scope->failed && f->scope->nfailed < f->scope->maxfailed)
		f->scope->failed[f->scope->nfailed++] = l->ifindex;
	fw_err_clear();
}

/* Refusals known before anything changes: trying would move the bridge's
 * XDP aside and back for nothing, and a watcher would see that as news. */
static int precheck(const struct fw_state *st, const struct fw_want *w, bool force)
{
	const struct fw_link *l = w->link;
	char name[32];

	if (fw_slot_of(st, 0) < 0)
		return fw_fail(-E2BIG,
			       "cannot cover '%s': interface table is full "
			       "(%d interfaces per namespace)",
			       l->name, FW_MAX_IFACES);
	if (w->req.hook == FW_HOOK_XDP && l->xdp.prog_id && !force) {
		fw_prog_name(l->xdp.prog_id, name, sizeof(name));
		if (strcmp(name, "fw_xdp"))
			return fw_fail(-EBUSY,
				       "cannot cover '%s': XDP program '%s' (id %u) is already "
				       "attached; --force replaces it",
				       l->name, name, l->xdp.prog_id);
	}
	return 0;
}

/* Checks one attached interface against the kernel and repairs, in place,
 * what differs; says what it did. */
static int converge(struct fw_state *st, int s, struct fw_want *w, const struct fw_ours *ours,
		    const struct fw_link *links, int nlinks)
{
	const struct fw_link *l = w->link;
	struct fw_compiled pol[FW_DIRS];
	struct fw_enf e[FW_DIRS];
	int err = 0;

	err = fw_state_map_slot(st, l->ifindex, s + 1, 0);
	if (!err)
		err = fw_verify_read(st, s, pol);
	if (err)
		return err;
	fw_verify(st, s, l, w, ours, true, pol, e, NULL);
	for (__u32 d = 0; d < FW_DIRS && !err; d++) {
		/* A policy entry is rewritten even where only its counter
		 * cells are wrong (degraded): the stats would lie. */
		if (e[d].state != FW_NOT_ENFORCED && e[d].gap != FW_GAP_POLICY)
			continue;
		if (e[d].gap == FW_GAP_XDP || e[d].gap == FW_GAP_XDP_FOREIGN)
			err = suspend_master(st, l, links, nlinks);
		if (!err && e[d].gap == FW_GAP_POLICY)
			err = fw_state_set_policy(st, s, w->pol);
		else if (!err)
			err = fw_repair(st, s, l, e[d].gap, d, &w->req);
		if (!err)
			fw_warn("%s: %s; repaired", l->name, e[d].reason);
	}
	return err;
}

/* Policy first, then the program: its first packet is already filtered.
 * cur: every slot's policies as the maps hold them, so that only those that
 * change are written (a thousand covered ports, one changed). */
static int enforce(struct fw_state *st, struct fw_want *w, const struct fw_attach_req *opt,
		   const struct fw_ours *ours, bool verify, const struct fw_policy *cur,
		   const struct fw_link *links, int nlinks)
{
	int s = fw_slot_of(st, w->link->ifindex), err = 0;

	w->req.force = opt && opt->force;
	if (s >= 0) {
		if (!cur || memcmp(&cur[fw_key(s, 0)], w->pol, sizeof(w->pol)))
			err = fw_state_set_policy(st, s, w->pol);
		return err || !verify ? err : converge(st, s, w, ours, links, nlinks);
	}
	err = precheck(st, w, w->req.force);
	if (err)
		return err;
	s = fw_slot_of(st, 0);
	err = fw_state_set_policy(st, s, w->pol);
	if (!err && w->req.hook == FW_HOOK_XDP)
		err = suspend_master(st, w->link, links, nlinks);
	if (!err)
		err = fw_attach(st, s, w->link, &w->req);
	if (!err)
		fw_note("%s: covered (%s)", w->link->name,
			st->ifaces[s].xdp_prog_id ? "XDP and tc egress" : "tc ingress and egress");
	return err;
}

static bool listed(const int *idx, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (idx[i] == ifindex)
			return true;
	return false;
}

/*
 * The reconciler. Makes the kernel enforce st->rules: attaches what is newly
 * covered (policy first, then program), updates policies in place (a map
 * write, never a reload), releases interfaces that are gone or no longer
 * covered, and checks the interfaces in scope against the kernel, repairing
 * what differs (a hook removed, a filter ahead of ours). An interface that
 * cannot be covered is reported and skipped: every other one is still done.
 * Returns 0, or the first hard error; *partial is set when only some
 * interfaces failed (fw_err() names them) and others were enforced.
 */
int fw_apply(struct fw_state *st, const struct fw_attach_req *opt, struct fw_scope *scope,
	     bool *partial)
{
	struct failures fails = { .scope = scope };
	int done = 0;	      /* interfaces enforced */
	int partial_view = 0; /* links holds only those around the target */
	struct fw_link *links = NULL;
	struct fw_want *w = NULL;
	struct fw_policy *cur = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*cur));
	struct fw_ours ours;
	int nlinks = 0, nw = 0, nsel = 0, *sel = NULL, err;
	bool held = false, container;

	*partial = false;
	if (scope)
		scope->nfailed = 0;
	/* A change of one interface's rule needs only what is around it: a
	 * dump of every link costs the kernel a scan of its namespace ids per
	 * link, 14 ms at a thousand containers. */
	if (scope && !scope->all && scope->target &&
	    fw_target_kind(scope->target) == FW_TARGET_IFACE)
		partial_view = fw_links_around(scope->target, rules_except(st), &links, &nlinks);
	if (partial_view < 0)
		return fw_fail(partial_view, "cannot list interfaces: %s", strerror(-partial_view));
	err = partial_view ? 0 : fw_links_load(&links, &nlinks);
	if (err)
		return err;
	/* Until the caller marks it done, a kill leaves this to be repaired. */
	err = fw_state_mark(st, true);
	if (err)
		goto out;
	nw = fw_wants(st, links, nlinks, &w, &held);
	if (nw < 0) {
		err = nw;
		goto out;
	}
	fw_ours_read(st, &ours);
	if (cur && fw_state_read_policies(st, cur)) {
		free(cur);
		cur = NULL; /* then every policy is written */
		fw_err_clear();
	}
	if (scope && !scope->all && scope->target) {
		sel = calloc(nlinks + 1, sizeof(*sel));
		nsel = sel ? fw_target_resolve(scope->target, links, nlinks, sel, nlinks,
					       &container)
			   : 0;
		if (nsel < 0)
			nsel = 0;
		fw_err_clear();
	}

	/* Release first: frees slots, and never leaves two programs racing.
	 * Bridges before ports: the kernel refuses even removing XDP below a
	 * device that has it. */
	for (int k = 0; k < 2 * FW_MAX_IFACES; k++) {
		int s = k % FW_MAX_IFACES;
		struct fw_iface *ifc = &st->ifaces[s];
		const struct fw_link *l;
		struct fw_want *wi = NULL;

		if (!ifc->ifindex)
			continue;
		l = fw_link_by_index(links, nlinks, ifc->ifindex);
		/* Outside the view: not this change's to judge, unless it is
		 * gone (one ioctl, no namespace-id scan as a link dump has). */
		if (!l && partial_view && fw_ifindex_exists(ifc->ifindex))
			continue;
		if ((k < FW_MAX_IFACES) != (l && !strcmp(l->kind, "bridge")))
			continue;
		for (int i = 0; l && i < nw; i++)
			if (w[i].link == l)
				wi = &w[i];
		if (l && wi && !strcmp(l->name, ifc->name) && fits(st, s, &wi->req))
			continue;
		/* A rule that could not be resolved may still cover it. */
		if (l && !wi && held)
			continue;
		if (l && (ifc->xdp_prog_id || (wi && wi->req.hook == FW_HOOK_XDP))) {
			err = suspend_master(st, l, links, nlinks);
			if (err)
				goto out;
		}
		fw_note("%s: released (%s)", ifc->name, l ? "no rule covers it" : "gone");
		err = fw_detach(st, s);
		if (err)
			goto out;
	}

	/* Ports before bridges: the kernel refuses XDP below a device that has
	 * it, so a bridge attached first would push its ports to tc. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < nw; i++) {
			const struct fw_link *l = w[i].link;
			bool verify = !scope || scope->all || listed(sel, nsel, l->ifindex);

			if ((strcmp(l->kind, "bridge") == 0) != pass)
				continue;
			if (scope && listed(scope->skip, scope->nskip, l->ifindex))
				continue;
			if (enforce(st, &w[i], opt, &ours, verify, cur, links, nlinks))
				failed(&fails, l);
			else
				done++;
		}
out:
	/* Bridges moved aside for their ports go back on XDP, error or not. */
	for (int s = 0; links && s < FW_MAX_IFACES; s++) {
		const struct fw_link *l = fw_link_by_index(links, nlinks, st->ifaces[s].ifindex);
		int e;

		if (!st->ifaces[s].ifindex || !st->ifaces[s].suspended || !l)
			continue;
		e = fw_xdp_resume(st, s, l);
		if (e && !err)
			failed(&fails, l);
	}
	free(cur);
	free(sel);
	free(w);
	free(links);
	/* Some interfaces done, others not: the rules hold where they can. Not
	 * one done (a program the kernel refuses fails them all): a failure of
	 * the change, which the caller undoes. */
	if (!err && fails.n) {
		*partial = done > 0;
		err = fw_fail(-EIO, "%s%s", fails.msg, fails.n > 4 ? "; ..." : "");
	}
	return err;
}

/* After a killed fwctl (the dirty mark found set): the kernel is made to
 * enforce the stored rules again, every interface checked against what the
 * kernel really runs. Interfaces that cannot be covered are not a failed
 * repair: the mark goes, and status shows them. */
int fw_recover(struct fw_state *st)
{
	struct fw_scope all = { .all = true };
	bool partial;
	int err = fw_apply(st, NULL, &all, &partial);

	return err && !partial ? err : fw_state_mark(st, false);
}

/* A target a command names must exist now (rules for vanished ones can still
 * be removed: the caller checks fw_rule_find first). A container may be
 * stopped, but must exist. */
int fw_target_check(const char *target, const struct fw_link *links, int n)
{
	char name[FW_TARGET_LEN];
	int fd;

	if (fw_target_kind(target) != FW_TARGET_IFACE) {
		fd = fw_container_open(target, name, sizeof(name));
		if (fd == -ESRCH)
			return 0;
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	if (strlen(target) >= FW_IFNAME_LEN || !fw_link_by_name(links, n, target))
		return fw_no_interface(target);
	return 0;
}

/* The namespace searched, as the user named it (-n) or as fwctl names it. */
int fw_no_interface(const char *name)
{
	struct fw_link *links = NULL;
	const char **names = NULL;
	struct fw_netns ns = {};
	char dym[96] = "";
	int n = 0;

	if (!fw_links_load(&links, &n) && (names = calloc(n + 1, sizeof(*names)))) {
		for (int i = 0; i < n; i++)
			names[i] = links[i].name;
		fw_did_you_mean(fw_suggest(name, names, n), dym, sizeof(dym));
	}
	if (!fw_opts.netns)
		fw_netns_self(&ns);
	fw_err_clear();
	free(names);
	free(links);
	return fw_usage("no interface '%s' in netns %s%s", name,
			fw_opts.netns ? fw_opts.netns : ns.name, dym);
}

static __u64 ns_ino(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Checked by name and by namespace file, so a ruleset can be checked where
 * its namespaces do not exist yet. */
int fw_target_useless(const char *target)
{
	char path[FW_TARGET_LEN + 32];
	__u64 ino = 0;

	if (!strcmp(target, "lo"))
		return fw_usage("target 'lo' covers nothing: the loopback carries only the "
				"namespace's traffic to itself");
	if (fw_target_kind(target) == FW_TARGET_NETNS && target[6] && !strchr(target + 6, '/')) {
		snprintf(path, sizeof(path), "/run/netns/%s", target + 6);
		ino = ns_ino(path);
	} else if (fw_target_kind(target) == FW_TARGET_PID && target[4]) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", target + 4);
		ino = ns_ino(path);
	}
	if (ino && ino == ns_ino("/proc/self/ns/net"))
		return fw_usage("target '%s' covers nothing: it is the namespace fwctl acts in "
				"(%s); name the container's namespace, or its interfaces",
				target, fw_opts.netns ? fw_opts.netns : "the caller's");
	return 0;
}
