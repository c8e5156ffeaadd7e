/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pindir.h - a private pin directory on bpffs for programs that load fwctl's
 * skeletons themselves (unit tests, benchmarks): its maps pin there, apart
 * from any real fwctl state, and go with it.
 */
#ifndef PINDIR_H
#define PINDIR_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>

#define PINDIR_BPFFS "/sys/fs/bpf"

static char pin_dir[64];

/* Mounts bpffs where it is missing, then makes <bpffs>/fwctl-TAG-<pid>. */
static int pindir_make(const char *tag, char *why, size_t len)
{
	struct statfs st;

	if ((statfs(PINDIR_BPFFS, &st) || st.f_type != BPF_FS_MAGIC) &&
	    mount("bpf", PINDIR_BPFFS, "bpf", 0, "mode=0700")) {
		snprintf(why, len, "cannot mount bpffs on %s: %s", PINDIR_BPFFS, strerror(errno));
		return -1;
	}
	snprintf(pin_dir, sizeof(pin_dir), PINDIR_BPFFS "/fwctl-%s-%d", tag, getpid());
	if (mkdir(pin_dir, 0700)) {
		snprintf(why, len, "cannot create %s: %s", pin_dir, strerror(errno));
		pin_dir[0] = '\0';
		return -1;
	}
	return 0;
}

/* Removes the directory and every pin in it; safe to call twice. */
static void pindir_remove(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (!pin_dir[0])
		return;
	d = opendir(pin_dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(pin_dir);
	pin_dir[0] = '\0';
}

/* libbpf's chatter: only what could explain a failure, on stderr. */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

#endif /* PINDIR_H */
