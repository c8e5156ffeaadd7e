// SPDX-License-Identifier: GPL-2.0
/* container.c - container:NAME, netns:NAME and pid:PID targets: the host-side
 * interfaces of a container's network namespace, found as the veths whose
 * peer lives there (their link netnsid is that namespace's id here). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fwctl.h"

enum fw_target_kind fw_target_kind(const char *target)
{
	if (!strncmp(target, "container:", 10))
		return FW_TARGET_CONTAINER;
	if (!strncmp(target, "netns:", 6))
		return FW_TARGET_NETNS;
	if (!strncmp(target, "pid:", 4))
		return FW_TARGET_PID;
	return FW_TARGET_IFACE;
}

static int open_ns(const char *path, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == ESRCH))
		return fw_usage("cannot find %s", what);
	if (fd < 0)
		return fw_fail(-errno, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* The highest process id this kernel hands out: numbers from outside (a
 * Docker reply, a pid: target) beyond it name no process. */
int fw_pid_max(void)
{
	static int max;
	FILE *f;

	if (max)
		return max;
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (!f || fscanf(f, "%d", &max) != 1 || max <= 0)
		max = INT_MAX;
	if (f)
		fclose(f);
	return max;
}

/*
 * Targets resolved ahead (fw_containers_prefetch), before the state lock is
 * taken, so that a slow Docker never holds it: each one's namespace fd, or
 * the error it gave with its reason ("not running" is -ESRCH).
 */
struct cached {
	char target[FW_TARGET_LEN];
	char name[FW_TARGET_LEN];
	int fd;	 /* >= 0: the namespace; else err */
	int err; /* -errno */
	char why[256];
};
static struct cached cache[FW_MAX_RULES];
static int ncache;

static struct cached *cache_find(const char *target)
{
	for (int i = 0; i < ncache; i++)
		if (!strcmp(cache[i].target, target))
			return &cache[i];
	return NULL;
}

static int resolve(const char *target, char *name, size_t len);

/* Resolves every container:, netns: and pid: target of rules[0..n) that is
 * not cached yet. Failures are kept for fw_container_open to report, not
 * returned: rules naming no container must go on. Returns how many are
 * cached. */
int fw_containers_prefetch(const struct fw_rule *rules, int n)
{
	char saved[512];

	snprintf(saved, sizeof(saved), "%s", fw_err());
	for (int i = 0; i < n && ncache < (int)ARRAY_SIZE(cache); i++) {
		const char *t = rules[i].target;
		struct cached *c = &cache[ncache];

		if (!t[0] || fw_target_kind(t) == FW_TARGET_IFACE || strlen(t) >= FW_TARGET_LEN ||
		    cache_find(t))
			continue;
		fw_err_clear();
		memset(c, 0, sizeof(*c));
		snprintf(c->target, sizeof(c->target), "%s", t);
		c->fd = resolve(t, c->name, sizeof(c->name));
		c->err = c->fd < 0 ? c->fd : 0;
		snprintf(c->why, sizeof(c->why), "%s", fw_err());
		ncache++;
	}
	fw_err_clear();
	if (saved[0])
		fw_fail(0, "%s", saved);
	return ncache;
}

/* Forgets what was prefetched (and that Docker did not answer): a long
 * running fwctl (watch) calls it when containers may have changed. */
void fw_containers_forget(void)
{
	for (int i = 0; i < ncache; i++)
		if (cache[i].fd >= 0)
			close(cache[i].fd);
	ncache = 0;
	fw_docker_reset();
}

/* The network namespace behind a container target, and a name to show.
 * -ESRCH: the container exists but is not running (its rule waits). */
int fw_container_open(const char *target, char *name, size_t len)
{
	struct cached *c = cache_find(target);
	int fd;

	if (!c)
		return resolve(target, name, len);
	snprintf(name, len, "%s", c->name);
	if (c->fd < 0 && c->err == -ESRCH)
		return -ESRCH;
	if (c->fd < 0)
		return c->err == -FW_EUSAGE ? fw_usage("%s", c->why)
					    : fw_fail(c->err, "%s", c->why);
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return fw_fail(-errno, "cannot duplicate a namespace fd: %s", strerror(errno));
	return fd;
}

static int resolve(const char *target, char *name, size_t len)
{
	char path[300], cname[FW_TARGET_LEN], what[FW_TARGET_LEN + 32];
	const char *ref = strchr(target, ':') + 1;
	char *end;
	long lpid;
	int pid, err;

	switch (fw_target_kind(target)) {
	case FW_TARGET_CONTAINER:
		err = fw_docker_inspect(ref, cname, sizeof(cname), &pid);
		if (err == -ENOENT)
			return fw_usage("cannot find container '%s'", ref);
		if (err)
			return err;
		snprintf(name, len, "%s", cname);
		if (!pid)
			return -ESRCH;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		snprintf(what, sizeof(what), "the network namespace of container '%s'", ref);
		break;
	case FW_TARGET_NETNS:
		if (!ref[0] || strchr(ref, '/') || !strcmp(ref, ".") || !strcmp(ref, ".."))
			return fw_usage("bad namespace name '%s'", ref);
		snprintf(name, len, "%s", ref);
		snprintf(path, sizeof(path), "/run/netns/%s", ref);
		snprintf(what, sizeof(what), "network namespace '%s'", ref);
		break;
	case FW_TARGET_PID:
		errno = 0;
		lpid = strtol(ref, &end, 10);
		if (!ref[0] || *end || errno || lpid <= 0 || lpid > fw_pid_max())
			return fw_usage("bad target '%s': pid:PID wants a process id", target);
		pid = (int)lpid;
		snprintf(name, len, "pid:%d", pid);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		snprintf(what, sizeof(what), "process %d", pid);
		break;
	default:
		return fw_usage("'%s' is not a container target", target);
	}
	return open_ns(path, what);
}

/* Host-side ifindexes (in `links`, the current namespace) of the veths whose
 * other ends are in nsfd: the link netnsid of a veth names where its peer
 * lives, so nothing needs to look inside nsfd. Returns how many, at most max. */
int fw_container_ports(int nsfd, const struct fw_link *links, int n, int *out, int max)
{
	int found = 0, nsid = fw_netns_id(nsfd);

	if (nsid < 0)
		return 0; /* no veth of ours leads there */
	for (int j = 0; j < n && found < max; j++)
		if (!strcmp(links[j].kind, "veth") && links[j].peer && links[j].peer_nsid == nsid)
			out[found++] = links[j].ifindex;
	return found;
}

/* Adds every named namespace's and running container's host-side ports to
 * names[ifindex position in links]: "who is behind this veth". */
static void name_ports(int nsfd, const char *name, const struct fw_link *links, int n,
		       char (*names)[FW_TARGET_LEN])
{
	int ports[64], np = fw_container_ports(nsfd, links, n, ports, 64);

	for (int i = 0; i < np; i++)
		for (int j = 0; j < n; j++)
			if (links[j].ifindex == ports[i] && !names[j][0])
				snprintf(names[j], FW_TARGET_LEN, "%s", name);
}

/* names[i]: the container (or netns) behind links[i], "" where none is known. */
int fw_container_names(const struct fw_link *links, int n, char (*names)[FW_TARGET_LEN])
{
	char(*docker)[FW_TARGET_LEN] = NULL;
	char name[FW_TARGET_LEN], target[FW_TARGET_LEN + 16];
	struct dirent *de;
	int nd = 0, fd;
	DIR *dir;

	memset(names, 0, n * sizeof(*names));
	/* Docker first: its names beat the anonymous namespaces behind them. */
	if (fw_docker_available()) {
		if (fw_docker_list(&docker, &nd)) {
			fw_docker_warn(); /* shown without their containers */
			nd = 0;
		}
		for (int i = 0; i < nd; i++) {
			snprintf(target, sizeof(target), "container:%s", docker[i]);
			fd = fw_container_open(target, name, sizeof(name));
			if (fd < 0)
				continue;
			name_ports(fd, name, links, n, names);
			close(fd);
		}
	}
	free(docker);
	dir = opendir("/run/netns");
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= FW_TARGET_LEN)
			continue;
		snprintf(target, sizeof(target), "netns:%s", de->d_name);
		fd = fw_container_open(target, name, sizeof(name));
		if (fd < 0)
			continue;
		name_ports(fd, name, links, n, names);
		close(fd);
	}
	if (dir)
		closedir(dir);
	fw_err_clear();
	return 0;
}
