// SPDX-License-Identifier: GPL-2.0
/* cmd_watch.c - stay in the foreground and keep the rules applied as links
 * come and go, and as other tools change the hooks: one rtnetlink
 * subscription per namespace (links, qdiscs, filters). What no event
 * announces (a map entry written by another tool, a killed drop-sample
 * listener) is found by a full check every --recheck seconds. An interface
 * that cannot be covered is retried with a growing delay, so a watcher
 * never spins on it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
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
#include "metrics_http.h"
#include "opts.h"

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
	int events;	   /* since the last resync */
	double recheck_at; /* the next full check with no event */
	long recheck;	   /* seconds between them */
};

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
		e = fw_samples_reap(st);
		if (e > 0)
			fw_log(FW_LOG_WARNING,
			       "watch: drop samples: monitor --packets (pid %d) is gone; its flag "
			       "is "
			       "cleared",
			       e);
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
	double now = fw_mono_s();
	int err;

	for (int i = 0; i < w->nfail; i++)
		if (w->fail[i].retry > now)
			skip[sc.nskip++] = w->fail[i].ifindex;
	w->events = 0;
	w->recheck_at = now + w->recheck;
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

/* Every watched namespace's counters as one exposition: what the metrics
 * file holds and what GET /metrics answers. */
struct exposed {
	struct watched *w;
	int nw;
};

static int expose(FILE *f, void *arg)
{
	struct fw_stats_snap *snaps[WATCH_MAX_NETNS] = {};
	struct exposed *e = arg;
	int err = 0;

	for (int i = 0; i < e->nw && !err; i++)
		err = fw_netns_run(e->w[i].nsfd, snap_here, &snaps[i]);
	if (!err)
		err = fw_stats_prometheus_write(f, snaps, e->nw);
	for (int i = 0; i < e->nw; i++)
		fw_stats_free(snaps[i]);
	return err;
}

/* Writes the exposition to path atomically: readers (node_exporter's
 * textfile collector) see the old file or the new one. The temporary file is
 * made by mkstemp (O_CREAT|O_EXCL) in the target's directory, so nothing
 * planted there (a symlink in a world-writable directory) is followed or
 * reused; it is synced before the rename. */
static int write_metrics(struct exposed *e, const char *path)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	FILE *f = NULL;
	int err = 0, fd;

	/* ".fwctl.prom.XXXXXX": node_exporter reads *.prom only. */
	snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		 slash ? slash + 1 : path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fw_fail(-errno, "cannot write metrics next to '%s': %s", path,
			       strerror(errno));
	/* Readable by a scraper running as another user, as before. */
	if (fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return err;
	}
	err = expose(f, e);
	if ((fflush(f) || fsync(fileno(f))) && !err)
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	else if (err && !fw_err()[0])
		err = fw_fail(err, "cannot write '%s': %s", tmp, strerror(-err));
	if (fclose(f) && !err)
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	if (!err && rename(tmp, path))
		err = fw_fail(-errno, "cannot rename to '%s': %s", path, strerror(errno));
	if (err)
		unlink(tmp);
	return err;
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

struct watch_args {
	struct fw_strs netns; /* --netns: watched too */
	const char *metrics;
	long interval;
	const char *listen; /* --metrics-listen */
	long recheck;
};

static int cmd_watch(const void *args)
{
	const struct watch_args *a = args;
	struct watched w[WATCH_MAX_NETNS] = {};
	const char *metrics = a->metrics, *listen_on = a->listen;
	long interval = a->interval;
	struct fw_http *http = NULL;
	struct exposed exposed;
	struct pollfd pfd[WATCH_MAX_NETNS + 2];
	int nw = 0, err = 0, sfd;
	sigset_t sigs;

	for (int i = 0; i < a->netns.n; i++)
		w[nw++].spec = a->netns.v[i];
	/* --netns adds to the namespace -n selected (or the caller's): it is
	 * watched first, the others after it. */
	if (nw == WATCH_MAX_NETNS)
		return fw_usage("watch: at most %d namespaces", WATCH_MAX_NETNS - 1);
	memmove(&w[1], &w[0], nw * sizeof(*w));
	w[0] = (struct watched){ .spec = fw_opts.netns ? fw_opts.netns : "(current)" };
	nw++;
	for (int i = 0; i < nw; i++)
		w[i].recheck = a->recheck;
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
	exposed = (struct exposed){ .w = w, .nw = nw };
	/* Listening starts once every namespace is synced, so the first
	 * scrape sees the rules applied. */
	if (listen_on) {
		err = fw_http_start(listen_on, expose, &exposed, &http);
		if (err)
			goto out;
		fw_note("watch: serving /metrics on %s", listen_on);
		pfd[nw + 1] = (struct pollfd){ .fd = fw_http_fd(http), .events = POLLIN };
	}

	for (double next = 0;;) {
		double wake = 0, now = fw_mono_s();
		int timeout = -1;

		if (metrics) {
			if (now >= next) {
				err = write_metrics(&exposed, metrics);
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
			if (!wake || w[i].recheck_at < wake)
				wake = w[i].recheck_at;
		}
		if (wake)
			timeout = wake > now ? (wake - now) * 1000 + 1 : 0;
		if (http) {
			int t = fw_http_timeout_ms(http);

			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (poll(pfd, nw + 1 + !!http, timeout) < 0) {
			if (errno == EINTR)
				continue;
			err = fw_fail(-errno, "poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[nw].revents)
			break; /* SIGINT/SIGTERM: rules stay enforced */
		if (http)
			fw_http_serve(http); /* also ends idle connections */
		now = fw_mono_s();
		for (int i = 0; i < nw; i++) {
			double due = next_retry(&w[i]);
			bool news = pfd[i].revents && drain(&w[i]);

			/* A namespace in backoff waits for its time, news or not. */
			if (w[i].retry > now ||
			    (!news && !(due && due <= now) && w[i].recheck_at > now))
				continue;
			err = resync(&w[i]);
			if (err) {
				/* Keep watching: the next event may well succeed. */
				fw_log(FW_LOG_ERR, "watch %s: %s", w[i].spec, fw_err());
				fw_err_clear();
			}
		}
	}
	err = 0;
out:
	fw_http_stop(http);
	for (int i = 0; i < nw; i++) {
		nl_socket_free(w[i].sk);
		close(w[i].nsfd);
	}
	close(sfd);
	return err;
}

/* Option values, checked with the others before anything is done. */
static int watch_check(void *args, const struct fw_given *given)
{
	const struct watch_args *a = args;
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;

	if (a->metrics && (!a->metrics[0] || strlen(a->metrics) >= PATH_MAX - 32))
		return fw_usage("watch: bad --metrics-file '%s'", a->metrics);
	/* It paces the file only: without one it would be ignored. */
	if (fw_opt_given(given, "metrics-interval") && !a->metrics)
		return fw_usage("watch: --metrics-interval goes with --metrics-file");
	return a->listen ? fw_http_addr_parse(a->listen, &ss, &len, &loopback) : 0;
}

static void watch_init(void *args)
{
	((struct watch_args *)args)->interval = 15;
	((struct watch_args *)args)->recheck = 30;
}

static const struct fw_opt watch_opts[] = {
	FW_STRINGS("netns", 0, "NETNS", "watch this namespace too (repeatable)",
		   offsetof(struct watch_args, netns), WATCH_MAX_NETNS - 1),
	FW_STRING("metrics-file", 'm', "FILE", "write the --prometheus metrics to FILE",
		  offsetof(struct watch_args, metrics)),
	FW_RANGE(FW_OPT_COUNT, "metrics-interval", 'i', "SECONDS", "every SECONDS (default 15)",
		 offsetof(struct watch_args, interval), 1, 86400),
	FW_STRING("metrics-listen", 0, "ADDRESS:PORT",
		  "serve the metrics on GET /metrics (e.g. 127.0.0.1:9469)",
		  offsetof(struct watch_args, listen)),
	FW_RANGE(FW_OPT_COUNT, "recheck", 0, "SECONDS",
		 "check everything against the kernel every SECONDS, events or not (default 30)",
		 offsetof(struct watch_args, recheck), 1, 86400),
	{},
};

const struct fw_cmd fw_cmd_watch = {
	.name = "watch",
	.run = cmd_watch,
	.size = sizeof(struct watch_args),
	.opts = watch_opts,
	.init = watch_init,
	.check = watch_check,
	.synopsis = "[--netns NETNS]... [--metrics-file FILE [--metrics-interval SECONDS]] "
		    "[--metrics-listen ADDRESS:PORT] [--recheck SECONDS]",
	.what = "stay in the foreground and keep rules applied as links come and go",
	.flags = FW_CMD_ROOT | FW_CMD_NO_JSON,
};
