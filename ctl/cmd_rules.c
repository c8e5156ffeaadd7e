// SPDX-License-Identifier: GPL-2.0
/* cmd_rules.c - attach, detach, block, unblock: change the rules, then make
 * the kernel enforce them; on any failure put the old rules back. Parsing,
 * the change and the commit are ruleset.c's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

/* Which rule, if any, still blocks protocols on a port through its bridge. */
static const char *covering_bridge(struct fw_state *st, const struct fw_link *l,
				   const struct fw_link *links, int n)
{
	const struct fw_link *br = l->master ? fw_link_by_index(links, n, l->master) : NULL;

	return br && !strcmp(br->kind, "bridge") && fw_rule_find(st, br->name) ? br->name : NULL;
}

/*
 * unblock on a port or a container whose bridge's rule blocks some of the
 * protocols: those become exceptions (o->except), in the target's own
 * directions. Returns whether there are any.
 */
static bool find_excepts(struct fw_state *st, struct fw_rule_opts *o, const struct fw_link *links,
			 int n)
{
	int *idx = calloc(n + 1, sizeof(*idx)), cnt = 0;
	bool container = false, any = false;

	memset(o->except, 0, sizeof(o->except));
	if (!idx)
		return false;
	if (fw_target_kind(o->target) != FW_TARGET_IFACE) {
		cnt = fw_target_resolve(o->target, links, n, idx, n, &container);
	} else {
		const struct fw_link *l = fw_link_by_name(links, n, o->target);

		if (l && l->master)
			idx[cnt++] = l->ifindex;
	}
	fw_err_clear();
	for (int i = 0; i < cnt; i++) {
		const struct fw_link *l = fw_link_by_index(links, n, idx[i]);
		const struct fw_link *br =
			l && l->master ? fw_link_by_index(links, n, l->master) : NULL;
		/* A bond's or a VRF's rule covers only itself: no exception. */
		const struct fw_rule *r =
			br && !strcmp(br->kind, "bridge") ? fw_rule_find(st, br->name) : NULL;

		for (int d = 0; r && d < FW_DIRS; d++) {
			int td = container ? !d : d; /* the target's own terms */

			if (!o->dirs[td])
				continue;
			for (int b = 0; b < 4; b++) {
				o->except[td].blocked[b] |=
					o->set.blocked[b] & r->blocked[d].blocked[b];
				any |= o->except[td].blocked[b];
			}
		}
	}
	free(idx);
	return any;
}

/* A container target with no port here yet is kept, and says so: a rule
 * that silently covers nothing would surprise. */
static void warn_if_uncovered(const char *target, const struct fw_link *links, int n)
{
	int *idx = calloc(n + 1, sizeof(*idx));
	bool container;

	if (idx && fw_target_kind(target) != FW_TARGET_IFACE &&
	    fw_target_resolve(target, links, n, idx, n, &container) == 0)
		fw_warn("%s has no interface in this namespace yet (stopped, or no veth "
			"here); the rule applies when one appears",
			target);
	fw_err_clear();
	free(idx);
}

/* Read afresh: the detach just changed what the interfaces run. */
static int sweep_orphans(const struct fw_state *st, const char *only)
{
	struct fw_orphan *orphans = NULL;
	struct fw_link *links = NULL;
	int n = 0, cnt, err;

	err = fw_links_load(&links, &n);
	cnt = err ? err : fw_orphans_find(st, links, n, only, &orphans);
	err = cnt > 0 ? fw_orphans_remove(orphans, cnt) : cnt;
	free(orphans);
	free(links);
	return err;
}

/*
 * What the command needs to know of the topology before the lock: an
 * interface target and its bridge, two questions to the kernel; a dump of
 * every link (each of which costs the kernel a scan of its namespace ids:
 * 14 ms at a thousand containers) only for a container target. The
 * reconciler reads the topology itself, under the lock.
 */
static int target_links(const struct fw_rule_opts *o, struct fw_link **links, int *n)
{
	struct fw_link *l;
	int err;

	*n = 0;
	if (!o->all && fw_target_kind(o->target) != FW_TARGET_IFACE)
		return fw_links_load(links, n);
	l = *links = calloc(2, sizeof(*l));
	if (!l)
		return fw_fail(-ENOMEM, "out of memory");
	if (o->all)
		return 0;
	err = fw_link_get(o->target, 0, &l[0]);
	if (err)
		return err == -ENODEV
			       ? 0
			       : fw_fail(err, "cannot look up '%s': %s", o->target, strerror(-err));
	*n = 1;
	if (l[0].master && !fw_link_get(NULL, l[0].master, &l[1]))
		*n = 2;
	return 0;
}

/* Container targets are resolved through Docker before the state lock is
 * taken: a slow or hung Docker then holds up no other fwctl. The stored
 * rules are read without the lock; one added meanwhile is resolved under it. */
static void prefetch_containers(const char *target)
{
	struct fw_rule *rules = calloc(FW_MAX_RULES + 1, sizeof(*rules));
	int n;

	if (!rules)
		return;
	n = fw_state_peek_rules(rules) < 0 ? 0 : FW_MAX_RULES;
	if (target && fw_target_kind(target) != FW_TARGET_IFACE)
		snprintf(rules[n++].target, sizeof(rules[0].target), "%s", target);
	fw_containers_prefetch(rules, n);
	fw_err_clear();
	free(rules);
}

static int do_change(struct fw_rule_opts *o)
{
	struct fw_attach_req req = { .force = o->force };
	struct fw_rule *old = NULL, *r;
	struct fw_link *links = NULL;
	const char *br;
	struct fw_state *st;
	int nlinks = 0, err;

	st = calloc(1, sizeof(*st));
	old = calloc(FW_MAX_RULES, sizeof(*old));
	if (!st || !old) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out_free;
	}
	err = target_links(o, &links, &nlinks);
	if (err)
		goto out_free;
	prefetch_containers(o->target);
	/* Attach and block need the target now; detach and unblock may name
	 * one that is gone, by its rule. */
	if (!o->all && (o->what == FW_ATTACH || o->what == FW_BLOCK)) {
		err = fw_target_check(o->target, links, nlinks);
		if (err)
			goto out_free;
	}
	if (o->mode == FW_MODE_NATIVE && !o->all) {
		const struct fw_link *l = fw_link_by_name(links, nlinks, o->target);

		if (l && !strcmp(l->kind, "bridge")) {
			err = fw_fail(-EOPNOTSUPP,
				      "cannot attach native XDP to '%s': driver has "
				      "no native XDP (bridges have none)",
				      l->name);
			goto out_free;
		}
	}
	/* A dry run only looks: no state is created, nothing is locked out. */
	err = fw_state_open(st, !o->dry_run && (o->what == FW_ATTACH || o->what == FW_BLOCK)
					? FW_OPEN_WRITE
					: FW_OPEN_READ);
	if (err)
		goto out;
	if (!o->all && (o->what == FW_DETACH || o->what == FW_UNBLOCK) &&
	    !(st->exists && fw_rule_find(st, o->target))) {
		err = fw_target_check(o->target, links, nlinks);
		if (err)
			goto out;
	}
	if (!o->dry_run && (o->what == FW_DETACH || o->what == FW_UNBLOCK)) {
		/* Reopen for writing: the shared lock only let us look. */
		fw_state_close(st);
		err = fw_state_open(st, FW_OPEN_UPDATE);
		if (err)
			goto out;
	}
	if (o->all)
		fw_state_gc(st);
	if (!st->exists && !o->dry_run) {
		/* detach or unblock with no state: nothing to do, said as where
		 * there is state */
		if (o->what == FW_UNBLOCK)
			fw_warn("no rule blocks %s on %s; nothing changed", o->protos, o->target);
		else if (!o->all)
			fw_warn("no rule for %s; nothing changed", o->target);
		goto out;
	}
	memcpy(old, st->rules, sizeof(st->rules));

	if (o->all) {
		memset(st->rules, 0, sizeof(st->rules));
	} else if (o->what == FW_ATTACH || o->what == FW_BLOCK) {
		r = fw_rule_add(st, o->target);
		if (!r) {
			err = -E2BIG;
			goto out;
		}
		fw_rule_change(r, o);
	} else {
		const struct fw_link *l = fw_link_by_name(links, nlinks, o->target);
		bool excepts = o->what == FW_UNBLOCK && find_excepts(st, o, links, nlinks);

		r = fw_rule_find(st, o->target);
		if (!r && excepts) {
			r = fw_rule_add(st, o->target);
			if (!r) {
				err = -E2BIG;
				goto out;
			}
		}
		br = l ? covering_bridge(st, l, links, nlinks) : NULL;
		if (br && o->what == FW_DETACH)
			fw_warn("%s is covered by the rule on bridge %s: change that rule to "
				"change it",
				o->target, br);
		if (!r && !br && o->what == FW_DETACH)
			fw_warn("no rule for %s; nothing changed", o->target);
		if (r && o->what == FW_DETACH)
			memset(r, 0, sizeof(*r));
		else if (r)
			fw_rule_change(r, o);
		if (o->what == FW_UNBLOCK && !memcmp(old, st->rules, sizeof(st->rules)))
			fw_warn(excepts ? "%s already passes %s over its bridge's rule; nothing "
					  "changed"
					: "no rule blocks %s on %s; nothing changed",
				excepts ? o->target : o->protos, excepts ? o->protos : o->target);
	}

	if (o->dry_run) {
		err = fw_rules_diff(old, st->rules, st->ns.name);
		goto out;
	}
	err = fw_rules_commit(st, old, &req, o->all ? NULL : o->target);
	if (!err && !o->all && (o->what == FW_ATTACH || o->what == FW_BLOCK))
		warn_if_uncovered(o->target, links, nlinks);
	if (o->all) {
		int e = fw_state_destroy(st);

		err = err ? err : e;
	} else {
		int e = fw_state_drop_if_empty(st);

		err = err ? err : e;
	}
out:
	/* fwctl's programs that no state records go with a detach too. */
	if (o->what == FW_DETACH && (!err || err == -ENOENT))
		err = sweep_orphans(st, o->all ? NULL : o->target);
	fw_state_close(st);
out_free:
	free(links);
	free(old);
	free(st);
	return err;
}

/* attach --upgrade: every attached interface (of TARGET) runs this build's
 * programs afterwards, swapped in atomically; rules and counters stay. */
static int do_upgrade(const struct fw_rule_opts *o)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	__u32 slots[FW_MAX_IFACES];
	struct fw_view v = {};
	int err, n = 0;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_UPDATE);
	if (!err)
		err = fw_view_open(&v, st, o->target);
	for (__u32 s = 0; !err && st->exists && s < FW_MAX_IFACES; s++)
		if (st->ifaces[s].ifindex && fw_view_selects(&v, st->ifaces[s].ifindex))
			slots[n++] = s;
	if (!err && !n) {
		/* exit 0 as for detach or unblock with nothing to do, said so */
		fw_warn("nothing of fwctl is attached to %s; nothing upgraded",
			o->target ? o->target : "any interface here");
		goto out;
	}
	if (!err)
		err = fw_upgrade(st, slots, n, v.links, v.n);
	if (!err)
		err = fw_state_mark(st, false);
	if (!err)
		fw_info("upgraded the programs of %d interface%s", n, n == 1 ? "" : "s");
out:
	fw_view_close(&v);
	fw_state_close(st);
	free(st);
	return err;
}

/* Options parsed from the command's table (ruleset.c); what they name is
 * checked here, in the namespace the command acts in. */
static int run(const void *args)
{
	struct fw_rule_opts o = *(const struct fw_rule_opts *)args;
	int err = fw_rule_check(&o, true);

	if (err)
		return err;
	return o.upgrade ? do_upgrade(&o) : do_change(&o);
}

int cmd_attach(const void *args)
{
	return run(args);
}

int cmd_detach(const void *args)
{
	return run(args);
}

int cmd_block(const void *args)
{
	return run(args);
}

int cmd_unblock(const void *args)
{
	return run(args);
}
