// SPDX-License-Identifier: GPL-2.0
/* cmd_stats.c - passed and dropped packets and bytes per interface, direction
 * and protocol, summed over CPUs; --watch adds rates, measured over the time
 * that really passed between two reads. One snapshot of typed rows feeds
 * every output: the table, JSON, NDJSON, Prometheus (printed by
 * view_stats.c) and monitor. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "fwctl.h"
#include "opts.h"
#include "view_stats.h"

/* Fractional intervals are allowed down to this, for tests and tight loops. */
#define WATCH_MIN_S 0.1
#define WATCH_MAX_S 3600.0

struct stats_opts {
	const char *target;
	double watch; /* seconds between frames, 0: once */
	long count;   /* frames under --watch, 0: until interrupted */
	bool reset;
	bool prometheus;
	bool human; /* -H: 1.19k rather than 1190 */
	bool all;   /* --watch: idle rows too */
	/* monitor --packets: drop samples (packets.c). */
	bool packets;
	long rate;
	const char *wfile;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

void fw_stats_free(struct fw_stats_snap *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s->enf);
	free(s);
}

static const char *container_of(const struct fw_view *v, int ifindex)
{
	for (int i = 0; i < v->n; i++)
		if (v->links[i].ifindex == ifindex)
			return v->names[i];
	return "";
}

/* Interface index order, then direction, then protocol. */
static int by_iface(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int add_row(struct fw_stats_snap *s, int *cap, const struct srow *r)
{
	if (s->n == *cap) {
		int ncap = *cap ? *cap * 2 : 64;
		struct srow *p = realloc(s->rows, ncap * sizeof(*p));

		if (!p)
			return fw_fail(-ENOMEM, "out of memory");
		s->rows = p;
		*cap = ncap;
	}
	s->rows[s->n++] = *r;
	return 0;
}

static int enforcement(struct fw_state *st, const struct fw_view *v, struct fw_stats_snap *s)
{
	struct fw_policy *pol = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*pol));
	struct fw_status_row *rows = NULL;
	bool broken;
	int n, err;

	err = pol ? fw_state_read_policies(st, pol) : fw_fail(-ENOMEM, "out of memory");
	n = err ? err : fw_status_rows(st, v, pol, &rows, &broken);
	if (n > 0) {
		s->enf = calloc(n * FW_DIRS, sizeof(*s->enf));
		if (!s->enf)
			n = fw_fail(-ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++)
		for (int d = 0; d < FW_DIRS; d++) {
			struct erow *e = &s->enf[s->nenf++];

			snprintf(e->ifname, sizeof(e->ifname), "%s", rows[i].ifname);
			e->dir = d;
			e->enforced = rows[i].e[d].state != FW_NOT_ENFORCED;
		}
	free(rows);
	free(pol);
	return n < 0 ? n : 0;
}

/* Reads the counters of the current namespace (and with enforce, what the
 * kernel enforces); with reset, zeroes them after reading. */
static int snapshot(const char *target, bool reset, bool enforce, struct fw_stats_snap **out)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	struct fw_counter *sum = calloc(FW_IDX_SUMS, sizeof(*sum));
	struct fw_stats_snap *s = calloc(1, sizeof(*s));
	struct fw_view v = {};
	int err, cap = 0;

	if (!st || !sum || !s) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* UPDATE: counters to zero where there are some, no state made for it. */
	err = fw_state_open(st, reset ? FW_OPEN_UPDATE : FW_OPEN_READ);
	if (!err)
		err = fw_view_open(&v, st, target);
	if (err)
		goto out;
	snprintf(s->netns, sizeof(s->netns), "%s", st->ns.name);
	for (__u32 slot = 0; st->exists && slot < FW_MAX_IFACES && !err; slot++) {
		const struct fw_iface *ifc = &st->ifaces[slot];

		if (!ifc->ifindex || !fw_view_selects(&v, ifc->ifindex))
			continue;
		for (__u32 d = 0; d < FW_DIRS && !err; d++) {
			err = fw_state_read_counters(st, slot, d, sum);
			for (__u32 i = 0; i < FW_IDX_SUMS && !err; i++) {
				struct srow r = { .ifindex = ifc->ifindex, .idx = i, .dir = d };

				if (!sum[i].packets[FW_PASS] && !sum[i].packets[FW_DROP])
					continue;
				snprintf(r.ifname, sizeof(r.ifname), "%s", ifc->name);
				snprintf(r.container, sizeof(r.container), "%s",
					 container_of(&v, ifc->ifindex));
				memcpy(r.packets, sum[i].packets, sizeof(r.packets));
				memcpy(r.bytes, sum[i].bytes, sizeof(r.bytes));
				err = add_row(s, &cap, &r);
			}
		}
		if (!err && reset)
			err = fw_state_reset_counters(st, slot);
	}
	if (!err)
		qsort(s->rows, s->n, sizeof(*s->rows), by_iface);
	if (!err && st->exists && enforce)
		err = enforcement(st, &v, s);
	s->mono = fw_mono_s();
	clock_gettime(CLOCK_REALTIME, &s->real);
out:
	fw_view_close(&v);
	fw_state_close(st);
	free(sum);
	free(st);
	if (err)
		fw_stats_free(s);
	else
		*out = s;
	return err;
}

int fw_stats_take(const char *target, struct fw_stats_snap **out)
{
	return snapshot(target, false, true, out);
}

/* Rates of s against prev, over the time measured between the two reads. A
 * row new since prev counts from zero; a counter that went backwards (reset
 * meanwhile) too. */
static void rates(struct fw_stats_snap *s, const struct fw_stats_snap *prev)
{
	double secs = s->mono - prev->mono;

	for (int i = 0; i < s->n && secs > 0; i++) {
		struct srow *r = &s->rows[i];
		const struct srow *p = NULL;

		for (int j = 0; j < prev->n && !p; j++)
			if (prev->rows[j].ifindex == r->ifindex && prev->rows[j].idx == r->idx &&
			    prev->rows[j].dir == r->dir)
				p = &prev->rows[j];
		for (int v = 0; v < FW_VERDICTS; v++) {
			__u64 pk = p && p->packets[v] <= r->packets[v] ? p->packets[v] : 0;
			__u64 by = p && p->bytes[v] <= r->bytes[v] ? p->bytes[v] : 0;

			r->pps[v] = (r->packets[v] - pk) / secs;
			r->bps[v] = (r->bytes[v] - by) / secs;
		}
	}
}

/* Watching: the busiest drops first, then the most dropped in all, then
 * interface order. */
static int by_drops(const void *a, const void *b)
{
	const struct srow *x = a, *y = b;

	if (x->pps[FW_DROP] != y->pps[FW_DROP])
		return x->pps[FW_DROP] < y->pps[FW_DROP] ? 1 : -1;
	if (x->packets[FW_DROP] != y->packets[FW_DROP])
		return x->packets[FW_DROP] < y->packets[FW_DROP] ? 1 : -1;
	return by_iface(a, b);
}

/* --- the live view ----------------------------------------------------------- */

static struct termios saved_tio;
static bool tio_saved;

static void term_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = false;
	}
	/* cursor back, main screen back */
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
}

/* Full screen, no echo, keys one by one (q quits); undone on every way out
 * that returns (signals only set stop). */
static void term_setup(void)
{
	struct termios t;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio)) {
		t = saved_tio;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
			tio_saved = true;
	}
	fputs("\033[?1049h\033[?25l\033[H\033[2J", stdout);
	fflush(stdout);
}

/* Waits until deadline (monotonic); true when the user pressed q. */
static bool wait_until(double deadline, bool keys)
{
	for (double now = fw_mono_s(); !stop && now < deadline; now = fw_mono_s()) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int ms = (deadline - now) * 1000 + 1;

		if (!keys) {
			struct timespec ts = {
				.tv_sec = (time_t)(deadline - now),
				.tv_nsec = ((deadline - now) - (time_t)(deadline - now)) * 1e9
			};

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&p, 1, ms) > 0 && (p.revents & POLLIN)) {
			char c;

			if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
				return true;
			if (p.revents & (POLLHUP | POLLERR))
				keys = false;
		}
	}
	return false;
}

static void draw_screen(const struct fw_stats_snap *s, const struct stats_opts *o)
{
	struct winsize ws = {};
	int rows = 24, cols = 80;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		rows = ws.ws_row;
		cols = ws.ws_col;
	}
	/* Home, then each line erased to its end, then the rest of the screen:
	 * no flicker and nothing scrolls. Lines: header, titles, rows, the
	 * "not shown" line and the key help; the last screen line stays empty
	 * so the cursor never pushes the screen up. */
	fputs("\033[H", stdout);
	fw_stats_print_rates(s, o->watch, o->all, o->human, rows > 6 ? rows - 5 : 1, cols - 1,
			     "\033[K\r\n");
	printf("%.*s\033[K\033[J", cols - 1, "q quits");
	fflush(stdout);
}

static int watch(struct stats_opts *o)
{
	bool tty = isatty(STDOUT_FILENO) && !fw_opts.json;
	bool keys = tty && isatty(STDIN_FILENO);
	struct fw_stats_snap *prev = NULL, *s = NULL;
	char when[48];
	double next;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	err = snapshot(o->target, false, false, &prev);
	if (err)
		return err;
	if (tty) {
		term_setup();
		printf("fwctl stats  netns %s  every %g s: measuring...\033[K\r\n", prev->netns,
		       o->watch);
		fflush(stdout);
	}
	next = prev->mono + o->watch;
	for (long i = 0; !stop && (!o->count || i < o->count); i++) {
		if (wait_until(next, keys) || stop)
			break;
		next += o->watch;
		err = snapshot(o->target, false, false, &s);
		if (err)
			break;
		rates(s, prev);
		if (fw_opts.json) {
			json_t *doc =
				json_pack("{s:s, s:f, s:f}", "time",
					  fw_iso8601(&s->real, true, when, sizeof(when)),
					  "interval", o->watch, "elapsed", s->mono - prev->mono);
			json_t *rows = fw_stats_json(s, true);

			json_object_update(doc, rows);
			json_decref(rows);
			fw_json_print(doc);
			json_decref(doc);
		} else if (tty) {
			qsort(s->rows, s->n, sizeof(*s->rows), by_drops);
			draw_screen(s, o);
		} else {
			qsort(s->rows, s->n, sizeof(*s->rows), by_drops);
			fw_stats_print_rates(s, o->watch, o->all, o->human, 0, 0, "\n");
			putchar('\n');
			fflush(stdout);
		}
		fw_stats_free(prev);
		prev = s;
		s = NULL;
		/* Late (a slow read, a stopped process): start afresh rather
		 * than drawing frames back to back. */
		if (next < fw_mono_s())
			next = fw_mono_s() + o->watch;
	}
	if (tty)
		term_restore();
	fw_stats_free(prev);
	return err;
}

/* --- Prometheus --------------------------------------------------------------- */

int fw_stats_prometheus(FILE *f, const char *target)
{
	struct fw_stats_snap *s = NULL;
	int err = fw_stats_take(target, &s);

	if (!err)
		err = fw_stats_prometheus_write(f, &s, 1);
	fw_stats_free(s);
	return err;
}

/* --- commands ----------------------------------------------------------------- */

#define STATS(field) offsetof(struct stats_opts, field)
#define OPT_COUNT                                                                                  \
	FW_RANGE(FW_OPT_COUNT, "count", 'c', "N", "this many frames, else until interrupted",      \
		 STATS(count), 1, 1e9)
#define OPT_HUMAN  FW_FLAG("human", 'H', "counts in human units (1.19k, 2.35 kB)", STATS(human))
#define OPT_TARGET FW_POSITIONAL("TARGET", STATS(target), 0)

static const struct fw_opt stats_opts[] = {
	FW_RANGE(FW_OPT_SECS, "watch", 'w', "SECONDS", "rates every SECONDS (fractions allowed)",
		 STATS(watch), WATCH_MIN_S, WATCH_MAX_S),
	OPT_COUNT,
	FW_FLAG("all", 'a', "--watch: rows that moved nothing too", STATS(all)),
	FW_FLAG("reset", 'r', "print, then zero the counters", STATS(reset)),
	FW_FLAG("prometheus", 'p', "the Prometheus text format", STATS(prometheus)),
	OPT_HUMAN,
	OPT_TARGET,
	{},
};

static int stats_check(void *args, const struct fw_given *given)
{
	const struct stats_opts *o = args;

	if (fw_opt_given(given, "count") && !o->watch)
		return fw_usage("stats: --count goes with --watch");
	if (fw_opt_given(given, "all") && !o->watch)
		return fw_usage("stats: --all goes with --watch");
	if (o->watch && o->reset)
		return fw_usage("stats: --reset does not go with --watch");
	if (o->prometheus && (o->watch || o->reset || o->human || fw_opts.json))
		return fw_usage("stats: --prometheus goes alone (no --watch, --reset, -H or -j)");
	if (o->human && fw_opts.json)
		return fw_usage("stats: -H does not go with -j (JSON counts are exact)");
	return 0;
}

static int cmd_stats(const void *args)
{
	struct stats_opts o = *(const struct stats_opts *)args;
	struct fw_stats_snap *s = NULL;
	int err;

	if (o.prometheus)
		return fw_stats_prometheus(stdout, o.target);
	if (o.watch)
		return watch(&o);
	err = snapshot(o.target, o.reset, false, &s);
	if (err)
		return err;
	if (fw_opts.json) {
		json_t *doc = fw_stats_json(s, false);

		fw_json_print(doc);
		json_decref(doc);
	} else {
		fw_stats_print_totals(s, o.human);
	}
	fw_stats_free(s);
	return 0;
}

/* monitor: drops as they happen, one line per interface, direction and
 * protocol per interval at most (so a flood cannot flood the terminal).
 * Read from the counters: no per-packet cost in the data plane. */
static void print_drops(const struct fw_stats_snap *s, const struct fw_stats_snap *prev, bool human)
{
	char when[48], b[24], name[32], in[FW_NAME_TEXT_LEN], cn[FW_NAME_TEXT_LEN];

	fw_iso8601(&s->real, true, when, sizeof(when));
	for (int i = 0; i < s->n; i++) {
		const struct srow *r = &s->rows[i];
		__u64 pk = r->packets[FW_DROP], by = r->bytes[FW_DROP];

		for (int j = 0; j < prev->n; j++) {
			const struct srow *p = &prev->rows[j];

			if (p->ifindex == r->ifindex && p->idx == r->idx && p->dir == r->dir &&
			    p->packets[FW_DROP] <= pk) {
				pk -= p->packets[FW_DROP];
				by -= p->bytes[FW_DROP] <= by ? p->bytes[FW_DROP] : by;
				break;
			}
		}
		if (!pk)
			continue;
		fw_kind_name(r->idx, name, sizeof(name));
		if (fw_opts.json) {
			json_t *doc = json_pack(
				"{s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:I, s:I}", "time", when,
				"netns", fw_name_json(s->netns), "ifname", fw_name_json(r->ifname),
				"container",
				r->container[0] ? fw_name_json(r->container) : json_null(), "proto",
				name, "direction", fw_dir_label(r->dir, false),
				"container_direction",
				fw_dir_container_json(r->dir, r->container[0]), "dropped_packets",
				(json_int_t)pk, "dropped_bytes", (json_int_t)by);

			fw_json_print(doc);
			json_decref(doc);
			continue;
		}
		printf("%s %s%s%s%s %s %s dropped %llu packet%s (%s bytes)\n", when,
		       fw_name_escape(r->ifname, in, sizeof(in)), r->container[0] ? " (" : "",
		       fw_name_escape(r->container, cn, sizeof(cn)), r->container[0] ? ")" : "",
		       dir_label(r), name, (unsigned long long)pk, pk == 1 ? "" : "s",
		       fw_fmt_bytes(by, human, b, sizeof(b)));
	}
	fflush(stdout);
}

static int cmd_monitor(const void *args)
{
	struct stats_opts o = *(const struct stats_opts *)args;
	struct fw_stats_snap *prev = NULL, *s = NULL;
	double next;
	int err = 0;

	if (o.packets)
		return fw_monitor_packets(&(struct fw_packets_opts){
			.target = o.target, .count = o.count, .rate = o.rate, .wfile = o.wfile });

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* The first snapshot is the baseline: only new drops are shown. */
	err = snapshot(o.target, false, false, &prev);
	next = prev ? prev->mono + o.watch : 0;
	for (long i = 0; !err && !stop && (!o.count || i < o.count); i++) {
		if (wait_until(next, false) || stop)
			break;
		next += o.watch;
		err = snapshot(o.target, false, false, &s);
		if (err)
			break;
		print_drops(s, prev, o.human);
		fw_stats_free(prev);
		prev = s;
		if (next < fw_mono_s())
			next = fw_mono_s() + o.watch;
	}
	fw_stats_free(prev);
	return err;
}

const struct fw_cmd fw_cmd_stats = {
	.name = "stats",
	.run = cmd_stats,
	.size = sizeof(struct stats_opts),
	.opts = stats_opts,
	.check = stats_check,
	.synopsis = "[TARGET] [--watch SECONDS [--count N] [--all]] [--reset] [--prometheus] "
		    "[--human]",
	.what = "passed and dropped packets and bytes",
	.flags = FW_CMD_ROOT,
};

/* Samples a second per CPU: the default keeps a flood's cost and output
 * small; the ceiling, what the ring can carry before it loses some. */
#define RATE_DEFAULT 100
#define RATE_MAX     100000

static const struct fw_opt monitor_opts[] = {
	FW_RANGE(FW_OPT_SECS, "interval", 'i', "SECONDS", "look every SECONDS (default 1)",
		 STATS(watch), WATCH_MIN_S, WATCH_MAX_S),
	FW_RANGE(FW_OPT_COUNT, "count", 'c', "N",
		 "this many looks (with --packets: samples), else until interrupted", STATS(count),
		 1, 1e9),
	OPT_HUMAN,
	FW_FLAG("packets", 'p', "each dropped packet, sampled in the kernel", STATS(packets)),
	FW_RANGE(FW_OPT_COUNT, "rate", 'r', "N",
		 "--packets: at most N samples a second per CPU (default 100)", STATS(rate), 1,
		 RATE_MAX),
	FW_STRING("write", 'w', "FILE", "--packets: write the samples as pcap to FILE (- stdout)",
		  STATS(wfile)),
	OPT_TARGET,
	{},
};

static void monitor_init(void *args)
{
	((struct stats_opts *)args)->watch = 1;
	((struct stats_opts *)args)->rate = RATE_DEFAULT;
}

/* The options of one mode only: counters (--interval, --human) or samples
 * (--packets with --rate, --write). */
static int monitor_check(void *args, const struct fw_given *given)
{
	const struct stats_opts *o = args;
	bool interval = fw_opt_given(given, "interval"), rate = fw_opt_given(given, "rate");

	if (!o->packets && (rate || o->wfile))
		return fw_usage("monitor: --rate and --write go with --packets");
	if (o->packets && (interval || o->human))
		return fw_usage("monitor: --interval and --human do not go with --packets");
	if (o->human && fw_opts.json)
		return fw_usage("monitor: -H does not go with -j (JSON counts are exact)");
	if (o->wfile && !o->wfile[0])
		return fw_usage("monitor: --write needs a file name (- for stdout)");
	if (o->wfile && !strcmp(o->wfile, "-") && fw_opts.json)
		return fw_usage("monitor: -j and --write - would both write to stdout");
	return 0;
}

const struct fw_cmd fw_cmd_monitor = {
	.name = "monitor",
	.run = cmd_monitor,
	.size = sizeof(struct stats_opts),
	.opts = monitor_opts,
	.init = monitor_init,
	.check = monitor_check,
	.synopsis = "[TARGET] [--interval SECONDS] [--count N] [--human]\n"
		    "[TARGET] --packets [--rate N] [--count N] [--write FILE]",
	.what = "show drops as they happen: per interval from the counters, or each dropped "
		"packet (--packets)",
	.flags = FW_CMD_ROOT,
};
