// SPDX-License-Identifier: GPL-2.0
/* state.c - fwctl's state: maps pinned under <bpffs>/fwctl/ns<inode>/, one
 * directory per network namespace, and a lock around every change. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fwctl.h"
#include "fw_count.h"
#include "fw_xdp.skel.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define BPFFS "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == BPF_FS_MAGIC;
}

/* `ip netns exec NAME` mounts a private sysfs named NAME on /sys: a bpffs
 * mounted there would vanish with the command, and the host's is hidden. */
static int refuse_ip_netns_exec(void)
{
	char line[1024], src[256], mnt[256], path[512];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	struct stat st;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - sysfs ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 ||
		    strcmp(mnt, "/sys") || sscanf(sep, " - sysfs %255s", src) != 1)
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", src);
		if (strcmp(src, "sysfs") && !strchr(src, '/') && !stat(path, &st)) {
			fclose(f);
			return fw_fail(-EXDEV,
				       "running under 'ip netns exec %s', which hides the "
				       "host's bpffs: use 'fwctl -n %s ...' instead",
				       src, src);
		}
	}
	fclose(f);
	return 0;
}

#define CAP_BIT(n)	 (1ULL << (n))
#define FW_CAP_NET_ADMIN CAP_BIT(12)
#define FW_CAP_SYS_ADMIN CAP_BIT(21)
#define FW_CAP_BPF	 CAP_BIT(39)

/* The effective capability set; all of it where /proc cannot tell. */
static unsigned long long cap_eff(void)
{
	unsigned long long eff = ~0ULL;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	return eff;
}

/* setns, mounting bpffs and libxdp's BTF reads want CAP_SYS_ADMIN. */
bool fw_has_sys_admin(void)
{
	return cap_eff() & FW_CAP_SYS_ADMIN;
}

/* CAP_BPF (+ CAP_PERFMON for the verifier to take our parser) or
 * CAP_SYS_ADMIN; CAP_NET_ADMIN to attach. Where more is needed, the kernel
 * says so and fwctl passes its answer on. */
int fw_check_privileges(void)
{
	unsigned long long eff = cap_eff();

	if (!(eff & FW_CAP_NET_ADMIN) || !(eff & (FW_CAP_BPF | FW_CAP_SYS_ADMIN)))
		return fw_fail(-EPERM, "permission denied: fwctl needs root "
				       "(CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN at least)");
	return 0;
}

/* Something of someone else's is mounted there (tmpfs, a read-only bind):
 * pins made on top of it would not be where any other fwctl looks. */
static bool is_mountpoint(const char *path)
{
	struct stat here, parent;
	char up[512];

	snprintf(up, sizeof(up), "%s/..", path);
	return !stat(path, &here) && !stat(up, &parent) && here.st_dev != parent.st_dev;
}

static int ensure_bpffs(const char *root, bool may_mount)
{
	int err;

	if (is_bpffs(root))
		return 0;
	err = refuse_ip_netns_exec();
	if (err)
		return err;
	if (is_mountpoint(root))
		return fw_fail(-EXDEV,
			       "%s holds a filesystem that is not bpffs; refusing to "
			       "cover it",
			       root);
	if (!may_mount)
		return -ENOENT;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
		return fw_fail(-errno, "cannot mount bpffs on %s: %s", BPFFS, strerror(errno));
	fw_info("mounted bpffs on %s", BPFFS);
	return 0;
}

/* Our directories: real directories, owned by root, 0700; never a symlink
 * someone planted to redirect our pins. */
static bool owned_by_us(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

static int safe_mkdir(const char *path, bool create)
{
	struct stat st;

	if (create && mkdir(path, 0700) && errno != EEXIST)
		return fw_fail(-errno, "cannot create %s: %s", path, strerror(errno));
	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || !owned_by_us(&st) || (st.st_mode & 077))
		return fw_fail(-EPERM,
			       "refusing unsafe state directory %s "
			       "(not a 0700 directory of ours)",
			       path);
	return 0;
}

static int map_get(struct fw_state *st, const char *name)
{
	struct stat sb;
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", st->dir, name);
	/* A pin must be ours: not a symlink, not someone else's, not open to all. */
	if (lstat(path, &sb))
		return fw_fail(-errno, "cannot open pinned map %s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode) || !owned_by_us(&sb) || (sb.st_mode & 077))
		return fw_fail(-EPERM, "refusing unsafe pin %s (not a 0600 file of ours)", path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fw_fail(-errno, "cannot open pinned map %s: %s", path, strerror(errno));
	return fd;
}

static void close_maps(struct fw_state *st)
{
	int *fds[] = { &st->policy_fd, &st->counters_fd, &st->ifaces_fd,
		       &st->rules_fd,  &st->meta_fd,	 &st->slots_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int open_maps(struct fw_state *st)
{
	if ((st->meta_fd = map_get(st, "fw_meta")) < 0 ||
	    (st->policy_fd = map_get(st, "fw_policy")) < 0 ||
	    (st->counters_fd = map_get(st, "fw_counters")) < 0 ||
	    (st->ifaces_fd = map_get(st, "fw_ifaces")) < 0 ||
	    (st->rules_fd = map_get(st, "fw_rules")) < 0 ||
	    (st->slots_fd = map_get(st, "fw_slots")) < 0) {
		int err = -errno;

		close_maps(st);
		return err ? err : -EIO;
	}
	return 0;
}

/* Loading the XDP object with no program creates and pins every map. */
static int create_maps(struct fw_state *st)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = st->dir);
	struct fw_xdp *skel = fw_xdp__open_opts(&oo);
	struct bpf_program *prog;
	int err;

	if (!skel)
		return fw_fail(-errno, "cannot open BPF object: %s", strerror(errno));
	bpf_object__for_each_program(prog, skel->obj) bpf_program__set_autoload(prog, false);
	err = fw_xdp__load(skel);
	fw_xdp__destroy(skel);
	if (err)
		return fw_fail(err, "cannot create maps in %s: %s", st->dir, strerror(-err));
	return 0;
}

static int wipe_dir(const char *path)
{
	struct dirent *de;
	DIR *dir = opendir(path);

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) && errno != ENOENT) {
			int err = -errno;

			closedir(dir);
			return fw_fail(err, "cannot remove %s/%s: %s", path, de->d_name,
				       strerror(-err));
		}
	}
	closedir(dir);
	if (rmdir(path) && errno != ENOENT)
		return fw_fail(-errno, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* values[0..n) of an array map: in one call (BPF_MAP_LOOKUP_BATCH), or
 * one by one where the kernel cannot. Every command reads all FW_MAX_IFACES
 * slots, and a thousand lookups are most of a small call's system time. */
static int read_array(int fd, void *values, __u32 n, size_t size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 *keys = calloc(n, sizeof(*keys)), count = n, next, i;
	int err = -ENOMEM;

	if (keys) {
		err = bpf_map_lookup_batch(fd, NULL, &next, keys, values, &count, &opts);
		if (err == -ENOENT) /* the end of the map: all there is was read */
			err = 0;
		for (i = 0; !err && i < n; i++)
			if (i >= count || keys[i] != i)
				err = -EIO;
		free(keys);
	}
	for (i = 0; err && i < n; i++)
		if (bpf_map_lookup_elem(fd, &i, (char *)values + i * size))
			return -errno;
	return 0;
}

static int read_tables(struct fw_state *st)
{
	__u32 zero = 0;
	int err;

	_Static_assert(sizeof(st->rules) == sizeof(struct fw_ruleset), "rules are one ruleset");
	if (bpf_map_lookup_elem(st->rules_fd, &zero, st->rules))
		return fw_fail(-errno, "cannot read rules: %s", strerror(errno));
	err = read_array(st->ifaces_fd, st->ifaces, FW_MAX_IFACES, sizeof(st->ifaces[0]));
	if (err)
		return fw_fail(err, "cannot read interfaces: %s", strerror(-err));
	return 0;
}

/* Is the state in st->dir ours, current, and of this very namespace? */
static int check_meta(struct fw_state *st, bool *stale)
{
	struct fw_meta meta;
	__u32 zero = 0;

	*stale = false;
	if (bpf_map_lookup_elem(st->meta_fd, &zero, &meta))
		return fw_fail(-errno, "cannot read %s/fw_meta: %s", st->dir, strerror(errno));
	st->dirty = meta.flags & FW_META_DIRTY;
	if (meta.version == 0 ||
	    (meta.netns_cookie && st->ns.cookie && meta.netns_cookie != st->ns.cookie)) {
		*stale = true; /* half-made, or a dead namespace's inode reused */
		return 0;
	}
	if (meta.version != FW_ABI_VERSION)
		return fw_fail(-EPROTO,
			       "state in %s has layout version %u, this fwctl knows %u: "
			       "detach it with the fwctl that made it",
			       st->dir, meta.version, FW_ABI_VERSION);
	return 0;
}

static int write_meta(struct fw_state *st)
{
	struct fw_meta meta = {
		.version = FW_ABI_VERSION,
		.flags = st->dirty ? FW_META_DIRTY : 0,
		.netns_cookie = st->ns.cookie,
		.netns_ino = st->ns.ino,
	};
	__u32 zero = 0;

	if (bpf_map_update_elem(st->meta_fd, &zero, &meta, BPF_ANY))
		return fw_fail(-errno, "cannot write %s/fw_meta: %s", st->dir, strerror(errno));
	return 0;
}

/* Marks a change under way (dirty) or done. One map update each: a killed
 * fwctl leaves the mark set, and the next one repairs (fw_recover). */
int fw_state_mark(struct fw_state *st, bool dirty)
{
	if (st->dirty == dirty || st->meta_fd < 0)
		return 0;
	st->dirty = dirty;
	return write_meta(st);
}

/* "ns<ino>_new" while being made, "ns<ino>_old" while being removed (bpffs
 * allows no '.' in names): the directory named ns<ino> is always whole,
 * whenever a fwctl dies. */
static int aside_path(const struct fw_state *st, const char *suffix, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s_%s", st->dir, suffix) >= (int)len)
		return fw_fail(-ENAMETOOLONG, "path too long: %s", st->dir);
	return 0;
}

/* Made under the side name, then renamed into place. */
static int create_state(struct fw_state *st)
{
	char final[sizeof(st->dir)], tmp[sizeof(st->dir)];
	int err;

	memcpy(final, st->dir, sizeof(final));
	err = aside_path(st, "new", tmp, sizeof(tmp));
	if (!err)
		err = wipe_dir(tmp);
	if (err)
		return err;
	memcpy(st->dir, tmp, sizeof(st->dir));
	err = safe_mkdir(st->dir, true);
	if (!err)
		err = create_maps(st);
	if (!err)
		err = open_maps(st);
	if (!err)
		err = write_meta(st);
	memcpy(st->dir, final, sizeof(st->dir));
	if (!err && rename(tmp, final))
		err = fw_fail(-errno, "cannot rename %s: %s", tmp, strerror(errno));
	if (err)
		close_maps(st);
	return err;
}

/*
 * A fwctl was killed mid-change: make the kernel enforce the stored rules
 * (the old ones, or the new if it got as far as storing them) before anyone
 * looks. A reader takes the lock exclusively for that, then reads afresh.
 */
static int repair(struct fw_state *st, bool write)
{
	bool stale;
	int err;

	if (!write) {
		if (flock(st->lock_fd, LOCK_EX))
			return fw_fail(-errno, "cannot lock: %s", strerror(errno));
		err = check_meta(st, &stale);
		if (!err && !stale)
			err = read_tables(st);
		if (err || stale || !st->dirty)
			return err;
	}
	err = fw_recover(st);
	if (err) {
		/* Reported; the stored rules stay the truth, the mark stays set. */
		fw_warn("an interrupted fwctl left a change half made; repair failed: %s",
			fw_err());
		fw_err_clear();
	} else {
		fw_warn("an interrupted fwctl left a change half made; repaired: the "
			"stored rules are enforced");
	}
	return 0;
}

int fw_state_open(struct fw_state *st, enum fw_open how)
{
	bool write = how != FW_OPEN_READ, create = how == FW_OPEN_WRITE, stale;
	const char *root = BPFFS;
	char base[256];
	int err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = st->policy_fd = st->counters_fd = st->ifaces_fd = st->rules_fd = st->meta_fd =
		st->slots_fd = -1;
	st->ncpus = libbpf_num_possible_cpus();
	err = fw_netns_self(&st->ns);
	if (err)
		return err;
	if (st->ns.ino == 0 || st->ncpus <= 0)
		return fw_fail(-EIO, "cannot identify network namespace or CPUs");

	err = ensure_bpffs(root, create);
	if (err == -ENOENT && !create)
		return 0; /* nothing mounted, nothing attached */
	if (err == -ENOENT)
		return fw_fail(err, "bpffs is not mounted at %s", root);
	if (err)
		return err;

	snprintf(base, sizeof(base), "%s/fwctl", root);
	err = safe_mkdir(base, create);
	if (err == -ENOENT && !create)
		return 0;
	if (err)
		return err;
	st->lock_fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->lock_fd < 0)
		return fw_fail(-errno, "cannot open %s: %s", base, strerror(errno));
	/* flock dies with its holder: a killed fwctl never leaves a stale lock. */
	if (flock(st->lock_fd, write ? LOCK_EX : LOCK_SH))
		return fw_fail(-errno, "cannot lock %s: %s", base, strerror(errno));

	snprintf(st->dir, sizeof(st->dir), "%s/ns%llu", base, (unsigned long long)st->ns.ino);
	err = safe_mkdir(st->dir, false);
	if (err && err != -ENOENT)
		return err;
	if (write) {
		/* Left by a fwctl killed while making or removing the state. */
		char aside[sizeof(st->dir)];

		if (!aside_path(st, "new", aside, sizeof(aside)))
			wipe_dir(aside);
		if (!aside_path(st, "old", aside, sizeof(aside)))
			wipe_dir(aside);
	}
	if (!err) {
		err = open_maps(st);
		if (!err)
			err = check_meta(st, &stale);
		if (err)
			return err;
		if (stale) {
			fw_info("discarding stale state in %s", st->dir);
			close_maps(st);
			if (!write)
				return 0;
			err = fw_state_destroy(st);
			if (err)
				return err;
		} else {
			st->exists = true;
			err = read_tables(st);
			return err || !st->dirty ? err : repair(st, write);
		}
	}
	if (!create)
		return 0;

	err = create_state(st);
	if (err)
		return err;
	st->exists = true;
	return read_tables(st);
}

void fw_state_close(struct fw_state *st)
{
	close_maps(st);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

/* Removes every pin of this namespace: maps, and links with them. Renamed
 * aside first, so it is gone at once even if the removal is cut short. */
int fw_state_destroy(struct fw_state *st)
{
	char aside[sizeof(st->dir)];

	close_maps(st);
	st->exists = false;
	if (!st->dir[0])
		return 0;
	if (aside_path(st, "old", aside, sizeof(aside)) || wipe_dir(aside) ||
	    (rename(st->dir, aside) && errno != ENOENT))
		return wipe_dir(st->dir);
	return wipe_dir(aside);
}

/* The whole ruleset in one update: old or new, never a mix. */
int fw_state_save_rules(struct fw_state *st)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(st->rules_fd, &zero, st->rules, BPF_ANY))
		return fw_fail(-errno, "cannot write rules: %s", strerror(errno));
	return 0;
}

int fw_state_save_iface(struct fw_state *st, __u32 slot)
{
	if (bpf_map_update_elem(st->ifaces_fd, &slot, &st->ifaces[slot], BPF_ANY))
		return fw_fail(-errno, "cannot write interface table: %s", strerror(errno));
	return 0;
}

/* One update per direction; each is a single copy of the 256-bit set, so a
 * protocol blocked before and after is never seen unblocked in between. */
int fw_state_set_policy(struct fw_state *st, __u32 slot, const struct fw_policy pol[FW_DIRS])
{
	for (__u32 dir = 0; dir < FW_DIRS; dir++) {
		__u32 key = fw_key(slot, dir);

		if (bpf_map_update_elem(st->policy_fd, &key, &pol[dir], BPF_ANY))
			return fw_fail(-errno, "cannot write policy: %s", strerror(errno));
	}
	return 0;
}

/* Every slot's policies, pol[fw_key(slot, dir)]: what status shows. */
int fw_state_read_policies(struct fw_state *st, struct fw_policy pol[FW_MAX_IFACES * FW_DIRS])
{
	int err = read_array(st->policy_fd, pol, FW_MAX_IFACES * FW_DIRS, sizeof(pol[0]));

	return err ? fw_fail(err, "cannot read policy: %s", strerror(-err)) : 0;
}

/* Sums one interface and direction over all CPUs, by kind: sums[0-255] the
 * IP protocols, then non-IP, malformed and other (FW_IDX_*). */
int fw_state_read_counters(struct fw_state *st, __u32 slot, __u32 dir,
			   struct fw_counter sums[FW_IDX_SUMS])
{
	struct fw_counters *percpu = calloc(st->ncpus, sizeof(*percpu));
	__u32 key = fw_key(slot, dir);
	int err = 0;

	if (!percpu)
		return fw_fail(-ENOMEM, "out of memory");
	memset(sums, 0, sizeof(*sums) * FW_IDX_SUMS);
	if (bpf_map_lookup_elem(st->counters_fd, &key, percpu))
		err = fw_fail(-errno, "cannot read counters: %s", strerror(errno));
	for (int cpu = 0; !err && cpu < st->ncpus; cpu++)
		fw_counters_add(sums, &percpu[cpu]);
	free(percpu);
	return err;
}

/* Zeroes counters and frees every cell. A CPU's program may be writing
 * its copy meanwhile: fw_counters' owner check keeps that safe. */
int fw_state_reset_counters(struct fw_state *st, __u32 slot)
{
	struct fw_counters *zero = calloc(st->ncpus, sizeof(*zero));
	int err = 0;

	if (!zero)
		return fw_fail(-ENOMEM, "out of memory");
	for (__u32 dir = 0; dir < FW_DIRS && !err; dir++) {
		__u32 key = fw_key(slot, dir);

		if (bpf_map_update_elem(st->counters_fd, &key, zero, BPF_ANY))
			err = fw_fail(-errno, "cannot reset counters: %s", strerror(errno));
	}
	free(zero);
	return err;
}

/* Is some process, bind mount or runtime still holding netns `ino`? */
static bool netns_alive(__u64 ino)
{
	static const char *const dirs[] = { "/run/netns", "/run/docker/netns",
					    "/var/run/docker/netns" };
	char path[300];
	struct dirent *de;
	struct stat sb;
	bool alive = false;
	DIR *d;

	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !alive; i++) {
		d = opendir(dirs[i]);
		while (d && !alive && (de = readdir(d))) {
			snprintf(path, sizeof(path), "%s/%s", dirs[i], de->d_name);
			alive = de->d_name[0] != '.' && !stat(path, &sb) && sb.st_ino == ino;
		}
		if (d)
			closedir(d);
	}
	d = opendir("/proc");
	while (d && !alive && (de = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		alive = de->d_name[0] >= '1' && de->d_name[0] <= '9' && !stat(path, &sb) &&
			sb.st_ino == ino;
	}
	if (d)
		closedir(d);
	return alive;
}

/* A TCX link whose device is gone reports ifindex 0. */
static bool links_all_defunct(const char *dir)
{
	char path[1024];
	struct dirent *de;
	bool defunct = true;
	DIR *d = opendir(dir);

	while (d && defunct && (de = readdir(d))) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (strncmp(de->d_name, "fw_tcx_", 7))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = bpf_obj_get(path);
		/* tcx.ifindex (newer uapi) sits where xdp.ifindex does. */
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) && info.xdp.ifindex)
			defunct = false;
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
	return defunct;
}

/* Removes the state of namespaces that are gone (their pinned links would
 * otherwise keep programs alive forever). Caller holds the lock. */
int fw_state_gc(struct fw_state *st)
{
	char base[256], dir[600];
	struct dirent *de;
	int removed = 0;
	DIR *d;

	snprintf(base, sizeof(base), "%s/fwctl", BPFFS);
	d = opendir(base);
	while (d && (de = readdir(d))) {
		unsigned long long ino;

		if (sscanf(de->d_name, "ns%llu", &ino) != 1 || ino == st->ns.ino)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		if (netns_alive(ino) || !links_all_defunct(dir))
			continue;
		fw_info("removing state of vanished network namespace %llu", ino);
		if (!wipe_dir(dir))
			removed++;
	}
	if (d)
		closedir(d);
	fw_err_clear();
	return removed;
}

/* fw_slots[ifindex] = value, if it holds `expect` (0: whatever it holds). */
int fw_state_map_slot(struct fw_state *st, __u32 ifindex, __u32 value, __u32 expect)
{
	__u32 cur = 0;

	if (ifindex >= FW_MAX_IFINDEX)
		return 0;
	if (expect && (bpf_map_lookup_elem(st->slots_fd, &ifindex, &cur) || cur != expect))
		return 0;
	if (bpf_map_update_elem(st->slots_fd, &ifindex, &value, BPF_ANY))
		return fw_fail(-errno, "cannot write slot map: %s", strerror(errno));
	return 0;
}
