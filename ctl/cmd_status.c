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

static const char *mode_name[] = { "none", "native", "generic" };
static const char *tc_name[] = { "none", "tcx", "cls_bpf" };

/* The interface's state: its worse direction's, with that reason. */
static const struct fw_enf *worst(const struct fw_status_row *r)
{
	return r->e[FW_DIR_OUT].state > r->e[FW_DIR_IN].state ? &r->e[FW_DIR_OUT]
							      : &r->e[FW_DIR_IN];
}

static json_t *enf_json(const struct fw_enf *e)
{
	return json_pack("{s:s, s:o}", "state", fw_enf_name(e->state), "reason",
			 e->state == FW_ENFORCED ? json_null() : json_string(e->reason));
}

static json_t *row_json(struct fw_state *st, const struct fw_status_row *r, const struct fw_view *v)
{
	static const struct fw_iface none;
	const struct fw_iface *ifc = r->slot >= 0 ? &st->ifaces[r->slot] : &none;
	const struct fw_link *l = r->link;
	const struct fw_policy *want = r->blocked;
	/* The kernel's word, not our notes: is our program there? */
	bool xdp = l && r->seen.xdp;
	const struct fw_enf *w = worst(r);
	json_t *row;

	row = json_pack(
		"{s:o, s:i, s:o, s:s, s:o, s:s, s:{s:b, s:s, s:i}, "
		"s:{s:b, s:b, s:s}, s:{s:o, s:o}, s:{s:b, s:b}, s:s, s:o, s:{s:o, s:o}}",
		"ifname", fw_name_json(r->ifname), "ifindex", r->ifindex, "netns",
		fw_name_json(st->ns.name), "kind", l ? l->kind : "gone", "container",
		fw_view_container(v, r->ifindex), "hook", ifc->tc_in_prog_id ? "tc" : "xdp", "xdp",
		"attached", xdp, "mode", mode_name[xdp ? l->xdp.mode : FW_XDP_NONE], "prog_id",
		xdp ? l->xdp.prog_id : 0, "tc", "egress", r->seen.tc[FW_DIR_OUT], "ingress",
		r->seen.tc[FW_DIR_IN], "kind", tc_name[ifc->tc_kind], "blocked", "in",
		fw_policy_json(&want[FW_DIR_IN]), "out", fw_policy_json(&want[FW_DIR_OUT]),
		"strict", "in", !!(want[FW_DIR_IN].flags & FW_POLICY_STRICT), "out",
		!!(want[FW_DIR_OUT].flags & FW_POLICY_STRICT), "state", fw_enf_name(w->state),
		"reason", w->state == FW_ENFORCED ? json_null() : json_string(w->reason),
		"directions", "in", enf_json(&r->e[FW_DIR_IN]), "out", enf_json(&r->e[FW_DIR_OUT]));
	/* A name that is not UTF-8 comes escaped, with its bytes beside it. */
	if (row)
		fw_json_set_name(row, "ifname", r->ifname);
	return row;
}

/* An orphan: fwctl's program where no state records one. */
static json_t *orphan_json(struct fw_state *st, const struct fw_orphan *o, const struct fw_view *v)
{
	static const char why[] = "orphaned: fwctl's program runs here but no state records "
				  "it; 'fwctl detach' of this interface removes it";
	const struct fw_link *l = o->link;
	json_t *row;

	row = json_pack("{s:o, s:i, s:o, s:s, s:o, s:s, s:{s:b, s:s, s:i}, s:{s:b, s:b, s:s}, "
			"s:{s:[], s:[]}, s:{s:b, s:b}, s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}}, "
			"s:b}",
			"ifname", fw_name_json(l->name), "ifindex", l->ifindex, "netns",
			fw_name_json(st->ns.name), "kind", l->kind, "container",
			fw_view_container(v, l->ifindex), "hook", o->tc[FW_DIR_IN] ? "tc" : "xdp",
			"xdp", "attached", o->xdp != 0, "mode",
			mode_name[o->xdp ? l->xdp.mode : FW_XDP_NONE], "prog_id", o->xdp, "tc",
			"egress", o->tc[FW_DIR_OUT] != 0, "ingress", o->tc[FW_DIR_IN] != 0, "kind",
			"cls_bpf", "blocked", "in", "out", "strict", "in", false, "out", false,
			"state", "degraded", "reason", why, "directions", "in", "state", "degraded",
			"reason", why, "out", "state", "degraded", "reason", why, "orphan", true);
	if (row)
		fw_json_set_name(row, "ifname", l->name);
	return row;
}

static json_t *rules_json(struct fw_state *st)
{
	static const char *mode[] = { "auto", "native", "generic" };
	json_t *arr = json_array();

	for (int i = 0; i < FW_MAX_RULES; i++) {
		const struct fw_rule *r = &st->rules[i];

		if (!r->target[0])
			continue;
		json_t *rule = json_pack(
			"{s:o, s:o, s:o, s:{s:o, s:o}, s:s, s:s}", "target",
			fw_name_json(r->target), "in", fw_policy_json(&r->blocked[0]), "out",
			fw_policy_json(&r->blocked[1]), "except", "in",
			fw_policy_json(&r->excepted[0]), "out", fw_policy_json(&r->excepted[1]),
			"mode", mode[r->mode], "hook", r->hook ? "tc" : "xdp");

		if (rule)
			fw_json_set_name(rule, "target", r->target);
		json_array_append_new(arr, rule);
	}
	return arr;
}

static void join(json_t *arr, char *buf, size_t len)
{
	json_t *p;
	size_t j;

	buf[0] = 0;
	json_array_foreach(arr, j, p) snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
					       j ? "," : "", json_string_value(p));
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* The interface's name for a terminal; one that is not UTF-8 is escaped
 * in the document already. */
static const char *text_name(json_t *ifc, char *buf, size_t len)
{
	const char *name = json_string_value(json_object_get(ifc, "ifname"));

	if (!name || json_object_get(ifc, "ifname_hex"))
		return name;
	return fw_name_escape(name, buf, len);
}

static void print_text(json_t *doc)
{
	char name[FW_NAME_TEXT_LEN];
	json_t *ifs = json_object_get(doc, "interfaces"), *ifc;
	int cw = strlen("CONTAINER");
	size_t i;

	if (!json_array_size(ifs)) {
		printf("nothing attached\n");
		return;
	}
	/* As wide as the longest container name: names are not cut. */
	json_array_foreach(ifs, i, ifc)
	{
		const char *ctr = json_string_value(json_object_get(ifc, "container"));

		if (ctr && (int)strlen(ctr) > cw)
			cw = strlen(ctr);
	}
	printf("%-16s %-8s %-*s %-5s %-8s %-8s %-13s %-12s %-20s %s\n", "IFACE", "KIND", cw,
	       "CONTAINER", "HOOK", "XDP", "PROG", "TC", "STATE", "BLOCKED IN", "BLOCKED OUT");
	json_array_foreach(ifs, i, ifc)
	{
		json_t *xdp = json_object_get(ifc, "xdp"), *tc = json_object_get(ifc, "tc");
		json_t *blocked = json_object_get(ifc, "blocked");
		char prog[16] = "-", tcs[32], in[256], out[256];
		const char *ctr = json_string_value(json_object_get(ifc, "container"));

		if (json_integer_value(json_object_get(xdp, "prog_id")))
			snprintf(prog, sizeof(prog), "%lld",
				 json_integer_value(json_object_get(xdp, "prog_id")));
		snprintf(tcs, sizeof(tcs), "%s%s%s",
			 json_is_true(json_object_get(tc, "ingress")) ? "in+" : "",
			 json_is_true(json_object_get(tc, "egress")) ? "out " : "- ",
			 json_string_value(json_object_get(tc, "kind")));
		join(json_object_get(blocked, "in"), in, sizeof(in));
		join(json_object_get(blocked, "out"), out, sizeof(out));
		printf("%-16s %-8s %-*s %-5s %-8s %-8s %-13s %-12s %-20s %s\n",
		       text_name(ifc, name, sizeof(name)),
		       json_string_value(json_object_get(ifc, "kind")), cw, ctr ? ctr : "-",
		       json_string_value(json_object_get(ifc, "hook")),
		       json_string_value(json_object_get(xdp, "mode")), prog, tcs,
		       json_string_value(json_object_get(ifc, "state")), in, out);
	}
	/* The reasons, one line per interface and direction that is not fully
	 * enforced: what to look at first. */
	json_array_foreach(ifs, i, ifc)
	{
		json_t *dirs = json_object_get(ifc, "directions");
		const char *in =
			json_string_value(json_object_get(json_object_get(dirs, "in"), "reason"));
		const char *out =
			json_string_value(json_object_get(json_object_get(dirs, "out"), "reason"));
		const char *ifname = text_name(ifc, name, sizeof(name));

		if (in && out && !strcmp(in, out)) {
			printf("%s: %s: %s\n", ifname,
			       json_string_value(json_object_get(ifc, "state")), in);
			continue;
		}
		if (in)
			printf("%s in: %s: %s\n", ifname,
			       json_string_value(
				       json_object_get(json_object_get(dirs, "in"), "state")),
			       in);
		if (out)
			printf("%s out: %s: %s\n", ifname,
			       json_string_value(
				       json_object_get(json_object_get(dirs, "out"), "state")),
			       out);
	}
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
	json_t *doc = NULL, *ifs;
	bool broken = false;
	int err, n = 0;

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
	doc = json_pack("{s:[]}", "interfaces");
	ifs = json_object_get(doc, "interfaces");
	for (int i = 0; i < n; i++)
		json_array_append_new(ifs, row_json(st, &rows[i], &v));
	for (int i = 0; i < norphans; i++)
		json_array_append_new(ifs, orphan_json(st, &orphans[i], &v));
	fw_json_set_name(doc, "netns", st->ns.name);
	json_object_set_new(doc, "rules", st->exists ? rules_json(st) : json_array());
	json_object_set_new(doc, "enforced", json_boolean(!broken));
	json_object_set_new(doc, "interrupted", json_boolean(st->exists && st->dirty));
	if (st->exists && st->dirty)
		fw_warn("an interrupted fwctl left a change half made; any changing command "
			"or 'fwctl watch' completes it (status only looks)");
	if (fw_opts.json)
		fw_json_print(doc);
	else
		print_text(doc);
	if (broken)
		err = -FW_ENOTENFORCED;
out:
	free(orphans);
	free(rows);
	free(pol);
	json_decref(doc);
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
