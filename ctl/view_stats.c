// SPDX-License-Identifier: GPL-2.0
/* view_stats.c - stats' printers over one snapshot of typed rows
 * (view_stats.h): the JSON document (and --watch's NDJSON rows), the totals
 * table, the rates table of --watch, and the Prometheus text format. The
 * commands (cmd_stats.c) only take snapshots and choose. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "view_stats.h"

/* Default tables fit 80 columns: the columns after IFACE and CONTAINER
 * take 58; a container name is cut (with '~') to what is left, but never
 * below the width of its title. */
#define TABLE_W		80
#define FIXED_W		59
#define CONTAINER_W_MIN 9

static const char *verdict_name[FW_VERDICTS] = { "passed", "dropped" };

/* --- JSON ------------------------------------------------------------------ */

/* {"netns": ..., "interfaces": [...]} as in DESIGN.md; with_rates adds each
 * row's "rates" (per second, floating point). */
json_t *fw_stats_json(const struct fw_stats_snap *s, bool with_rates)
{
	json_t *doc = fw_json_doc(s->netns), *ifs = json_array(), *ifc = NULL, *rows = NULL;
	int last = 0;

	for (int i = 0; i < s->n; i++) {
		const struct srow *r = &s->rows[i];
		char name[32];
		json_t *row;

		if (!ifc || r->ifindex != last) {
			/* Names are bytes: escaped where not UTF-8 (with ifname_hex),
			 * as status shows them. */
			ifc = json_object();
			fw_json_set_name(ifc, "ifname", r->ifname);
			json_object_set_new(ifc, "ifindex", json_integer(r->ifindex));
			json_object_set_new(ifc, "netns", fw_name_json(s->netns));
			json_object_set_new(ifc, "container",
					    r->container[0] ? fw_name_json(r->container)
							    : json_null());
			json_object_set_new(ifc, "counters", json_array());
			json_array_append_new(ifs, ifc);
			rows = json_object_get(ifc, "counters");
			last = r->ifindex;
		}
		row = json_pack("{s:s, s:o, s:s, s:o, s:I, s:I, s:I, s:I}", "proto",
				fw_kind_name(r->idx, name, sizeof(name)), "number",
				r->idx < 256 ? json_integer(r->idx) : json_null(), "direction",
				fw_dir_label(r->dir, false), "container_direction",
				fw_dir_container_json(r->dir, r->container[0]), "passed_packets",
				(json_int_t)r->packets[FW_PASS], "passed_bytes",
				(json_int_t)r->bytes[FW_PASS], "dropped_packets",
				(json_int_t)r->packets[FW_DROP], "dropped_bytes",
				(json_int_t)r->bytes[FW_DROP]);
		if (with_rates)
			json_object_set_new(
				row, "rates",
				json_pack("{s:f, s:f, s:f, s:f}", "passed_packets", r->pps[FW_PASS],
					  "passed_bytes", r->bps[FW_PASS], "dropped_packets",
					  r->pps[FW_DROP], "dropped_bytes", r->bps[FW_DROP]));
		json_array_append_new(rows, row);
	}
	json_object_set_new(doc, "interfaces", ifs);
	return doc;
}

/* --- tables ----------------------------------------------------------------- */

/* The IFACE column as wide as the longest name; a CONTAINER column only
 * where some interface belongs to one, within what 80 columns leave. */
struct widths {
	int iface;
	int container; /* 0: no such column */
};

static struct widths col_widths(const struct fw_stats_snap *s)
{
	struct widths w = { .iface = strlen("IFACE") };
	int room;

	for (int i = 0; i < s->n; i++) {
		char name[FW_NAME_TEXT_LEN];
		int il = strlen(fw_name_escape(s->rows[i].ifname, name, sizeof(name)));
		int cl = strlen(fw_name_escape(s->rows[i].container, name, sizeof(name)));

		w.iface = il > w.iface ? il : w.iface;
		w.container = cl > w.container ? cl : w.container;
	}
	room = TABLE_W - FIXED_W - w.iface - 2;
	if (w.container && w.container < CONTAINER_W_MIN)
		w.container = CONTAINER_W_MIN;
	if (w.container > room)
		w.container = room > CONTAINER_W_MIN ? room : CONTAINER_W_MIN;
	return w;
}

/* "IFACE CONTAINER " or "IFACE ", names escaped where not UTF-8, the
 * container cut with '~' to fit. */
static void iface_cols(char *buf, size_t len, const struct widths *w, const char *ifname,
		       const char *container)
{
	char in[FW_NAME_TEXT_LEN], cn[FW_NAME_TEXT_LEN];
	int n = snprintf(buf, len, "%-*s ", w->iface, fw_name_escape(ifname, in, sizeof(in)));

	if (w->container && n >= 0 && (size_t)n < len) {
		int cl = strlen(fw_name_escape(container[0] ? container : "-", cn, sizeof(cn)));

		if (cl > w->container)
			snprintf(buf + n, len - n, "%.*s~ ", w->container - 1, cn);
		else
			snprintf(buf + n, len - n, "%-*s ", w->container, cn);
	}
}

/* Totals: one row per interface (by index), direction and protocol. */
void fw_stats_print_totals(const struct fw_stats_snap *s, bool human)
{
	struct widths w = col_widths(s);
	char cols[2 * FW_NAME_TEXT_LEN + 4];

	iface_cols(cols, sizeof(cols), &w, "IFACE", "CONTAINER");
	printf("%s%-4s %-9s %10s %10s %10s %10s\n", cols, "DIR", "PROTO", "PASSED", "PASS_BYTES",
	       "DROPPED", "DROP_BYTES");
	for (int i = 0; i < s->n; i++) {
		const struct srow *r = &s->rows[i];
		char name[32], a[24], b[24], c[24], d[24];

		iface_cols(cols, sizeof(cols), &w, r->ifname, r->container);
		printf("%s%-4s %-9s %10s %10s %10s %10s\n", cols, dir_label(r),
		       fw_kind_name(r->idx, name, sizeof(name)),
		       fw_fmt_count(r->packets[FW_PASS], human, a, sizeof(a)),
		       fw_fmt_bytes(r->bytes[FW_PASS], human, b, sizeof(b)),
		       fw_fmt_count(r->packets[FW_DROP], human, c, sizeof(c)),
		       fw_fmt_bytes(r->bytes[FW_DROP], human, d, sizeof(d)));
	}
	if (!s->n)
		printf("(no packets counted)\n");
}

static bool idle(const struct srow *r)
{
	return r->pps[FW_PASS] == 0 && r->pps[FW_DROP] == 0;
}

/* One frame of rates: a header line, the column titles, then at most
 * max_rows rows (0: all), busiest first as sorted, idle ones only with all.
 * Lines are cut at width (0: not at all). */
void fw_stats_print_rates(const struct fw_stats_snap *s, double every, bool all, bool human,
			  int max_rows, int width, const char *eol)
{
	char when[48], line[1024], ns[FW_NAME_TEXT_LEN];
	struct widths w = col_widths(s);
	char cols[2 * FW_NAME_TEXT_LEN + 4];
	int shown = 0, hidden = 0;

	snprintf(line, sizeof(line), "fwctl stats  %s  netns %s  every %g s",
		 fw_iso8601(&s->real, false, when, sizeof(when)),
		 fw_name_escape(s->netns, ns, sizeof(ns)), every);
	printf("%.*s%s", width ? width : (int)sizeof(line), line, eol);
	iface_cols(cols, sizeof(cols), &w, "IFACE", "CONTAINER");
	snprintf(line, sizeof(line), "%s%-4s %-9s %9s %9s %11s %11s", cols, "DIR", "PROTO",
		 "PASS/s", "DROP/s", "PASS_B/s", "DROP_B/s");
	printf("%.*s%s", width ? width : (int)sizeof(line), line, eol);
	for (int i = 0; i < s->n; i++) {
		const struct srow *r = &s->rows[i];
		char name[32], a[24], b[24], c[24], d[24];

		if (!all && idle(r)) {
			hidden++;
			continue;
		}
		if (max_rows && shown == max_rows) {
			hidden++;
			continue;
		}
		iface_cols(cols, sizeof(cols), &w, r->ifname, r->container);
		snprintf(line, sizeof(line), "%s%-4s %-9s %9s %9s %11s %11s", cols, dir_label(r),
			 fw_kind_name(r->idx, name, sizeof(name)),
			 fw_fmt_rate(r->pps[FW_PASS], false, human, a, sizeof(a)),
			 fw_fmt_rate(r->pps[FW_DROP], false, human, b, sizeof(b)),
			 fw_fmt_rate(r->bps[FW_PASS], true, human, c, sizeof(c)),
			 fw_fmt_rate(r->bps[FW_DROP], true, human, d, sizeof(d)));
		printf("%.*s%s", width ? width : (int)sizeof(line), line, eol);
		shown++;
	}
	if (!shown)
		printf("(no traffic in this interval)%s", eol);
	if (hidden)
		printf("(%d %s not shown%s)%s", hidden, hidden == 1 ? "row" : "rows",
		       all ? "" : "; --all shows idle ones", eol);
}

/* --- Prometheus --------------------------------------------------------------- */

/* Label values: backslash, quote and newline escaped. */
static void prom_label(FILE *f, const char *name, const char *value, bool last)
{
	fprintf(f, "%s=\"", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\"%s", last ? "" : ",");
}

/* Label values are UTF-8: a name that is not is escaped as status shows it. */
static void prom_name(FILE *f, const char *label, const char *name)
{
	char buf[FW_NAME_TEXT_LEN];

	prom_label(f, label, fw_name_escape(name, buf, sizeof(buf)), false);
}

static void prom_counters(FILE *f, struct fw_stats_snap *const *snaps, int n, bool bytes)
{
	const char *metric = bytes ? "bytes" : "packets";

	fprintf(f,
		"# HELP fwctl_%s_total %s seen by fwctl, by interface, protocol, direction "
		"and verdict.\n# TYPE fwctl_%s_total counter\n",
		metric, bytes ? "Bytes (L2 frame lengths)" : "Packets", metric);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < snaps[k]->n; i++) {
			const struct srow *r = &snaps[k]->rows[i];
			char name[32];

			for (int v = 0; v < FW_VERDICTS; v++) {
				fprintf(f, "fwctl_%s_total{", metric);
				prom_name(f, "netns", snaps[k]->netns);
				prom_name(f, "ifname", r->ifname);
				prom_name(f, "container", r->container);
				prom_label(f, "proto", fw_kind_name(r->idx, name, sizeof(name)),
					   false);
				prom_label(f, "direction", fw_dir_label(r->dir, false), false);
				prom_label(f, "verdict", verdict_name[v], true);
				fprintf(f, "} %llu\n",
					(unsigned long long)(bytes ? r->bytes[v] : r->packets[v]));
			}
		}
}

/* The text exposition format, for node_exporter's textfile collector: each
 * family's HELP and TYPE once, then its samples from every namespace. */
int fw_stats_prometheus_write(FILE *f, struct fw_stats_snap *const *snaps, int n)
{
	prom_counters(f, snaps, n, false);
	prom_counters(f, snaps, n, true);
	fprintf(f, "# HELP fwctl_enforced 1 when the kernel enforces the rules of an interface "
		   "and direction, as fwctl status checks it; 0 when not.\n"
		   "# TYPE fwctl_enforced gauge\n");
	for (int k = 0; k < n; k++)
		for (int i = 0; i < snaps[k]->nenf; i++) {
			const struct erow *e = &snaps[k]->enf[i];

			fputs("fwctl_enforced{", f);
			prom_name(f, "netns", snaps[k]->netns);
			prom_name(f, "ifname", e->ifname);
			prom_label(f, "direction", fw_dir_label(e->dir, false), true);
			fprintf(f, "} %d\n", e->enforced);
		}
	return ferror(f) ? -EIO : 0;
}
