// SPDX-License-Identifier: GPL-2.0
/* netns.c - -n: switch only the network namespace; name the one we are in. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fwctl.h"

/* Bumped at every setns(): sockets kept per namespace know to renew. */
unsigned int fw_netns_moves;

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define NETNS_RUN_DIR "/run/netns"
/* Since 6.18 the initial namespaces have fixed inodes; PID 1's may be
 * unreadable inside a sandbox. */
#define FW_NET_NS_INIT_INO 0xEFFFFFF9U

/* An fd for NAME (under /run/netns), a path, or pid:PID; NULL: our own. */
int fw_netns_open(const char *spec)
{
	char path[512];
	int fd;

	if (!spec) {
		snprintf(path, sizeof(path), "/proc/thread-self/ns/net");
	} else if (!strncmp(spec, "pid:", 4)) {
		char *end;
		long pid = strtol(spec + 4, &end, 10);

		if (!spec[4] || *end || pid <= 0)
			return fw_usage("bad namespace '%s': pid:PID wants a process id", spec);
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	} else if (strchr(spec, '/')) {
		snprintf(path, sizeof(path), "%s", spec);
	} else {
		if (!spec[0] || strlen(spec) > 255 || !strcmp(spec, ".") || !strcmp(spec, ".."))
			return fw_usage("bad namespace name '%s'", spec);
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, spec);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ESRCH))
		return fw_usage("cannot find network namespace '%s'", spec);
	if (fd < 0)
		return fw_fail(-errno, "cannot open network namespace '%s': %s", spec,
			       strerror(errno));
	return fd;
}

int fw_netns_enter(const char *spec)
{
	int fd = fw_netns_open(spec), err = 0;

	if (fd < 0)
		return fd;
	fw_netns_moves++;
	if (setns(fd, CLONE_NEWNET) < 0) {
		err = -errno;
		if (err == -EINVAL)
			err = fw_usage("'%s' is not a network namespace", spec);
		else
			err = fw_fail(err, "cannot enter network namespace '%s': %s", spec,
				      strerror(-err));
	}
	close(fd);
	return err;
}

/* Runs fn(arg) inside the network namespace behind nsfd, then comes back.
 * Only the calling thread moves; fwctl has no other. */
int fw_netns_run(int nsfd, int (*fn)(void *arg), void *arg)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), err;

	if (self < 0)
		return fw_fail(-errno, "cannot open own network namespace: %s", strerror(errno));
	fw_netns_moves++;
	if (setns(nsfd, CLONE_NEWNET)) {
		err = fw_fail(-errno, "cannot enter network namespace: %s", strerror(errno));
		close(self);
		return err;
	}
	err = fn(arg);
	fw_netns_moves++;
	if (setns(self, CLONE_NEWNET) && !err)
		err = fw_fail(-errno, "cannot return to own network namespace: %s",
			      strerror(errno));
	close(self);
	return err;
}

static __u64 ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Identity of the current network namespace: inode (names the state
 * directory), cookie (never reused, unlike inodes) and a display name. */
int fw_netns_self(struct fw_netns *ns)
{
	socklen_t len = sizeof(ns->cookie);
	struct dirent *de;
	DIR *dir;
	int sock;

	memset(ns, 0, sizeof(*ns));
	ns->ino = ino_of("/proc/self/ns/net");
	if (!ns->ino)
		return fw_fail(-errno, "cannot read /proc/self/ns/net: %s", strerror(errno));
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &ns->cookie, &len) < 0)
		ns->cookie = 0; /* before 5.14: inode reuse goes undetected */
	if (sock >= 0)
		close(sock);

	if (ns->ino == ino_of("/proc/1/ns/net") || ns->ino == FW_NET_NS_INIT_INO) {
		strcpy(ns->name, "host");
		return 0;
	}
	snprintf(ns->name, sizeof(ns->name), "ns:%llu", (unsigned long long)ns->ino);
	/* The name -n gave, when it is one: no scan of every name there. */
	if (fw_opts.netns && !strchr(fw_opts.netns, '/') && fw_opts.netns[0] != '.' &&
	    strlen(fw_opts.netns) < 200) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, fw_opts.netns);
		if (ino_of(path) == ns->ino) {
			snprintf(ns->name, sizeof(ns->name), "%s", fw_opts.netns);
			return 0;
		}
	}
	dir = opendir(NETNS_RUN_DIR);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char path[512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, de->d_name);
		if (ino_of(path) == ns->ino) {
			snprintf(ns->name, sizeof(ns->name), "%s", de->d_name);
			break;
		}
	}
	closedir(dir);
	return 0;
}
