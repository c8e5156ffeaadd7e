// SPDX-License-Identifier: GPL-2.0
/* cmd_watch.c - stay in the foreground and keep the rules applied as links
 * come and go, and as other tools change the hooks: one rtnetlink
 * subscription per namespace (links, qdiscs, filters), no polling loop. An
 * interface that cannot be covered is retried with a growing delay, so a
 * watcher never spins on it. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <net/if.h>
#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include "fwctl.h"

#define WATCH_MAX_NETNS 64
/* Interfaces per namespace whose failures are remembered for backoff. */
#define WATCH_MAX_FAILING 64
#define BACKOFF_MIN	  1.0
#define BACKOFF_MAX	  60.0

struct failing {
	int ifindex;
	double delay; /* seconds, doubling from BACKOFF_MIN to BACKOFF_MAX */
	double retry; /* monotonic time of the next attempt */
};

struct watched {
	const char *spec; /* as given, for messages */
	int nsfd;
	struct nl_sock *sk;
	struct failing fail[WATCH_MAX_FAILING];
	int nfail;
	double retry; /* a failed resync of the whole namespace: when to retry */
	double delay;
	int events; /* since the last resync */
};

static double now_s(void);

static const char *ifname_of(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "index %d", ifindex);
	return buf;
}

/* A link that changed is worth an attempt at once, whatever its backoff. */
static void forgive(struct watched *w, int ifindex)
{
	for (int i = 0; i < w->nfail; i++)
		if (w->fail[i].ifindex == ifindex)
			w->fail[i].retry = 0;
}

/* One log line per event: what changed, where. */
static int log_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nh = nlmsg_hdr(msg);
	struct watched *w = arg;
	char name[IF_NAMESIZE + 16];
	const char *what = NULL;
	int ifindex = 0;

	w->events++;
	switch (nh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ifindex = ((struct ifinfomsg *)NLMSG_DATA(nh))->ifi_index;
		what = nh->nlmsg_type == RTM_NEWLINK ? "link changed" : "link removed";
		forgive(w, ifindex);
		break;
	case RTM_NEWQDISC:
	case RTM_DELQDISC:
		ifindex = ((struct tcmsg *)NLMSG_DATA(nh))->tcm_ifindex;
		what = nh->nlmsg_type == RTM_NEWQDISC ? "qdisc added" : "qdisc removed";
		break;
	case RTM_NEWTFILTER:
	case RTM_DELTFILTER:
		ifindex = ((struct tcmsg *)NLMSG_DATA(nh))->tcm_ifindex;
		what = nh->nlmsg_type == RTM_NEWTFILTER ? "tc filter added" : "tc filter removed";
		break;
	}
	/* A removed link has no name to look up any more: its message has it. */
	if (what && nh->nlmsg_type == RTM_DELLINK) {
		struct nlattr *a = nlmsg_find_attr(nh, sizeof(struct ifinfomsg), IFLA_IFNAME);

		if (a)
			fw_note("watch %s: %s: %.*s (index %d)", w->spec, what, nla_len(a),
				(const char *)nla_data(a), ifindex);
		else
			fw_note("watch %s: %s: index %d", w->spec, what, ifindex);
	} else if (what)
		fw_note("watch %s: %s: %s", w->spec, what, ifname_of(ifindex, name));
	return NL_OK;
}

/* A link socket opened inside the namespace stays bound to it. */
static int subscribe_here(void *arg)
{
	struct watched *w = arg;
	int err;

	w->sk = nl_socket_alloc();
	err = w->sk ? nl_connect(w->sk, NETLINK_ROUTE) : -NLE_NOMEM;
	/* Links come and go; qdiscs and filters are what other tools change
	 * under fwctl (a clsact deleted, a filter put ahead of ours). */
	if (!err)
		err = nl_socket_add_memberships(w->sk, RTNLGRP_LINK, RTNLGRP_TC, 0);
	if (err)
		return fw_fail(-EIO, "cannot subscribe to link and tc events in '%s': %s", w->spec,
			       nl_geterror(err));
	nl_socket_disable_seq_check(w->sk);
	nl_socket_set_nonblocking(w->sk);
	/* A big buffer makes overruns rare; they are handled anyway. */
	nl_socket_set_buffer_size(w->sk, 4 << 20, 0);
	return 0;
}

/* Re-derives what every interface of the namespace enforces and checks
 * each against the kernel, leaving alone those whose retry is not due. Only
 * where fwctl has state: watching creates none. */
static int resync_here(void *arg)
{
	struct fw_scope *scope = arg;
	struct fw_state *st = calloc(1, sizeof(*st));
	int err, e;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	/* Docker asked afresh each time (a container may have restarted),
	 * before the lock, within its time bound. */
	fw_containers_forget();
	err = fw_state_peek_rules(st->rules);
	if (err > 0)
		fw_containers_prefetch(st->rules, FW_MAX_RULES);
	fw_err_clear();
	err = fw_state_open(st, FW_OPEN_UPDATE);
	if (!err && st->exists) {
		bool partial;

		/* Done, failures included: watch undoes nothing, so no change is
		 * left half made (the next resync checks it all again). */
		err = fw_apply(st, NULL, scope, &partial);
		e = fw_state_mark(st, false);
		err = err ? err : e;
	}
	if (!err && st->exists)
		err = fw_programs_ready(st);
	fw_state_close(st);
	free(st);
	return err;
}

static bool in_list(const int *l, int n, int v)
{
	for (int i = 0; i < n; i++)
		if (l[i] == v)
			return true;
	return false;
}

/* Remembers the interfaces that failed this time, each with a delay that
 * doubles while it keeps failing; keeps those skipped (not yet due); forgets
 * those that were tried and succeeded. */
static void backoff(struct watched *w, const struct fw_scope *sc, double now)
{
	struct failing next[WATCH_MAX_FAILING];
	int n = 0;

	for (int i = 0; i < sc->nfailed && n < WATCH_MAX_FAILING; i++) {
		struct failing f = { .ifindex = sc->failed[i], .delay = BACKOFF_MIN };

		for (int j = 0; j < w->nfail; j++)
			if (w->fail[j].ifindex == f.ifindex)
				f.delay = w->fail[j].delay * 2 > BACKOFF_MAX ? BACKOFF_MAX
									     : w->fail[j].delay * 2;
		f.retry = now + f.delay;
		next[n++] = f;
	}
	for (int j = 0; j < w->nfail && n < WATCH_MAX_FAILING; j++)
		if (in_list(sc->skip, sc->nskip, w->fail[j].ifindex))
			next[n++] = w->fail[j];
	memcpy(w->fail, next, n * sizeof(*next));
	w->nfail = n;
}

static int resync(struct watched *w)
{
	int skip[WATCH_MAX_FAILING], failed[WATCH_MAX_FAILING];
	struct fw_scope sc = {
		.all = true, .skip = skip, .failed = failed, .maxfailed = WATCH_MAX_FAILING
	};
	double now = now_s();
	int err;

	for (int i = 0; i < w->nfail; i++)
		if (w->fail[i].retry > now)
			skip[sc.nskip++] = w->fail[i].ifindex;
	w->events = 0;
	err = fw_netns_run(w->nsfd, resync_here, &sc);
	backoff(w, &sc, now);
	for (int i = 0; i < sc.nfailed; i++) {
		char name[IF_NAMESIZE + 16];

		for (int j = 0; j < w->nfail; j++)
			if (w->fail[j].ifindex == failed[i])
				fw_log(FW_LOG_WARNING, "watch %s: %s: retrying in %.0f s", w->spec,
				       ifname_of(failed[i], name), w->fail[j].delay);
	}
	/* A failure of the whole namespace backs off too. */
	if (err && !sc.nfailed) {
		w->delay = w->delay ? (w->delay * 2 > BACKOFF_MAX ? BACKOFF_MAX : w->delay * 2)
				    : BACKOFF_MIN;
		w->retry = now + w->delay;
	} else {
		w->delay = w->retry = 0;
	}
	return err;
}

/* The next moment a backed-off attempt is due in w, or 0 for none. */
static double next_retry(const struct watched *w)
{
	double t = w->retry;

	for (int i = 0; i < w->nfail; i++)
		if (!t || w->fail[i].retry < t)
			t = w->fail[i].retry;
	return t;
}

/* w[i] is a namespace w[0..i-1] already holds. */
static bool same_netns(const struct watched *w, int i)
{
	struct stat a, b;

	if (fstat(w[i].nsfd, &a))
		return false;
	for (int j = 0; j < i; j++)
		if (!fstat(w[j].nsfd, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return true;
	return false;
}

static int snap_here(void *arg)
{
	return fw_stats_take(NULL, arg);
}

/* Writes every watched namespace's counters to path as one exposition,
 * atomically: readers (node_exporter's textfile collector) see the old file
 * or the new one. The temporary file is made by mkstemp (O_CREAT|O_EXCL) in
 * the target's directory, so nothing planted there (a symlink in a
 * world-writable directory) is followed or reused; it is synced before the
 * rename. */
static int write_metrics(struct watched *w, int nw, const char *path)
{
	struct fw_stats_snap *snaps[WATCH_MAX_NETNS] = {};
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *f = NULL;
	int err = 0, fd;

	for (int i = 0; i < nw && !err; i++)
		err = fw_netns_run(w[i].nsfd, snap_here, &snaps[i]);
	if (err)
		goto out;
	/* ".fwctl.prom.XXXXXX": node_exporter reads *.prom only. */
	snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		 slash ? slash + 1 : path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = fw_fail(-errno, "cannot write metrics next to '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	/* Readable by a scraper running as another user, as before. */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	err = fw_stats_prometheus_write(f, snaps, nw);
	if ((fflush(f) || fsync(fileno(f))) && !err)
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	else if (err)
		err = fw_fail(err, "cannot write '%s': %s", tmp, strerror(-err));
	if (fclose(f) && !err)
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	if (!err && rename(tmp, path))
		err = fw_fail(-errno, "cannot rename to '%s': %s", path, strerror(errno));
	if (err)
		unlink(tmp);
out:
	for (int i = 0; i < nw; i++)
		fw_stats_free(snaps[i]);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads everything pending, a log line per event; any event means "look
 * again". */
static bool drain(struct watched *w)
{
	int before = w->events, err;

	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, log_msg, w);
	do
		err = nl_recvmsgs_default(w->sk);
	while (err >= 0 && w->events - before < 100000);
	if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW || err == -NLE_BUSY) {
		fw_log(FW_LOG_WARNING, "watch %s: events lost (overrun), checking everything",
		       w->spec);
		return true;
	}
	return w->events > before || (err < 0 && err != -NLE_AGAIN);
}

int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = { { "netns", required_argument, NULL, 'n' },
						  { "metrics-file", required_argument, NULL, 'm' },
						  { "metrics-interval", required_argument, NULL,
						    'i' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct watched w[WATCH_MAX_NETNS] = {};
	const char *metrics = NULL;
	long interval = 15;
	char *end;
	struct pollfd pfd[WATCH_MAX_NETNS + 1];
	int nw = 0, c, err = 0, sfd;
	sigset_t sigs;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:m:i:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!optarg[0] || strlen(optarg) >= PATH_MAX - 32)
				return fw_usage("watch: bad --metrics-file '%s'", optarg);
			metrics = optarg;
			break;
		case 'i':
			interval = strtol(optarg, &end, 10);
			if (*end || interval < 1 || interval > 86400)
				return fw_usage(
					"watch: bad --metrics-interval '%s': seconds from 1 "
					"to 86400",
					optarg);
			break;
		case 'n':
			if (nw == WATCH_MAX_NETNS)
				return fw_usage("watch: at most %d namespaces", WATCH_MAX_NETNS);
			w[nw++].spec = optarg;
			break;
		case 'h':
			fw_usage_print(stdout, "watch");
			exit(FW_EXIT_OK);
		case ':':
			return fw_usage("watch: option '%s' needs a value", argv[optind - 1]);
		default:
			return fw_usage("watch: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fw_usage("watch: unexpected argument '%s'", argv[optind]);
	/* --netns adds to the namespace -n selected (or the caller's): it is
	 * watched first, the others after it. */
	if (nw == WATCH_MAX_NETNS)
		return fw_usage("watch: at most %d namespaces", WATCH_MAX_NETNS - 1);
	memmove(&w[1], &w[0], nw * sizeof(*w));
	w[0] = (struct watched){ .spec = fw_opts.netns ? fw_opts.netns : "(current)" };
	nw++;
	fw_opts.log = true;

	for (int i = 0; i < nw && !err; i++) {
		err = fw_netns_open(strcmp(w[i].spec, "(current)") ? w[i].spec : NULL);
		if (err < 0)
			break;
		w[i].nsfd = err;
		/* The same namespace named twice is watched once: its metrics
		 * would otherwise be written twice, which no scraper accepts. */
		if (same_netns(w, i)) {
			close(w[i].nsfd);
			memmove(&w[i], &w[i + 1], (nw - i - 1) * sizeof(*w));
			nw--;
			i--;
			continue;
		}
		err = fw_netns_run(w[i].nsfd, subscribe_here, &w[i]);
	}
	if (err < 0)
		return err;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		return fw_fail(-errno, "cannot set up signals: %s", strerror(errno));

	/* Subscribed first, then synced: nothing falls between the two. A
	 * namespace that fails now is retried like any other failure: a
	 * watcher that exits would leave new ports uncovered for good. */
	for (int i = 0; i < nw; i++) {
		fw_note("watch %s: started", w[i].spec);
		if (resync(&w[i])) {
			fw_log(FW_LOG_ERR, "watch %s: %s", w[i].spec, fw_err());
			fw_err_clear();
		}
	}
	for (int i = 0; i < nw; i++)
		pfd[i] = (struct pollfd){ .fd = nl_socket_get_fd(w[i].sk), .events = POLLIN };
	pfd[nw] = (struct pollfd){ .fd = sfd, .events = POLLIN };

	for (double next = 0;;) {
		double wake = 0, now = now_s();
		int timeout = -1;

		if (metrics) {
			if (now >= next) {
				err = write_metrics(w, nw, metrics);
				if (err) {
					fw_log(FW_LOG_ERR, "%s", fw_err());
					fw_err_clear();
				}
				next = now + interval;
			}
			wake = next;
		}
		for (int i = 0; i < nw; i++) {
			double t = next_retry(&w[i]);

			if (t && (!wake || t < wake))
				wake = t;
		}
		if (wake)
			timeout = wake > now ? (wake - now) * 1000 + 1 : 0;
		if (poll(pfd, nw + 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return fw_fail(-errno, "poll: %s", strerror(errno));
		}
		if (pfd[nw].revents)
			break; /* SIGINT/SIGTERM: rules stay enforced */
		now = now_s();
		for (int i = 0; i < nw; i++) {
			double due = next_retry(&w[i]);
			bool news = pfd[i].revents && drain(&w[i]);

			/* A namespace in backoff waits for its time, news or not. */
			if (w[i].retry > now || (!news && !(due && due <= now)))
				continue;
			err = resync(&w[i]);
			if (err) {
				/* Keep watching: the next event may well succeed. */
				fw_log(FW_LOG_ERR, "watch %s: %s", w[i].spec, fw_err());
				fw_err_clear();
			}
		}
	}
	for (int i = 0; i < nw; i++) {
		nl_socket_free(w[i].sk);
		close(w[i].nsfd);
	}
	close(sfd);
	return 0;
}
