// SPDX-License-Identifier: GPL-2.0
/* cmd_status.c - what is attached where, in which mode, blocking what; read
 * from the kernel (XDP mode and program) and from our maps. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

static const char *mode_name[] = { "none", "native", "generic" };
static const char *tc_name[] = { "none", "tcx", "cls_bpf" };

/* pol: the slot's two policies; xdp: what the kernel runs there now. */
static json_t *iface_json(struct fw_state *st, __u32 slot, const struct fw_view *v,
			  const struct fw_policy pol[FW_DIRS], struct fw_xdp_info xdp)
{
	const struct fw_iface *ifc = &st->ifaces[slot];
	const struct fw_link *l = fw_view_link(v, ifc->ifindex);
	/* The kernel's word, not our notes: is our program still there? */
	bool ours = xdp.prog_id && xdp.prog_id == ifc->xdp_prog_id;

	return json_pack(
		"{s:s, s:i, s:s, s:s, s:o, s:s, s:{s:b, s:s, s:i}, "
		"s:{s:b, s:b, s:s}, s:{s:o, s:o}, s:{s:b, s:b}}",
		"ifname", ifc->name, "ifindex", ifc->ifindex, "netns", st->ns.name, "kind",
		l ? l->kind : "gone", "container", fw_view_container(v, ifc->ifindex), "hook",
		ifc->tc_in_prog_id ? "tc" : "xdp", "xdp", "attached", ours, "mode",
		mode_name[ours ? xdp.mode : FW_XDP_NONE], "prog_id", ours ? xdp.prog_id : 0, "tc",
		"egress", fw_tc_present(st, slot, FW_DIR_OUT), "ingress",
		fw_tc_present(st, slot, FW_DIR_IN), "kind", tc_name[ifc->tc_kind], "blocked", "in",
		fw_policy_json(&pol[FW_DIR_IN]), "out", fw_policy_json(&pol[FW_DIR_OUT]), "strict",
		"in", !!(pol[FW_DIR_IN].flags & FW_POLICY_STRICT), "out",
		!!(pol[FW_DIR_OUT].flags & FW_POLICY_STRICT));
}

static json_t *rules_json(struct fw_state *st)
{
	static const char *mode[] = { "auto", "native", "generic" };
	json_t *arr = json_array();

	for (int i = 0; i < FW_MAX_RULES; i++) {
		const struct fw_rule *r = &st->rules[i];

		if (!r->target[0])
			continue;
		json_array_append_new(arr,
				      json_pack("{s:s, s:o, s:o, s:s, s:s}", "target", r->target,
						"in", fw_policy_json(&r->blocked[0]), "out",
						fw_policy_json(&r->blocked[1]), "mode",
						mode[r->mode], "hook", r->hook ? "tc" : "xdp"));
	}
	return arr;
}

static void print_text(json_t *doc)
{
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
	printf("%-16s %-8s %-*s %-5s %-8s %-8s %-13s %-20s %s\n", "IFACE", "KIND", cw, "CONTAINER",
	       "HOOK", "XDP", "PROG", "TC", "BLOCKED IN", "BLOCKED OUT");
	json_array_foreach(ifs, i, ifc)
	{
		json_t *xdp = json_object_get(ifc, "xdp"), *tc = json_object_get(ifc, "tc");
		char prog[16] = "-", tcs[32], in[256] = "", out[256] = "";
		json_t *p;
		size_t j;

		if (json_integer_value(json_object_get(xdp, "prog_id")))
			snprintf(prog, sizeof(prog), "%lld",
				 json_integer_value(json_object_get(xdp, "prog_id")));
		snprintf(tcs, sizeof(tcs), "%s%s%s",
			 json_is_true(json_object_get(tc, "ingress")) ? "in+" : "",
			 json_is_true(json_object_get(tc, "egress")) ? "out " : "- ",
			 json_string_value(json_object_get(tc, "kind")));
		json_array_foreach(json_object_get(json_object_get(ifc, "blocked"), "in"), j, p)
			snprintf(in + strlen(in), sizeof(in) - strlen(in), "%s%s", j ? "," : "",
				 json_string_value(p));
		json_array_foreach(json_object_get(json_object_get(ifc, "blocked"), "out"), j, p)
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", j ? "," : "",
				 json_string_value(p));
		const char *ctr = json_string_value(json_object_get(ifc, "container"));

		printf("%-16s %-8s %-*s %-5s %-8s %-8s %-13s %-20s %s\n",
		       json_string_value(json_object_get(ifc, "ifname")),
		       json_string_value(json_object_get(ifc, "kind")), cw, ctr ? ctr : "-",
		       json_string_value(json_object_get(ifc, "hook")),
		       json_string_value(json_object_get(xdp, "mode")), prog, tcs, in[0] ? in : "-",
		       out[0] ? out : "-");
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, {} };
	const char *target = NULL;
	struct fw_state *st = calloc(1, sizeof(*st));
	struct fw_view v = {};
	struct fw_policy *pol = NULL;
	struct fw_xdp_info *xdp = NULL;
	json_t *doc = NULL, *ifs;
	int c, err;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			fw_usage_print(stdout, "status");
			exit(FW_EXIT_OK);
		}
		err = fw_usage("status: unknown option '%s'", argv[optind - 1]);
		goto out;
	}
	if (argc - optind > 1) {
		err = fw_usage("status: expected at most one TARGET");
		goto out;
	}
	if (argc - optind == 1)
		target = argv[optind];
	err = fw_state_open(st, FW_OPEN_READ);
	if (!err)
		err = fw_view_open(&v, st, target);
	if (err)
		goto out;
	/* Read at once, not per interface: status shows every covered one. */
	pol = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*pol));
	xdp = calloc(FW_MAX_IFACES, sizeof(*xdp));
	if (!pol || !xdp) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (st->exists) {
		err = fw_state_read_policies(st, pol);
		if (!err)
			err = fw_xdp_query_all(st->ifaces, FW_MAX_IFACES, xdp);
		if (err) {
			err = fw_fail(err, "cannot read the interfaces' state: %s", strerror(-err));
			goto out;
		}
	}
	doc = json_pack("{s:[]}", "interfaces");
	ifs = json_object_get(doc, "interfaces");
	for (__u32 s = 0; st->exists && s < FW_MAX_IFACES; s++)
		if (st->ifaces[s].ifindex && fw_view_selects(&v, st->ifaces[s].ifindex))
			json_array_append_new(ifs,
					      iface_json(st, s, &v, &pol[fw_key(s, 0)], xdp[s]));
	json_object_set_new(doc, "netns", json_string(st->ns.name));
	json_object_set_new(doc, "rules", st->exists ? rules_json(st) : json_array());
	if (fw_opts.json)
		fw_json_print(doc);
	else
		print_text(doc);
out:
	free(pol);
	free(xdp);
	json_decref(doc);
	fw_view_close(&v);
	fw_state_close(st);
	free(st);
	return err;
}
