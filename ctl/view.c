// SPDX-License-Identifier: GPL-2.0
/* view.c - what status and stats look at: the attached interfaces a target
 * selects, and the container (or netns) behind each; and the one emitter of
 * status's and doctor's typed rows, as text or as JSON (a json_ and a plain_
 * printer side by side over each row type, nothing read back from JSON). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

int fw_view_open(struct fw_view *v, struct fw_state *st, const char *target)
{
	bool container;
	int err;

	memset(v, 0, sizeof(*v));
	err = fw_links_load(&v->links, &v->n);
	if (err)
		return err;
	v->sel = calloc(v->n + 1, sizeof(*v->sel));
	v->names = calloc(v->n + 1, sizeof(*v->names));
	if (!v->sel || !v->names)
		return fw_fail(-ENOMEM, "out of memory");
	v->all = !target;
	if (target) {
		/* A rule's target may be gone; anything else must be there. */
		if (!(st->exists && fw_rule_find(st, target))) {
			err = fw_target_check(target, v->links, v->n);
			if (err)
				return err;
		}
		err = fw_target_resolve(target, v->links, v->n, v->sel, v->n, &container);
		if (err < 0)
			return err;
		v->nsel = err;
	}
	if (st->exists)
		fw_container_names(v->links, v->n, v->names);
	return 0;
}

void fw_view_close(struct fw_view *v)
{
	free(v->links);
	free(v->sel);
	free(v->names);
	memset(v, 0, sizeof(*v));
}

bool fw_view_selects(const struct fw_view *v, int ifindex)
{
	if (v->all)
		return true;
	for (int i = 0; i < v->nsel; i++)
		if (v->sel[i] == ifindex)
			return true;
	return false;
}

/* "" where no container is known. */
const char *fw_view_container(const struct fw_view *v, int ifindex)
{
	for (int i = 0; i < v->n; i++)
		if (v->links[i].ifindex == ifindex)
			return v->names[i];
	return "";
}

const struct fw_link *fw_view_link(const struct fw_view *v, int ifindex)
{
	return fw_link_by_index(v->links, v->n, ifindex);
}

/* --- status --------------------------------------------------------------- */

static const char *const xdp_mode_name[] = { "none", "native", "generic" };
static const char *const tc_kind_name[] = { "none", "tcx", "cls_bpf" };

/* The interface's state: its worse direction's, with that reason. */
static const struct fw_enf *worst(const struct fw_status_item *it)
{
	return it->e[FW_DIR_OUT].state > it->e[FW_DIR_IN].state ? &it->e[FW_DIR_OUT]
								: &it->e[FW_DIR_IN];
}

static json_t *reason_json(const struct fw_enf *e)
{
	return e->state == FW_ENFORCED ? json_null() : json_string(e->reason);
}

static json_t *name_or_null(const char *name)
{
	return name[0] ? fw_name_json(name) : json_null();
}

static json_t *status_item_json(const char *netns, const struct fw_status_item *it)
{
	const struct fw_policy *b = it->blocked;
	const struct fw_enf *w = worst(it);
	bool ctr = it->container[0];
	json_t *row;

	row = json_pack("{s:o, s:i, s:o, s:s, s:o, s:s, s:{s:b, s:s, s:i}, "
			"s:{s:b, s:b, s:s}, s:{s:o, s:o}, s:{s:b, s:b}, s:s, s:o, "
			"s:{s:{s:s, s:o}, s:{s:s, s:o}}, s:o}",
			"ifname", fw_name_json(it->ifname), "ifindex", it->ifindex, "netns",
			fw_name_json(netns), "kind", it->kind, "container",
			name_or_null(it->container), "hook", it->tc_hook ? "tc" : "xdp", "xdp",
			"attached", it->xdp, "mode", xdp_mode_name[it->xdp_mode], "prog_id",
			it->prog_id, "tc", "egress", it->tc[FW_DIR_OUT], "ingress",
			it->tc[FW_DIR_IN], "kind", tc_kind_name[it->tc_kind], "blocked", "in",
			fw_policy_json(&b[FW_DIR_IN]), "out", fw_policy_json(&b[FW_DIR_OUT]),
			"strict", "in", !!(b[FW_DIR_IN].flags & FW_POLICY_STRICT), "out",
			!!(b[FW_DIR_OUT].flags & FW_POLICY_STRICT), "state", fw_enf_name(w->state),
			"reason", reason_json(w), "directions", "in", "state",
			fw_enf_name(it->e[FW_DIR_IN].state), "reason",
			reason_json(&it->e[FW_DIR_IN]), "out", "state",
			fw_enf_name(it->e[FW_DIR_OUT].state), "reason",
			reason_json(&it->e[FW_DIR_OUT]), "container_directions",
			ctr ? json_pack("{s:o, s:o}", "in", fw_dir_container_json(FW_DIR_IN, true),
					"out", fw_dir_container_json(FW_DIR_OUT, true))
			    : json_null());
	if (!row)
		return NULL;
	/* A name that is not UTF-8 comes escaped, with its bytes beside it. */
	fw_json_set_name(row, "ifname", it->ifname);
	if (it->orphan)
		json_object_set_new(row, "orphan", json_true());
	return row;
}

static void status_json(const struct fw_status_doc *d)
{
	json_t *doc = fw_json_doc(d->netns), *ifs = json_array();

	for (int i = 0; i < d->n; i++)
		json_array_append_new(ifs, status_item_json(d->netns, &d->items[i]));
	json_object_set_new(doc, "interfaces", ifs);
	json_object_set_new(doc, "rules", d->rules ? fw_rules_json(d->rules) : json_array());
	json_object_set_new(doc, "enforced", json_boolean(d->enforced));
	json_object_set_new(doc, "interrupted", json_boolean(d->interrupted));
	json_object_set_new(doc, "drop_samples",
			    d->samples_pid ? json_pack("{s:i}", "pid", d->samples_pid)
					   : json_null());
	fw_json_print(doc);
	json_decref(doc);
}

/* "in: icmp,udp" (or for a container's port "from: udp"), "-" for none. */
static const char *blocked_cell(const struct fw_status_item *it, __u32 dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s: ", fw_dir_label(dir, it->container[0]));

	if (n < 0 || (size_t)n >= len)
		return buf;
	if (fw_policy_empty(&it->blocked[dir]))
		snprintf(buf + n, len - n, "-");
	else
		fw_policy_format(&it->blocked[dir], buf + n, len - n);
	return buf;
}

/* Text lines fit a terminal of this many columns, as bpftool's do: long
 * lines (protocol sets, reasons) are broken at spaces. */
#define TEXT_WIDTH 80

/* Prints s broken into lines of at most TEXT_WIDTH columns, the lines
 * after the first indented by indent: at a space (not one after a label's
 * colon, which stays with what it labels) or after a comma of a protocol
 * list. A word longer than a line is not cut. */
static void print_wrapped(const char *s, int indent)
{
	for (int room = TEXT_WIDTH;; room = TEXT_WIDTH - indent) {
		const char *cut = NULL, *q;
		int n;

		if ((int)strlen(s) <= room) {
			printf("%s\n", s);
			return;
		}
		for (q = s + room; q > s + 1 && !cut; q--)
			if ((*q == ' ' && q[-1] != ':' && q[-1] != ' ') || q[-1] == ',')
				cut = q;
		for (q = s + room; !cut && *q; q++)
			if ((*q == ' ' && q[-1] != ':') || q[-1] == ',')
				cut = q;
		if (!cut) {
			printf("%s\n", s);
			return;
		}
		for (n = cut - s; n > 0 && s[n - 1] == ' ';)
			n--;
		printf("%.*s\n%*s", n, s, indent, "");
		for (s = cut; *s == ' ';)
			s++;
	}
}

/*
 * One block per interface, bpftool's way: a line of what it is and its
 * state under a header, then indented what runs there and what it blocks;
 * then the reasons of what is not enforced, and the exceptions. Fits 80
 * columns with interface names (15 at most), container names up to 20.
 */
static void status_plain(const struct fw_status_doc *d)
{
	char name[FW_NAME_TEXT_LEN], ctr[FW_NAME_TEXT_LEN];

	if (!d->n) {
		printf("nothing attached\n");
		return;
	}
	printf("%-15s %-7s %-20s %-12s %s\n", "IFACE", "KIND", "CONTAINER", "HOOK", "STATE");
	for (int i = 0; i < d->n; i++) {
		const struct fw_status_item *it = &d->items[i];
		char hook[24], prog[16] = "-", hooks[64], in[1100], out[1100], line[2400];

		if (it->tc_hook)
			snprintf(hook, sizeof(hook), "tc");
		else
			snprintf(hook, sizeof(hook), "xdp %s",
				 it->xdp ? xdp_mode_name[it->xdp_mode] : "-");
		if (it->prog_id)
			snprintf(prog, sizeof(prog), "%u", it->prog_id);
		printf("%-15s %-7s %-20s %-12s %s\n",
		       fw_name_escape(it->ifname, name, sizeof(name)), it->kind,
		       it->container[0] ? fw_name_escape(it->container, ctr, sizeof(ctr)) : "-",
		       hook, fw_enf_name(worst(it)->state));
		/* What runs there and what it blocks: one line where it fits,
		 * else the hooks, then each direction's set on its own. */
		snprintf(hooks, sizeof(hooks), "    xdp prog %s  tc %s %s", prog,
			 it->tc[FW_DIR_IN] ? (it->tc[FW_DIR_OUT] ? "in,out" : "in")
					   : (it->tc[FW_DIR_OUT] ? "out" : "-"),
			 tc_kind_name[it->tc_kind]);
		blocked_cell(it, FW_DIR_IN, in, sizeof(in));
		blocked_cell(it, FW_DIR_OUT, out, sizeof(out));
		snprintf(line, sizeof(line), "%s  blocked %s  %s", hooks, in, out);
		if (strlen(line) <= TEXT_WIDTH) {
			printf("%s\n", line);
			continue;
		}
		printf("%s\n", hooks);
		for (int dir = 0; dir < FW_DIRS; dir++) {
			snprintf(line, sizeof(line), "    blocked %s", dir ? out : in);
			print_wrapped(line, 8);
		}
	}
	/* The reasons, one line per interface and direction that is not fully
	 * enforced: what to look at first. */
	for (int i = 0; i < d->n; i++) {
		const struct fw_status_item *it = &d->items[i];
		const struct fw_enf *e = it->e;
		bool ctr_port = it->container[0];
		char line[FW_NAME_TEXT_LEN + sizeof(e->reason) + 40];

		fw_name_escape(it->ifname, name, sizeof(name));
		if (e[FW_DIR_IN].state != FW_ENFORCED && e[FW_DIR_OUT].state != FW_ENFORCED &&
		    !strcmp(e[FW_DIR_IN].reason, e[FW_DIR_OUT].reason)) {
			snprintf(line, sizeof(line), "%s: %s: %s", name,
				 fw_enf_name(worst(it)->state), e[FW_DIR_IN].reason);
			print_wrapped(line, 4);
			continue;
		}
		for (__u32 dir = 0; dir < FW_DIRS; dir++) {
			if (e[dir].state == FW_ENFORCED)
				continue;
			snprintf(line, sizeof(line), "%s %s: %s: %s", name,
				 fw_dir_label(dir, ctr_port), fw_enf_name(e[dir].state),
				 e[dir].reason);
			print_wrapped(line, 4);
		}
	}
	/* Exceptions, so a port that passes what its bridge blocks reads as
	 * meant. A container target's directions are its own. */
	for (int i = 0; d->rules && i < FW_MAX_RULES; i++) {
		const struct fw_rule *r = &d->rules[i];
		bool ctr = fw_target_kind(r->target) != FW_TARGET_IFACE;
		char in[1100], out[1100], line[2400 + FW_NAME_TEXT_LEN];

		if (!r->target[0] ||
		    (fw_policy_empty(&r->excepted[0]) && fw_policy_empty(&r->excepted[1])))
			continue;
		fw_policy_format(&r->excepted[FW_DIR_IN], in, sizeof(in));
		fw_policy_format(&r->excepted[FW_DIR_OUT], out, sizeof(out));
		snprintf(line, sizeof(line), "%s: excepted from its bridge's rule: %s: %s  %s: %s",
			 fw_name_escape(r->target, name, sizeof(name)), ctr ? "to" : "in",
			 in[0] ? in : "-", ctr ? "from" : "out", out[0] ? out : "-");
		print_wrapped(line, 4);
	}
}

void fw_status_print(const struct fw_status_doc *d)
{
	if (fw_opts.json) {
		status_json(d);
		return;
	}
	status_plain(d);
	/* Drops are being copied to a listener: each costs a little more. */
	if (d->samples_pid)
		printf("drop samples: monitor --packets pid %d\n", d->samples_pid);
}

/* --- doctor ----------------------------------------------------------------- */

/* Enumerations are lower-case words, in text as in JSON. */
static const char *const check_name[] = { "ok", "degraded", "missing" };

static void checks_json(const char *netns, const struct fw_check *c, int n)
{
	json_t *doc = fw_json_doc(netns), *arr = json_array(), *missing = json_array();

	for (int i = 0; i < n; i++) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "check", c[i].name,
						     "status", check_name[c[i].status], "detail",
						     c[i].detail, "consequence", c[i].consequence));
		if (c[i].status == FW_CHECK_MISSING)
			json_array_append_new(missing, json_string(c[i].name));
	}
	json_object_set_new(doc, "checks", arr);
	json_object_set_new(doc, "missing", missing);
	fw_json_print(doc);
	json_decref(doc);
}

static void checks_plain(const struct fw_check *c, int n)
{
	for (int i = 0; i < n; i++)
		printf("%-9s %-16s %s; %s\n", check_name[c[i].status], c[i].name, c[i].detail,
		       c[i].consequence);
}

void fw_checks_print(const char *netns, const struct fw_check *c, int n)
{
	if (fw_opts.json)
		checks_json(netns, c, n);
	else
		checks_plain(c, n);
}
