// SPDX-License-Identifier: GPL-2.0
/*
 * packets.c - `fwctl monitor --packets`: dropped packets as they happen,
 * from the programs' drop samples (xdp/fw_sample.h). One listener per
 * namespace: it sets the programs' flag, its rate and its interfaces,
 * reads the ring, prints a line (or a JSON object, or a pcap record) per
 * sample, and clears the flag when it ends, saying how many drops it left
 * out. A listener killed outright leaves the flag set; the next one takes
 * it over, or watch clears it (fw_samples_reap): the flag records the
 * listener's pid and start time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fwctl.h"

/* How often the interfaces, their names and containers are read again, so
 * a container restarted meanwhile is followed. */
#define REFRESH_S 2.0

struct iface_name {
	int ifindex;
	char ifname[FW_IFNAME_LEN];
	char container[FW_TARGET_LEN];
};

struct listener {
	const struct fw_packets_opts *o;
	char netns[256];
	int ctl_fd, ring_fd, rate_fd, if_fd, ncpus;
	__u64 start_ns; /* CLOCK_MONOTONIC: older samples are a previous listener's */
	struct iface_name *names;
	int nnames;
	FILE *pcap;
	bool text; /* lines on stdout (not under -j, nor with pcap there) */
	long shown;
	__u64 unshown; /* sampled, but past --count (or not the target's) */
	bool done;     /* --count reached, or stdout gone */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* Field 22 of /proc/PID/stat, the start time: with the pid, it names one
 * process (a pid alone can be reused). 0 when the process is gone. */
static __u64 proc_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &v) != 1)
		return 0;
	return v;
}

static int ctl_read(const struct listener *l, struct fw_sample_ctl *c)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(l->ctl_fd, &zero, c))
		return fw_fail(-errno, "cannot read the sample flag: %s", strerror(errno));
	return 0;
}

static int ctl_write(const struct listener *l, const struct fw_sample_ctl *c)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(l->ctl_fd, &zero, c, BPF_ANY))
		return fw_fail(-errno, "cannot write the sample flag: %s", strerror(errno));
	return 0;
}

/* What the rate left out, summed over CPUs; with reset, zeroed after. */
static int rate_counts(const struct listener *l, __u64 *missed, __u64 *lost, bool reset)
{
	struct fw_sample_rate *r = calloc(l->ncpus, sizeof(*r));
	__u32 zero = 0;
	int err = 0;

	if (!r)
		return fw_fail(-ENOMEM, "out of memory");
	*missed = *lost = 0;
	if (bpf_map_lookup_elem(l->rate_fd, &zero, r)) {
		err = fw_fail(-errno, "cannot read the sample counts: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < l->ncpus; i++) {
		*missed += r[i].missed;
		*lost += r[i].lost;
	}
	memset(r, 0, l->ncpus * sizeof(*r));
	if (reset && bpf_map_update_elem(l->rate_fd, &zero, r, BPF_ANY))
		err = fw_fail(-errno, "cannot reset the sample counts: %s", strerror(errno));
out:
	free(r);
	return err;
}

/* The filter's entries for these interfaces go (those of a dead listener
 * for interfaces no longer covered can stay: no program runs there, and
 * on_sample shows only the target's). */
static void filter_clear(const struct listener *l, const struct fw_iface *ifaces, int n)
{
	for (int i = 0; i < n; i++) {
		__u32 key = ifaces[i].ifindex;

		if (key)
			bpf_map_delete_elem(l->if_fd, &key);
	}
}

static void filter_clear_ours(const struct listener *l)
{
	for (int i = 0; i < l->nnames; i++) {
		__u32 key = l->names[i].ifindex;

		bpf_map_delete_elem(l->if_fd, &key);
	}
}

/*
 * The covered interfaces the target selects, with their names and
 * containers. Read under the state's lock, which is not held in between.
 */
static int refresh(struct listener *l, struct fw_state *st)
{
	struct iface_name *names = calloc(FW_MAX_IFACES, sizeof(*names));
	struct fw_view v = {};
	int n = 0, err;

	err = names ? fw_view_open(&v, st, l->o->target) : fw_fail(-ENOMEM, "out of memory");
	for (__u32 slot = 0; !err && slot < FW_MAX_IFACES; slot++) {
		const struct fw_iface *ifc = &st->ifaces[slot];

		if (!ifc->ifindex || !fw_view_selects(&v, ifc->ifindex))
			continue;
		names[n].ifindex = ifc->ifindex;
		snprintf(names[n].ifname, sizeof(names[n].ifname), "%s", ifc->name);
		snprintf(names[n].container, sizeof(names[n].container), "%s",
			 fw_view_container(&v, ifc->ifindex));
		n++;
	}
	fw_view_close(&v);
	if (err) {
		free(names);
		return err;
	}
	free(l->names);
	l->names = names;
	l->nnames = n;
	return 0;
}

/* With a target, the programs sample only its interfaces: the kernel's
 * filter gets them (one that left the target stays until the end). */
static int filter_set(const struct listener *l)
{
	__u8 one = 1;

	for (int i = 0; l->o->target && i < l->nnames; i++) {
		__u32 key = l->names[i].ifindex;

		if (bpf_map_update_elem(l->if_fd, &key, &one, BPF_ANY))
			return fw_fail(-errno, "cannot set the sample filter: %s", strerror(errno));
	}
	return 0;
}

static int refresh_locked(struct listener *l)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_READ);
	if (!err && st->exists)
		err = refresh(l, st);
	if (!err)
		err = filter_set(l);
	fw_state_close(st);
	free(st);
	return err;
}

static const struct iface_name *name_of(const struct listener *l, int ifindex)
{
	for (int i = 0; i < l->nnames; i++)
		if (l->names[i].ifindex == ifindex)
			return &l->names[i];
	return NULL;
}

/* "10.0.0.1:53", "[fd00::1]:53", "10.0.0.1". */
static const char *endpoint(const struct fw_pkt *p, const char *addr, int port, char *buf,
			    size_t len)
{
	if (port < 0)
		snprintf(buf, len, "%s", addr);
	else if (p->family == 6)
		snprintf(buf, len, "[%s]:%d", addr, port);
	else
		snprintf(buf, len, "%s:%d", addr, port);
	return buf;
}

static json_t *int_or_null(int v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static void print_json(const struct listener *l, const char *when, const struct iface_name *in,
		       const struct fw_sample *s, const struct fw_pkt *p, const char *proto)
{
	bool cont = in && in->container[0];
	json_t *vlan = json_array();
	json_t *doc;

	for (int i = 0; i < p->nvlan; i++)
		json_array_append_new(vlan, json_integer(p->vlan[i]));
	doc = json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			"s:o, s:I, s:I}",
			"time", when, "netns", fw_name_json(l->netns), "ifname",
			in ? fw_name_json(in->ifname) : json_null(), "container",
			cont ? fw_name_json(in->container) : json_null(), "direction",
			fw_dir_label(s->dir, false), "container_direction",
			fw_dir_container_json(s->dir, cont), "proto", proto, "number",
			s->kind < 256 ? json_integer(s->kind) : json_null(), "src",
			p->family ? json_string(p->src) : json_null(), "dst",
			p->family ? json_string(p->dst) : json_null(), "sport",
			int_or_null(p->sport), "dport", int_or_null(p->dport), "icmp_type",
			int_or_null(p->icmp_type), "icmp_code", int_or_null(p->icmp_code), "vlan",
			vlan, "len", (json_int_t)s->len, "caplen", (json_int_t)s->caplen);
	fw_json_print(doc);
	json_decref(doc);
}

static void print_text(const char *when, const struct iface_name *in, const struct fw_sample *s,
		       const struct fw_pkt *p, const char *proto)
{
	char ifn[FW_NAME_TEXT_LEN], cn[FW_NAME_TEXT_LEN], src[64], dst[64], vl[32] = "",
									    ic[32] = "";
	bool cont = in && in->container[0];

	for (int i = 0; i < p->nvlan; i++)
		snprintf(vl + strlen(vl), sizeof(vl) - strlen(vl), "%s%d", i ? "," : " vlan ",
			 p->vlan[i]);
	if (p->icmp_type >= 0)
		snprintf(ic, sizeof(ic), " type %d code %d", p->icmp_type, p->icmp_code);
	if (in)
		fw_name_escape(in->ifname, ifn, sizeof(ifn));
	else
		snprintf(ifn, sizeof(ifn), "if%u", s->ifindex);
	printf("%s %s%s%s%s %s %s%s", when, ifn, cont ? " (" : "",
	       cont ? fw_name_escape(in->container, cn, sizeof(cn)) : "", cont ? ")" : "",
	       fw_dir_label(s->dir, cont), proto, vl);
	if (p->family)
		printf(" %s > %s", endpoint(p, p->src, p->sport, src, sizeof(src)),
		       endpoint(p, p->dst, p->dport, dst, sizeof(dst)));
	printf("%s len %u\n", ic, s->len);
}

/* One sample from the ring. A negative return stops the poll. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct listener *l = ctx;
	const struct fw_sample *s = data;
	const struct iface_name *in;
	struct timespec real, ts;
	char when[48], proto[32];
	struct fw_pkt p;
	__u64 now_mono, at;
	__u32 caplen;

	if (size < offsetof(struct fw_sample, data) || s->ns < l->start_ns)
		return 0; /* a previous listener's */
	if (l->done) {
		l->unshown++;
		return 0;
	}
	caplen = s->caplen <= FW_SAMPLE_SNAP ? s->caplen : 0;
	/* Monotonic to wall clock: the sample was taken (now - ns) ago. */
	clock_gettime(CLOCK_REALTIME, &real);
	now_mono = fw_mono_ns();
	at = (__u64)real.tv_sec * 1000000000ULL + real.tv_nsec -
	     (now_mono > s->ns ? now_mono - s->ns : 0);
	ts.tv_sec = at / 1000000000ULL;
	ts.tv_nsec = at % 1000000000ULL;
	fw_iso8601(&ts, true, when, sizeof(when));
	in = name_of(l, s->ifindex);
	if (!in && l->o->target) {
		l->unshown++; /* a stale filter entry's: not the target */
		return 0;
	}
	fw_dissect(s->data, caplen, &p);
	fw_kind_name(s->kind, proto, sizeof(proto));
	if (fw_opts.json)
		print_json(l, when, in, s, &p, proto);
	else if (l->text)
		print_text(when, in, s, &p, proto);
	if (l->pcap && (fw_pcap_record(l->pcap, &ts, s->data, caplen, s->len) || fflush(l->pcap))) {
		l->done = true; /* the reader went away (pcap on a pipe) */
		if (errno == EPIPE)
			clearerr(l->pcap);
	}
	if ((fw_opts.json || l->text) && (fflush(stdout) || ferror(stdout))) {
		l->done = true; /* the reader went away: the end, not a failure */
		if (errno == EPIPE)
			clearerr(stdout);
	}
	l->shown++;
	if (l->o->count && l->shown >= l->o->count)
		l->done = true;
	return 0;
}

/* Sets the flag: the rate, the filter, ours. Under the state's lock, so two
 * listeners cannot both find it free. */
static int claim(struct listener *l, struct fw_state *st)
{
	struct fw_sample_ctl c;
	__u64 missed, lost;
	int err;

	err = ctl_read(l, &c);
	if (err)
		return err;
	if (c.on && c.pid != (__u32)getpid() && c.start && proc_start(c.pid) == c.start)
		return fw_fail(-EBUSY,
			       "monitor --packets already runs in netns %s (pid %u); one listener "
			       "per namespace",
			       l->netns, c.pid);
	err = refresh(l, st); /* a target that names nothing changes nothing */
	if (err)
		return err;
	/* Off first: a dead listener's filter and counts are cleared before
	 * anything is sampled under ours. */
	c = (struct fw_sample_ctl){};
	err = ctl_write(l, &c);
	filter_clear(l, st->ifaces, FW_MAX_IFACES);
	if (!err)
		err = rate_counts(l, &missed, &lost, true);
	if (!err)
		err = filter_set(l);
	if (err)
		return err;
	c.rate = (__u32)l->o->rate;
	c.filter = l->o->target != NULL;
	c.pid = getpid();
	c.start = proc_start(getpid());
	l->start_ns = fw_mono_ns();
	c.on = 1;
	return ctl_write(l, &c);
}

/* Clears the flag if it is still ours. */
static void release(struct listener *l)
{
	struct fw_sample_ctl c;

	if (!ctl_read(l, &c) && c.pid == (__u32)getpid()) {
		ctl_write(l, &(struct fw_sample_ctl){});
		filter_clear_ours(l);
	}
}

/* What was left out, once the ring is read to its end: every drop while
 * the flag was ours is shown, unshown (over the rate, or past --count) or
 * lost (the ring full). */
static void report(const struct listener *l)
{
	__u64 missed, lost, unshown;

	if (rate_counts(l, &missed, &lost, false))
		return;
	unshown = missed + l->unshown;
	if (fw_opts.json) {
		json_t *doc =
			json_pack("{s:o, s:I, s:I, s:I, s:I}", "netns", fw_name_json(l->netns),
				  "samples", (json_int_t)l->shown, "unsampled", (json_int_t)unshown,
				  "lost", (json_int_t)lost, "rate", (json_int_t)l->o->rate);

		fw_json_print(doc);
		json_decref(doc);
		return;
	}
	fprintf(stderr,
		"%ld sample%s shown; %llu drop%s not shown (over %ld a second per CPU, or past "
		"--count), %llu lost (ring full)\n",
		l->shown, l->shown == 1 ? "" : "s", (unsigned long long)unshown,
		unshown == 1 ? "" : "s", l->o->rate, (unsigned long long)lost);
}

/* A flag left on by a listener that is gone (killed outright): cleared,
 * with the filter's entries for the covered interfaces. Returns the dead
 * listener's pid, 0 when there was none, or a -errno. */
int fw_samples_reap(struct fw_state *st)
{
	struct listener l = { .ctl_fd = st->sample_ctl_fd, .if_fd = st->sample_if_fd };
	struct fw_sample_ctl c;
	int err;

	err = ctl_read(&l, &c);
	if (err || !c.on || !c.pid || proc_start(c.pid) == c.start)
		return err;
	err = ctl_write(&l, &(struct fw_sample_ctl){});
	filter_clear(&l, st->ifaces, FW_MAX_IFACES);
	return err ? err : (int)c.pid;
}

/* The pid of the namespace's `monitor --packets` listener, 0 when none (a
 * flag left on by one that is gone counts as none), or a -errno: what status
 * shows. A pid of another pid namespace reads as none. */
int fw_samples_listener(struct fw_state *st)
{
	struct listener l = { .ctl_fd = st->sample_ctl_fd, .if_fd = st->sample_if_fd };
	struct fw_sample_ctl c;
	int err;

	err = ctl_read(&l, &c);
	if (err)
		return err;
	return c.on && c.pid && c.start && proc_start(c.pid) == c.start ? (int)c.pid : 0;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int dup_fd(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	return d < 0 ? fw_fail(-errno, "cannot keep a map open: %s", strerror(errno)) : d;
}

/* Takes the flag under the state's exclusive lock, keeps the maps open,
 * and lets the lock go: a listener must not stop fwctl from changing rules. */
static int start(struct listener *l)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_UPDATE);
	if (err)
		goto out;
	snprintf(l->netns, sizeof(l->netns), "%s", st->ns.name);
	if (!st->exists) {
		err = fw_fail(-ENOENT, "nothing is blocked in netns %s: no drops to sample",
			      st->ns.name);
		goto out;
	}
	l->ncpus = st->ncpus;
	l->ctl_fd = dup_fd(st->sample_ctl_fd);
	l->ring_fd = dup_fd(st->samples_fd);
	l->rate_fd = dup_fd(st->sample_rate_fd);
	l->if_fd = dup_fd(st->sample_if_fd);
	if (l->ctl_fd < 0 || l->ring_fd < 0 || l->rate_fd < 0 || l->if_fd < 0)
		err = -EBADF;
	else
		err = claim(l, st);
out:
	fw_state_close(st);
	free(st);
	return err;
}

/* The pcap output, made once the flag is ours, before anything is read
 * from the ring; "-" is stdout. A new
 * file is 0600: it holds other hosts' packets. */
static int open_pcap(struct listener *l)
{
	int fd;

	if (!l->o->wfile)
		return 0;
	if (!strcmp(l->o->wfile, "-")) {
		l->pcap = stdout;
	} else {
		fd = open(l->o->wfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || !(l->pcap = fdopen(fd, "w"))) {
			int err = fw_fail(-errno, "cannot write %s: %s", l->o->wfile,
					  strerror(errno));

			if (fd >= 0)
				close(fd);
			return err;
		}
	}
	if (fw_pcap_header(l->pcap, FW_SAMPLE_SNAP) || fflush(l->pcap))
		return fw_fail(-EIO, "cannot write %s: %s", l->o->wfile, strerror(errno));
	return 0;
}

int fw_monitor_packets(const struct fw_packets_opts *o)
{
	struct listener l = { .o = o, .ctl_fd = -1, .ring_fd = -1, .rate_fd = -1, .if_fd = -1 };
	struct ring_buffer *rb = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	double next;
	int err;

	l.text = !fw_opts.json && !(o->wfile && !strcmp(o->wfile, "-"));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The flag first: a command that fails there (nothing blocked, a
	 * target not found, another listener) must not have emptied FILE. */
	err = start(&l);
	if (err)
		goto out;
	err = open_pcap(&l);
	if (err)
		goto out_release;
	rb = ring_buffer__new(l.ring_fd, on_sample, &l, NULL);
	if (!rb) {
		err = fw_fail(-errno, "cannot read the sample ring: %s", strerror(errno));
		goto out_release;
	}
	next = fw_mono_s() + REFRESH_S;
	while (!stop && !l.done) {
		int n = ring_buffer__poll(rb, 200);

		if (n < 0 && n != -EINTR) {
			err = fw_fail(n, "cannot read the sample ring: %s", strerror(-n));
			break;
		}
		if (fw_mono_s() >= next) {
			/* Names and containers change; a failed look keeps the old. */
			refresh_locked(&l);
			fw_err_clear();
			next = fw_mono_s() + REFRESH_S;
		}
	}
out_release:
	release(&l);
	if (rb && !err) {
		/* Sampled before the flag went off: shown, or counted. */
		ring_buffer__consume(rb);
		report(&l);
	}
out:
	ring_buffer__free(rb);
	/* A pcap file cut short (a full disk) is a failure, as on stdout. */
	if (l.pcap && l.pcap != stdout && (ferror(l.pcap) | fclose(l.pcap)) && !err)
		err = fw_fail(-EIO, "cannot write %s", l.o->wfile);
	free(l.names);
	close_fd(l.ctl_fd);
	close_fd(l.ring_fd);
	close_fd(l.rate_fd);
	close_fd(l.if_fd);
	return err;
}
