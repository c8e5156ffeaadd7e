// SPDX-License-Identifier: GPL-2.0
/* cmd_watch.c - stay in the foreground and keep the rules applied as links
 * come and go: one rtnetlink subscription per namespace, no polling loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <linux/rtnetlink.h>
#include "fwctl.h"

#define WATCH_MAX_NETNS 64

struct watched {
	const char *spec; /* as given, for messages */
	int nsfd;
	struct nl_sock *sk;
};

static int count_msg(struct nl_msg *msg, void *arg)
{
	(*(int *)arg)++;
	return NL_OK;
}

/* A link socket opened inside the namespace stays bound to it. */
static int subscribe_here(void *arg)
{
	struct watched *w = arg;
	int err;

	w->sk = nl_socket_alloc();
	err = w->sk ? nl_connect(w->sk, NETLINK_ROUTE) : -NLE_NOMEM;
	if (!err)
		err = nl_socket_add_membership(w->sk, RTNLGRP_LINK);
	if (err)
		return fw_fail(-EIO, "cannot subscribe to link events in '%s': %s", w->spec,
			       nl_geterror(err));
	nl_socket_disable_seq_check(w->sk);
	nl_socket_set_nonblocking(w->sk);
	/* A big buffer makes overruns rare; they are handled anyway. */
	nl_socket_set_buffer_size(w->sk, 4 << 20, 0);
	return 0;
}

/* Re-derives what every interface of the namespace enforces. Only where
 * fwctl has state: watching creates none. */
static int resync_here(void *arg)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	int err;

	(void)arg;
	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_UPDATE);
	if (!err && st->exists)
		err = fw_apply(st, NULL);
	if (!err && st->exists)
		err = fw_state_mark(st, false);
	if (!err && st->exists)
		err = fw_programs_ready(st);
	fw_state_close(st);
	free(st);
	return err;
}

static int resync(struct watched *w)
{
	return fw_netns_run(w->nsfd, resync_here, NULL);
}

static int prometheus_here(void *f)
{
	return fw_stats_prometheus(f, NULL);
}

/* Writes every watched namespace's counters to path, atomically: readers
 * (node_exporter's textfile collector) see the old file or the new one. */
static int write_metrics(struct watched *w, int nw, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	f = fopen(tmp, "w");
	if (!f)
		return fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	for (int i = 0; i < nw && !err; i++)
		err = fw_netns_run(w[i].nsfd, prometheus_here, f);
	if ((fflush(f) || fsync(fileno(f))) && !err)
		err = fw_fail(-errno, "cannot write '%s': %s", tmp, strerror(errno));
	fclose(f);
	if (!err && rename(tmp, path))
		err = fw_fail(-errno, "cannot rename to '%s': %s", path, strerror(errno));
	if (err)
		unlink(tmp);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Reads everything pending; any link event means "look again". */
static bool drain(struct watched *w)
{
	int n = 0, err;

	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, count_msg, &n);
	do
		err = nl_recvmsgs_default(w->sk);
	while (err >= 0 && n < 100000);
	if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW || err == -NLE_BUSY) {
		fw_info("%s: link events lost (overrun), resynchronising", w->spec);
		return true;
	}
	return n > 0 || (err < 0 && err != -NLE_AGAIN);
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
	if (!nw)
		w[nw++].spec = fw_opts.netns ? fw_opts.netns : "(current)";

	for (int i = 0; i < nw && !err; i++) {
		err = fw_netns_open(strcmp(w[i].spec, "(current)") ? w[i].spec : NULL);
		if (err < 0)
			break;
		w[i].nsfd = err;
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

	/* Subscribed first, then synced: nothing falls between the two. */
	for (int i = 0; i < nw; i++) {
		err = resync(&w[i]);
		if (err)
			return err;
		fw_info("watching %s", w[i].spec);
	}
	for (int i = 0; i < nw; i++)
		pfd[i] = (struct pollfd){ .fd = nl_socket_get_fd(w[i].sk), .events = POLLIN };
	pfd[nw] = (struct pollfd){ .fd = sfd, .events = POLLIN };

	for (double next = 0;;) {
		int timeout = -1;

		if (metrics) {
			double now = now_s();

			if (now >= next) {
				err = write_metrics(w, nw, metrics);
				if (err) {
					fprintf(stderr, "fwctl: %s\n", fw_err());
					fw_err_clear();
				}
				next = now + interval;
			}
			timeout = (next - now_s()) * 1000 + 1;
		}
		if (poll(pfd, nw + 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return fw_fail(-errno, "poll: %s", strerror(errno));
		}
		if (pfd[nw].revents)
			break; /* SIGINT/SIGTERM: rules stay enforced */
		for (int i = 0; i < nw; i++) {
			if (!pfd[i].revents || !drain(&w[i]))
				continue;
			err = resync(&w[i]);
			if (err) {
				/* Keep watching: the next event may well succeed. */
				fprintf(stderr, "fwctl: %s\n", fw_err());
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
