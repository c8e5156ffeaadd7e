// SPDX-License-Identifier: GPL-2.0
/* cmd_status.c - what is attached where, blocking what, and whether the
 * kernel really enforces it: every covered interface is checked against the
 * kernel (fw_verify), never taken from fwctl's records. Reads only. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"
#include "opts.h"

/* A covered interface as status shows it: the kernel's word on what runs
 * there (fw_verify), not fwctl's records. */
static void item_of_row(struct fw_status_item *it, const struct fw_state *st,
			const struct fw_status_row *r, const struct fw_view *v)
{
	static const struct fw_iface none;
	const struct fw_iface *ifc = r->slot >= 0 ? &st->ifaces[r->slot] : &none;
	const struct fw_link *l = r->link;

	snprintf(it->ifname, sizeof(it->ifname), "%s", r->ifname);
	it->ifindex = r->ifindex;
	snprintf(it->kind, sizeof(it->kind), "%s", l ? l->kind : "gone");
	snprintf(it->container, sizeof(it->container), "%s", fw_view_container(v, r->ifindex));
	it->tc_hook = ifc->tc_in_prog_id;
	it->xdp = l && r->seen.xdp;
	it->xdp_mode = it->xdp ? l->xdp.mode : FW_XDP_NONE;
	it->prog_id = it->xdp ? l->xdp.prog_id : 0;
	memcpy(it->tc, r->seen.tc, sizeof(it->tc));
	/* The kind of what the kernel runs; the record's where it runs none. */
	it->tc_kind = r->seen.tc_kind ? r->seen.tc_kind : ifc->tc_kind;
	memcpy(it->blocked, r->blocked, sizeof(it->blocked));
	memcpy(it->e, r->e, sizeof(it->e));
}

/* An orphan: fwctl's program where no state records one. */
static void item_of_orphan(struct fw_status_item *it, const struct fw_orphan *o,
			   const struct fw_view *v)
{
	static const char why[] = "orphaned: fwctl's program runs here but no state records "
				  "it; 'fwctl detach' of this interface removes it";
	const struct fw_link *l = o->link;

	snprintf(it->ifname, sizeof(it->ifname), "%s", l->name);
	it->ifindex = l->ifindex;
	snprintf(it->kind, sizeof(it->kind), "%s", l->kind);
	snprintf(it->container, sizeof(it->container), "%s", fw_view_container(v, l->ifindex));
	it->tc_hook = o->tc[FW_DIR_IN];
	it->xdp = o->xdp;
	it->xdp_mode = o->xdp ? l->xdp.mode : FW_XDP_NONE;
	it->prog_id = o->xdp;
	it->tc[FW_DIR_IN] = o->tc[FW_DIR_IN];
	it->tc[FW_DIR_OUT] = o->tc[FW_DIR_OUT];
	it->tc_kind = FW_TC_CLSBPF;
	for (int d = 0; d < FW_DIRS; d++) {
		it->e[d].state = FW_DEGRADED;
		snprintf(it->e[d].reason, sizeof(it->e[d].reason), "%s", why);
	}
	it->orphan = true;
}

struct status_args {
	const char *target;
};

static int cmd_status(const void *args)
{
	const char *target = ((const struct status_args *)args)->target;
	struct fw_state *st = calloc(1, sizeof(*st));
	struct fw_status_row *rows = NULL;
	struct fw_orphan *orphans = NULL;
	int norphans = 0;
	struct fw_view v = {};
	struct fw_policy *pol = NULL;
	struct fw_status_item *items = NULL;
	bool broken = false;
	int err, n = 0, samples_pid = 0;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_READ);
	if (!err)
		err = fw_view_open(&v, st, target);
	if (err)
		goto out;
	if (st->exists) {
		/* Read at once, not per interface: status shows every covered one. */
		pol = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*pol));
		err = pol ? fw_state_read_policies(st, pol) : fw_fail(-ENOMEM, "out of memory");
		if (!err)
			n = err = fw_status_rows(st, &v, pol, &rows, &broken);
		if (err < 0)
			goto out;
		err = 0;
	}
	/* What runs without a record: after state was lost, or before any. */
	if (!target || fw_target_kind(target) == FW_TARGET_IFACE) {
		norphans = fw_orphans_find(st, v.links, v.n, target, &orphans);
		if (norphans < 0) {
			err = norphans;
			goto out;
		}
	}
	items = calloc(n + norphans + 1, sizeof(*items));
	if (!items) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++)
		item_of_row(&items[i], st, &rows[i], &v);
	for (int i = 0; i < norphans; i++)
		item_of_orphan(&items[n + i], &orphans[i], &v);
	if (st->exists) {
		int pid = fw_samples_listener(st);

		/* Unreadable: status still says what is enforced. */
		samples_pid = pid > 0 ? pid : 0;
		fw_err_clear();
	}
	if (st->exists && st->dirty)
		fw_warn("an interrupted fwctl left a change half made; any changing command "
			"or 'fwctl watch' completes it (status only looks)");
	fw_status_print(&(struct fw_status_doc){ .netns = st->ns.name,
						 .items = items,
						 .n = n + norphans,
						 .rules = st->exists ? st->rules : NULL,
						 .enforced = !broken,
						 .interrupted = st->exists && st->dirty,
						 .samples_pid = samples_pid });
	if (broken)
		err = -FW_ENOTENFORCED;
out:
	free(items);
	free(orphans);
	free(rows);
	free(pol);
	fw_view_close(&v);
	fw_state_close(st);
	free(st);
	return err;
}

static const struct fw_opt status_opts[] = {
	FW_POSITIONAL("TARGET", offsetof(struct status_args, target), 0),
	{},
};

const struct fw_cmd fw_cmd_status = {
	.name = "status",
	.run = cmd_status,
	.size = sizeof(struct status_args),
	.opts = status_opts,
	.synopsis = "[TARGET]",
	.what = "what is attached where, blocking what",
	.flags = FW_CMD_ROOT,
};
