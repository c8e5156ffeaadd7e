// SPDX-License-Identifier: GPL-2.0
/* cmd_rules.c - attach, detach, block, unblock: change the rules, then make
 * the kernel enforce them; on any failure put the old rules back. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fwctl.h"

static int parse_dir(const char *s, bool dirs[FW_DIRS])
{
	dirs[FW_DIR_IN] = !strcmp(s, "in") || !strcmp(s, "both");
	dirs[FW_DIR_OUT] = !strcmp(s, "out") || !strcmp(s, "both");
	if (!dirs[FW_DIR_IN] && !dirs[FW_DIR_OUT])
		return fw_usage("bad direction '%s': use in, out or both", s);
	return 0;
}

static int parse_mode(const char *s)
{
	if (!strcmp(s, "auto"))
		return FW_MODE_AUTO;
	if (!strcmp(s, "native"))
		return FW_MODE_NATIVE;
	if (!strcmp(s, "generic") || !strcmp(s, "skb"))
		return FW_MODE_GENERIC;
	return fw_usage("bad mode '%s': use auto, native or generic", s);
}

static int parse_hook(const char *s)
{
	if (!strcmp(s, "xdp"))
		return FW_HOOK_XDP;
	if (!strcmp(s, "tc"))
		return FW_HOOK_TC;
	return fw_usage("bad hook '%s': use xdp or tc", s);
}

/* Options may come before, between or after the positional arguments. */
int fw_rule_parse(int argc, char **argv, struct fw_rule_opts *o)
{
	static const struct option longopts[] = { { "dir", required_argument, NULL, 'd' },
						  { "mode", required_argument, NULL, 'm' },
						  { "hook", required_argument, NULL, 'H' },
						  { "force", no_argument, NULL, 'f' },
						  { "all", no_argument, NULL, 'a' },
						  { "strict", no_argument, NULL, 's' },
						  { "help", no_argument, NULL, 'h' },
						  { "upgrade", no_argument, NULL, 'u' },
						  {} };
	static const int npos[] = {
		[FW_ATTACH] = 1, [FW_DETACH] = 1, [FW_BLOCK] = 2, [FW_UNBLOCK] = 2
	};
	const char *cmd = argv[0];
	int c, err = 0;

	o->mode = o->hook = -1;
	o->dirs[FW_DIR_IN] = o->dirs[FW_DIR_OUT] = true;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:m:H:fahsu", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (o->what == FW_ATTACH || o->what == FW_DETACH)
				return fw_usage("%s: unknown option '--dir'", cmd);
			err = parse_dir(optarg, o->dirs);
			break;
		case 'm':
			if (o->what == FW_DETACH || o->what == FW_UNBLOCK)
				return fw_usage("%s: unknown option '--mode'", cmd);
			err = o->mode = parse_mode(optarg);
			break;
		case 'H':
			if (o->what == FW_DETACH || o->what == FW_UNBLOCK)
				return fw_usage("%s: unknown option '--hook'", cmd);
			err = o->hook = parse_hook(optarg);
			break;
		case 'u':
			if (o->what != FW_ATTACH)
				return fw_usage("%s: unknown option '--upgrade'", cmd);
			o->upgrade = true;
			break;
		case 'f':
			if (o->what == FW_DETACH || o->what == FW_UNBLOCK)
				return fw_usage("%s: unknown option '--force'", cmd);
			o->force = true;
			break;
		case 's':
			if (o->what != FW_BLOCK)
				return fw_usage("%s: unknown option '--strict'", cmd);
			o->strict = true;
			break;
		case 'a':
			if (o->what != FW_DETACH)
				return fw_usage("%s: unknown option '--all'", cmd);
			o->all = true;
			break;
		case 'h':
			fw_usage_print(stdout, cmd);
			exit(FW_EXIT_OK);
		case ':':
			return fw_usage("%s: option '%s' needs a value", cmd, argv[optind - 1]);
		default:
			return fw_usage("%s: unknown option '%s'", cmd, argv[optind - 1]);
		}
		if (err < 0)
			return err;
	}
	argc -= optind;
	argv += optind;
	if (o->upgrade) {
		if (argc > 1 || o->mode >= 0 || o->hook >= 0 || o->force)
			return fw_usage("%s: --upgrade takes at most a TARGET and no other option",
					cmd);
		o->target = argc ? argv[0] : NULL;
		return 0;
	}
	if (o->all) {
		if (argc)
			return fw_usage("%s: --all takes no target", cmd);
		return 0;
	}
	if (argc != npos[o->what])
		return fw_usage("%s: expected %s, see 'fwctl help %s'", cmd,
				npos[o->what] == 2 ? "PROTO[,PROTO...] TARGET" : "TARGET", cmd);
	if (npos[o->what] == 2) {
		o->protos = argv[0];
		err = fw_proto_parse_list(o->protos, &o->set, o->what == FW_UNBLOCK);
		if (err)
			return err;
	}
	o->target = argv[npos[o->what] - 1];
	if (!o->target[0] || strlen(o->target) >= FW_TARGET_LEN)
		return fw_usage("bad target '%s'", o->target);
	return 0;
}

/* Which rule, if any, still blocks protocols on a port through its bridge. */
static const char *covering_bridge(struct fw_state *st, const struct fw_link *l,
				   const struct fw_link *links, int n)
{
	const struct fw_link *br = l->master ? fw_link_by_index(links, n, l->master) : NULL;

	return br && fw_rule_find(st, br->name) ? br->name : NULL;
}

void fw_rule_change(struct fw_rule *r, const struct fw_rule_opts *o)
{
	for (int d = 0; d < FW_DIRS; d++) {
		if (!o->dirs[d])
			continue;
		for (int i = 0; i < 4; i++) {
			if (o->what == FW_BLOCK)
				r->blocked[d].blocked[i] |= o->set.blocked[i];
			else
				r->blocked[d].blocked[i] &= ~o->set.blocked[i];
		}
		if (o->strict)
			r->blocked[d].flags |= FW_POLICY_STRICT;
		if (fw_policy_empty(&r->blocked[d]))
			r->blocked[d].flags = 0;
	}
	if (o->mode >= 0)
		r->mode = o->mode;
	if (o->hook >= 0)
		r->hook = o->hook;
}

/* Nothing left to enforce: leave no pin behind. */
int fw_state_drop_if_empty(struct fw_state *st)
{
	for (int i = 0; i < FW_MAX_RULES; i++)
		if (st->rules[i].target[0])
			return 0;
	for (int s = 0; s < FW_MAX_IFACES; s++)
		if (st->ifaces[s].ifindex)
			return 0;
	return fw_state_destroy(st);
}

/*
 * Enforces st->rules and keeps them, checking against the kernel (and
 * repairing) the interfaces `target` covers, or all of them when NULL. An
 * interface that cannot be covered fails alone: the rules are kept and
 * every other interface enforces them. On a hard failure the old rules are
 * back in force and kept, and the first error is the one reported.
 */
int fw_rules_commit(struct fw_state *st, const struct fw_rule *old, const struct fw_attach_req *req,
		    const char *target)
{
	struct fw_scope scope = { .all = !target, .target = target };
	bool quiet = fw_opts.quiet, partial;
	int err = fw_apply(st, req, &scope, &partial), e;

	if (!err || partial) {
		e = fw_state_save_rules(st);
		if (!e)
			e = fw_state_mark(st, false);
		return e ? e : err;
	}
	memcpy(st->rules, old, sizeof(st->rules));
	fw_opts.quiet = true;
	if (!fw_apply(st, NULL, NULL, &partial) || partial)
		fw_state_mark(st, false);
	fw_opts.quiet = quiet;
	return err;
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
	err = fw_state_open(st, o->what == FW_ATTACH || o->what == FW_BLOCK ? FW_OPEN_WRITE
									    : FW_OPEN_READ);
	if (err)
		goto out;
	if (!o->all && (o->what == FW_DETACH || o->what == FW_UNBLOCK) &&
	    !(st->exists && fw_rule_find(st, o->target))) {
		err = fw_target_check(o->target, links, nlinks);
		if (err)
			goto out;
	}
	if (o->what == FW_DETACH || o->what == FW_UNBLOCK) {
		/* Reopen for writing: the shared lock only let us look. */
		fw_state_close(st);
		err = fw_state_open(st, FW_OPEN_UPDATE);
		if (err)
			goto out;
	}
	if (o->all)
		fw_state_gc(st);
	if (!st->exists)
		goto out; /* detach or unblock with no state: nothing to do */
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

		r = fw_rule_find(st, o->target);
		br = l ? covering_bridge(st, l, links, nlinks) : NULL;
		if (br && (!r || o->what == FW_DETACH))
			fw_warn("%s is covered by the rule on bridge %s: change that rule to "
				"change it",
				o->target, br);
		if (r && o->what == FW_DETACH)
			memset(r, 0, sizeof(*r));
		else if (r)
			fw_rule_change(r, o);
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
	if (!err)
		err = fw_upgrade(st, slots, n, v.links, v.n);
	if (!err)
		err = fw_state_mark(st, false);
	if (!err)
		fw_info("upgraded the programs of %d interface%s", n, n == 1 ? "" : "s");
	fw_view_close(&v);
	fw_state_close(st);
	free(st);
	return err;
}

static int run(int argc, char **argv, enum fw_change what)
{
	struct fw_rule_opts o = { .what = what };
	int err = fw_rule_parse(argc, argv, &o);

	if (err)
		return err;
	return o.upgrade ? do_upgrade(&o) : do_change(&o);
}

int cmd_attach(int argc, char **argv)
{
	return run(argc, argv, FW_ATTACH);
}

int cmd_detach(int argc, char **argv)
{
	return run(argc, argv, FW_DETACH);
}

int cmd_block(int argc, char **argv)
{
	return run(argc, argv, FW_BLOCK);
}

int cmd_unblock(int argc, char **argv)
{
	return run(argc, argv, FW_UNBLOCK);
}
