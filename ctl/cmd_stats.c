// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - passed and dropped packets and bytes per interface, direction
 * and protocol, summed over CPUs; --watch adds rates. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fwctl.h"

struct stats_opts {
	const char *target;
	int watch;  /* seconds between redraws, 0: once */
	long count; /* redraws under --watch, 0: until interrupted */
	bool reset;
	bool prometheus;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static const char *dir_name[FW_DIRS] = { "in", "out" };

static const char *idx_name(__u32 idx, char *buf, size_t len)
{
	if (idx == FW_IDX_NONIP)
		return "non-ip";
	if (idx == FW_IDX_MALFORMED)
		return "malformed";
	if (idx == FW_IDX_OTHER)
		return "other";
	return fw_proto_name(idx, buf, len);
}

/* One snapshot: {"interfaces": [...]} as in DESIGN.md. */
/* doc.enforced[]: for fwctl_enforced, each covered interface and direction
 * checked against the kernel, as status does. */
static int enforcement(struct fw_state *st, const struct fw_view *v, json_t *doc)
{
	struct fw_policy *pol = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*pol));
	struct fw_status_row *rows = NULL;
	json_t *arr = json_array();
	bool broken;
	int n, err;

	err = pol ? fw_state_read_policies(st, pol) : fw_fail(-ENOMEM, "out of memory");
	n = err ? err : fw_status_rows(st, v, pol, &rows, &broken);
	for (int i = 0; i < n; i++)
		for (int d = 0; d < FW_DIRS; d++)
			json_array_append_new(
				arr, json_pack("{s:s, s:s, s:s, s:b}", "netns", st->ns.name,
					       "ifname", rows[i].ifname, "direction", dir_name[d],
					       "enforced", rows[i].e[d].state != FW_NOT_ENFORCED));
	json_object_set_new(doc, "enforced", arr);
	free(rows);
	free(pol);
	return n < 0 ? n : 0;
}

static int snapshot(const struct stats_opts *o, json_t **out)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	struct fw_counter *sum = calloc(FW_IDX_SUMS, sizeof(*sum));
	json_t *doc = json_pack("{s:[]}", "interfaces");
	json_t *ifs = json_object_get(doc, "interfaces");
	struct fw_view v = {};
	int err;

	if (!st || !sum) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	err = fw_state_open(st, o->reset ? FW_OPEN_WRITE : FW_OPEN_READ);
	if (!err)
		err = fw_view_open(&v, st, o->target);
	if (err)
		goto out;
	for (__u32 s = 0; st->exists && s < FW_MAX_IFACES; s++) {
		const struct fw_iface *ifc = &st->ifaces[s];
		json_t *rows = json_array();

		if (!ifc->ifindex || !fw_view_selects(&v, ifc->ifindex)) {
			json_decref(rows);
			continue;
		}
		for (__u32 d = 0; d < FW_DIRS && !err; d++) {
			err = fw_state_read_counters(st, s, d, sum);
			for (__u32 i = 0; i < FW_IDX_SUMS && !err; i++) {
				const struct fw_counter *c = &sum[i];
				char name[32];

				if (!c->packets[FW_PASS] && !c->packets[FW_DROP])
					continue;
				json_array_append_new(
					rows,
					json_pack("{s:s, s:o, s:s, s:I, s:I, s:I, s:I}", "proto",
						  idx_name(i, name, sizeof(name)), "number",
						  i < 256 ? json_integer(i) : json_null(),
						  "direction", dir_name[d], "passed_packets",
						  (json_int_t)c->packets[FW_PASS], "passed_bytes",
						  (json_int_t)c->bytes[FW_PASS], "dropped_packets",
						  (json_int_t)c->packets[FW_DROP], "dropped_bytes",
						  (json_int_t)c->bytes[FW_DROP]));
			}
		}
		json_array_append_new(
			ifs, json_pack("{s:s, s:i, s:s, s:o, s:o}", "ifname", ifc->name, "ifindex",
				       ifc->ifindex, "netns", st->ns.name, "container",
				       fw_view_container(&v, ifc->ifindex), "counters", rows));
		if (!err && o->reset)
			err = fw_state_reset_counters(st, s);
		if (err)
			break;
	}
	if (!err && st->exists && o->prometheus)
		err = enforcement(st, &v, doc);
out:
	fw_view_close(&v);
	fw_state_close(st);
	free(sum);
	free(st);
	if (err)
		json_decref(doc);
	else
		*out = doc;
	return err;
}

static __u64 field_of(json_t *row, const char *name)
{
	return json_integer_value(json_object_get(row, name));
}

/* The same row in the previous snapshot, for rates. */
static json_t *prev_row(json_t *prev, json_t *ifc, json_t *row)
{
	json_t *pi, *pr;
	size_t i, j;

	json_array_foreach(json_object_get(prev, "interfaces"), i, pi)
	{
		if (!json_equal(json_object_get(pi, "ifindex"), json_object_get(ifc, "ifindex")))
			continue;
		json_array_foreach(json_object_get(pi, "counters"), j,
				   pr) if (json_equal(json_object_get(pr, "proto"),
						      json_object_get(row, "proto")) &&
					   json_equal(json_object_get(pr, "direction"),
						      json_object_get(row, "direction"))) return pr;
	}
	return NULL;
}

static void print_table(json_t *doc, json_t *prev, double secs)
{
	json_t *ifs = json_object_get(doc, "interfaces"), *ifc, *row;
	bool rates = prev && secs > 0;
	size_t i, j;
	int rows = 0, cw = 0;

	/* A CONTAINER column where some interface belongs to one, as wide as
	 * the longest name. */
	json_array_foreach(ifs, i, ifc)
	{
		const char *ctr = json_string_value(json_object_get(ifc, "container"));

		if (ctr && (int)strlen(ctr) > cw)
			cw = strlen(ctr);
	}
	if (cw && cw < (int)strlen("CONTAINER"))
		cw = strlen("CONTAINER");
	printf("%-16s ", "IFACE");
	if (cw)
		printf("%-*s ", cw, "CONTAINER");
	printf("%-3s %-10s %12s %10s %12s %10s", "DIR", "PROTO", "PASSED", "BYTES", "DROPPED",
	       "BYTES");
	if (rates)
		printf(" %10s %10s %10s", "PASS/s", "DROP/s", "BYTES/s");
	putchar('\n');
	json_array_foreach(ifs, i, ifc)
	{
		json_array_foreach(json_object_get(ifc, "counters"), j, row)
		{
			const char *ctr = json_string_value(json_object_get(ifc, "container"));
			char a[16], b[16], c[16], d[16];

			printf("%-16s ", json_string_value(json_object_get(ifc, "ifname")));
			if (cw)
				printf("%-*s ", cw, ctr ? ctr : "-");
			printf("%-3s %-10s %12s %10s %12s %10s",
			       json_string_value(json_object_get(row, "direction")),
			       json_string_value(json_object_get(row, "proto")),
			       fw_human_count(field_of(row, "passed_packets"), a, sizeof(a)),
			       fw_human_bytes(field_of(row, "passed_bytes"), b, sizeof(b)),
			       fw_human_count(field_of(row, "dropped_packets"), c, sizeof(c)),
			       fw_human_bytes(field_of(row, "dropped_bytes"), d, sizeof(d)));
			if (rates) {
				json_t *p = prev_row(prev, ifc, row);
				__u64 pp = p ? field_of(p, "passed_packets") : 0;
				__u64 dp = p ? field_of(p, "dropped_packets") : 0;
				__u64 by = p ? field_of(p, "passed_bytes") +
							   field_of(p, "dropped_bytes")
					     : 0;

				printf(" %10s %10s %10s",
				       fw_human_count((field_of(row, "passed_packets") - pp) / secs,
						      a, sizeof(a)),
				       fw_human_count((field_of(row, "dropped_packets") - dp) /
							      secs,
						      b, sizeof(b)),
				       fw_human_bytes((field_of(row, "passed_bytes") +
						       field_of(row, "dropped_bytes") - by) /
							      secs,
						      c, sizeof(c)));
			}
			putchar('\n');
			rows++;
		}
	}
	if (!rows)
		printf("(no packets counted)\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int watch(struct stats_opts *o)
{
	json_t *prev = NULL, *doc = NULL;
	double t_prev = 0, t;
	bool tty = isatty(STDOUT_FILENO);
	int err = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (long i = 0; !stop && (!o->count || i < o->count); i++) {
		if (i) {
			struct timespec ts = { .tv_sec = o->watch };

			while (!stop && nanosleep(&ts, &ts))
				;
			if (stop)
				break;
		}
		err = snapshot(o, &doc);
		if (err)
			break;
		t = now_s();
		if (fw_opts.json) {
			fw_json_print(doc);
		} else {
			if (tty)
				printf("\033[H\033[2J");
			print_table(doc, prev, t - t_prev);
			if (!tty)
				putchar('\n');
			fflush(stdout);
		}
		json_decref(prev);
		prev = doc;
		t_prev = t;
	}
	json_decref(prev);
	return err;
}

/* Prometheus label values: backslash, quote and newline escaped. */
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

static void prom_family(FILE *f, json_t *doc, const char *metric, const char *what,
			const char *unit)
{
	json_t *ifc, *row;
	size_t i, j;

	fprintf(f,
		"# HELP fwctl_%s_total %s seen by fwctl, by interface, protocol, direction "
		"and verdict.\n# TYPE fwctl_%s_total counter\n",
		metric, what, metric);
	json_array_foreach(json_object_get(doc, "interfaces"), i, ifc)
	{
		json_array_foreach(json_object_get(ifc, "counters"), j, row)
		{
			for (int v = 0; v < FW_VERDICTS; v++) {
				char field[32];

				snprintf(field, sizeof(field), "%s_%s", v ? "dropped" : "passed",
					 unit);
				fprintf(f, "fwctl_%s_total{", metric);
				prom_label(f, "netns",
					   json_string_value(json_object_get(ifc, "netns")), false);
				prom_label(f, "ifname",
					   json_string_value(json_object_get(ifc, "ifname")),
					   false);
				prom_label(f, "container",
					   json_string_value(json_object_get(ifc, "container")),
					   false);
				prom_label(f, "proto",
					   json_string_value(json_object_get(row, "proto")), false);
				prom_label(f, "direction",
					   json_string_value(json_object_get(row, "direction")),
					   false);
				prom_label(f, "verdict", v ? "dropped" : "passed", true);
				fprintf(f, "} %llu\n", (unsigned long long)field_of(row, field));
			}
		}
	}
}

/* The text exposition format, for node_exporter's textfile collector. */
int fw_stats_prometheus(FILE *f, const char *target)
{
	struct stats_opts o = { .target = target, .prometheus = true };
	json_t *doc = NULL, *row;
	int err = snapshot(&o, &doc);
	size_t i;

	if (err)
		return err;
	prom_family(f, doc, "packets", "Packets", "packets");
	prom_family(f, doc, "bytes", "Bytes (L2 frame lengths)", "bytes");
	fprintf(f, "# HELP fwctl_enforced 1 when the kernel enforces the rules of an interface "
		   "and direction, as fwctl status checks it; 0 when not.\n"
		   "# TYPE fwctl_enforced gauge\n");
	json_array_foreach(json_object_get(doc, "enforced"), i, row)
	{
		fputs("fwctl_enforced{", f);
		prom_label(f, "netns", json_string_value(json_object_get(row, "netns")), false);
		prom_label(f, "ifname", json_string_value(json_object_get(row, "ifname")), false);
		prom_label(f, "direction", json_string_value(json_object_get(row, "direction")),
			   true);
		fprintf(f, "} %d\n", json_is_true(json_object_get(row, "enforced")));
	}
	json_decref(doc);
	return ferror(f) ? -EIO : 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option longopts[] = { { "watch", required_argument, NULL, 'w' },
						  { "count", required_argument, NULL, 'c' },
						  { "reset", no_argument, NULL, 'r' },
						  { "help", no_argument, NULL, 'h' },
						  { "prometheus", no_argument, NULL, 'p' },
						  {} };
	struct stats_opts o = {};
	json_t *doc = NULL;
	char *end;
	int c, err;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:c:rhp", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o.watch = strtol(optarg, &end, 10);
			if (*end || o.watch < 1 || o.watch > 3600)
				return fw_usage("stats: bad --watch '%s': seconds from 1 to 3600",
						optarg);
			break;
		case 'c':
			o.count = strtol(optarg, &end, 10);
			if (*end || o.count < 1)
				return fw_usage("stats: bad --count '%s'", optarg);
			break;
		case 'r':
			o.reset = true;
			break;
		case 'p':
			o.prometheus = true;
			break;
		case 'h':
			fw_usage_print(stdout, "stats");
			exit(FW_EXIT_OK);
		case ':':
			return fw_usage("stats: option '%s' needs a value", argv[optind - 1]);
		default:
			return fw_usage("stats: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return fw_usage("stats: expected at most one TARGET");
	if (argc - optind == 1)
		o.target = argv[optind];
	if (o.count && !o.watch)
		return fw_usage("stats: --count goes with --watch");
	if (o.watch && o.reset)
		return fw_usage("stats: --reset does not go with --watch");
	if (o.prometheus && (o.watch || o.reset || fw_opts.json))
		return fw_usage("stats: --prometheus goes alone (no --watch, --reset or -j)");
	if (o.prometheus)
		return fw_stats_prometheus(stdout, o.target);
	if (o.watch)
		return watch(&o);
	err = snapshot(&o, &doc);
	if (err)
		return err;
	if (fw_opts.json)
		fw_json_print(doc);
	else
		print_table(doc, NULL, 0);
	json_decref(doc);
	return 0;
}

/* monitor: drops as they happen, one line per interface, direction and
 * protocol per interval at most (so a flood cannot flood the terminal).
 * Read from the counters: no per-packet cost in the data plane. */
static void print_drops(json_t *doc, json_t *prev)
{
	json_t *ifc, *row;
	char when[16], b[16];
	time_t now = time(NULL);
	size_t i, j;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	json_array_foreach(json_object_get(doc, "interfaces"), i, ifc)
	{
		json_array_foreach(json_object_get(ifc, "counters"), j, row)
		{
			json_t *p = prev_row(prev, ifc, row);
			__u64 pk = field_of(row, "dropped_packets") -
				   (p ? field_of(p, "dropped_packets") : 0);
			__u64 by = field_of(row, "dropped_bytes") -
				   (p ? field_of(p, "dropped_bytes") : 0);
			const char *ctr = json_string_value(json_object_get(ifc, "container"));

			if (!pk)
				continue;
			if (fw_opts.json) {
				fw_json_print(json_pack(
					"{s:s, s:O, s:O, s:O, s:O, s:I, s:I}", "time", when,
					"ifname", json_object_get(ifc, "ifname"), "container",
					json_object_get(ifc, "container"), "proto",
					json_object_get(row, "proto"), "direction",
					json_object_get(row, "direction"), "dropped_packets",
					(json_int_t)pk, "dropped_bytes", (json_int_t)by));
				continue;
			}
			printf("%s %s%s%s%s %s %s dropped %llu packet%s (%s)\n", when,
			       json_string_value(json_object_get(ifc, "ifname")), ctr ? " (" : "",
			       ctr ? ctr : "", ctr ? ")" : "",
			       json_string_value(json_object_get(row, "direction")),
			       json_string_value(json_object_get(row, "proto")),
			       (unsigned long long)pk, pk == 1 ? "" : "s",
			       fw_human_bytes(by, b, sizeof(b)));
		}
	}
	fflush(stdout);
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = { { "interval", required_argument, NULL, 'i' },
						  { "count", required_argument, NULL, 'c' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct stats_opts o = { .watch = 1 };
	json_t *prev = NULL, *doc = NULL;
	int c, err = 0;
	char *end;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o.watch = strtol(optarg, &end, 10);
			if (*end || o.watch < 1 || o.watch > 3600)
				return fw_usage(
					"monitor: bad --interval '%s': seconds from 1 to 3600",
					optarg);
			break;
		case 'c':
			o.count = strtol(optarg, &end, 10);
			if (*end || o.count < 1)
				return fw_usage("monitor: bad --count '%s'", optarg);
			break;
		case 'h':
			fw_usage_print(stdout, "monitor");
			exit(FW_EXIT_OK);
		case ':':
			return fw_usage("monitor: option '%s' needs a value", argv[optind - 1]);
		default:
			return fw_usage("monitor: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return fw_usage("monitor: expected at most one TARGET");
	if (argc - optind == 1)
		o.target = argv[optind];

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* The first snapshot is the baseline: only new drops are shown. */
	for (long i = 0; !stop && (!o.count || i <= o.count); i++) {
		if (i) {
			struct timespec ts = { .tv_sec = o.watch };

			while (!stop && nanosleep(&ts, &ts))
				;
			if (stop)
				break;
		}
		err = snapshot(&o, &doc);
		if (err)
			break;
		if (prev)
			print_drops(doc, prev);
		json_decref(prev);
		prev = doc;
	}
	json_decref(prev);
	return err;
}
