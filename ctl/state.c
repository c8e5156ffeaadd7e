// SPDX-License-Identifier: GPL-2.0
/* state.c - fwctl's state: maps pinned under <bpffs>/fwctl/ns<inode>/, one
 * directory per network namespace, and a lock around every change. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <stddef.h>
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
#include "fw_lease.skel.h"

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
	int *fds[] = { &st->policy_fd,	&st->counters_fd,    &st->ifaces_fd,   &st->rules_fd,
		       &st->meta_fd,	&st->slots_fd,	     &st->slots_hi_fd, &st->sample_ctl_fd,
		       &st->samples_fd, &st->sample_rate_fd, &st->sample_if_fd };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* What this build's maps look like (xdp/fw_bpf.h declares them); per_iface:
 * max_entries is FW_MAX_IFACES times that, which a build may change. */
struct map_want {
	const char *name;
	size_t fd_off;
	enum bpf_map_type type;
	__u32 key, value, max, per_iface;
};

#define WANT_KV(nm, field, t, k, v, m, p)                                                          \
	{                                                                                          \
		.name = nm, .fd_off = offsetof(struct fw_state, field), .type = t, .key = k,       \
		.value = v, .max = m, .per_iface = p                                               \
	}
#define WANT(nm, field, t, v, m, p) WANT_KV(nm, field, t, 4, v, m, p)
static const struct map_want maps_want[] = {
	WANT("fw_meta", meta_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct fw_meta), 1, 0),
	WANT("fw_rules", rules_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct fw_ruleset), 1, 0),
	WANT("fw_ifaces", ifaces_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct fw_iface), FW_MAX_IFACES, 1),
	WANT("fw_policy", policy_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct fw_compiled),
	     FW_MAX_IFACES *FW_DIRS, FW_DIRS),
	WANT("fw_counters", counters_fd, BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(struct fw_counters),
	     FW_MAX_IFACES *FW_DIRS, FW_DIRS),
	WANT("fw_slots", slots_fd, BPF_MAP_TYPE_ARRAY, sizeof(__u32), FW_MAX_IFINDEX, 0),
	WANT("fw_slots_hi", slots_hi_fd, BPF_MAP_TYPE_HASH, sizeof(__u32), FW_MAX_IFACES, 1),
	WANT(FW_SAMPLE_CTL_PIN, sample_ctl_fd, BPF_MAP_TYPE_ARRAY, sizeof(struct fw_sample_ctl), 1,
	     0),
	WANT_KV("fw_samples", samples_fd, BPF_MAP_TYPE_RINGBUF, 0, 0, FW_SAMPLE_RING, 0),
	WANT("fw_sample_rate", sample_rate_fd, BPF_MAP_TYPE_PERCPU_ARRAY,
	     sizeof(struct fw_sample_rate), 1, 0),
	WANT("fw_sample_if", sample_if_fd, BPF_MAP_TYPE_HASH, sizeof(__u8), FW_MAX_IFACES, 1),
};
#undef WANT
#undef WANT_KV

static const char *map_type_name(enum bpf_map_type t, char *buf, size_t len)
{
	const char *s = libbpf_bpf_map_type_str(t);
	size_t i;

	if (!s) {
		snprintf(buf, len, "type %u", t);
		return buf;
	}
	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = toupper((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

/* Made by a build for another FW_MAX_IFACES: what it says to do. */
static char foreign_msg[1024];

static int foreign_fail(void)
{
	return fw_fail(-ERANGE, "%s", foreign_msg);
}

/*
 * A pinned map is used only if it is the map this build expects: a map of
 * another size would be read past its end or written short. *ifaces is set
 * to the interface count a per-interface map was made for when only that
 * differs (a build with another FW_MAX_IFACES).
 */
static int map_check(struct fw_state *st, int fd, const struct map_want *w, __u32 *ifaces)
{
	static const char *const decide[FW_DECIDING_MAPS] = { "fw_slots", "fw_slots_hi",
							      "fw_policy" };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char got[32], want[32];

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fw_fail(-errno, "state in %s: cannot inspect map %s: %s", st->dir, w->name,
			       strerror(errno));
	for (size_t k = 0; k < FW_DECIDING_MAPS; k++)
		if (!strcmp(w->name, decide[k]))
			st->decide_ids[k] = info.id;
	if (info.type == w->type && info.key_size == w->key && info.value_size == w->value) {
		if (info.max_entries == w->max)
			return 0;
		if (w->per_iface && info.max_entries % w->per_iface == 0 &&
		    (!*ifaces || *ifaces == info.max_entries / w->per_iface)) {
			*ifaces = info.max_entries / w->per_iface;
			return 0;
		}
	}
	return fw_fail(-EPROTO,
		       "state in %s: map %s is %s key %u value %u max %u, expected %s key %u "
		       "value %u max %u: it was not made by this fwctl; remove it with the "
		       "fwctl that made it",
		       st->dir, w->name, map_type_name(info.type, got, sizeof(got)), info.key_size,
		       info.value_size, info.max_entries,
		       map_type_name(w->type, want, sizeof(want)), w->key, w->value, w->max);
}

static int check_meta(struct fw_state *st, bool *stale);

/* -ERANGE (and st->foreign_ifaces set, the maps open): the state is whole
 * but made for another number of interfaces. A map this build has and the
 * state lacks means another layout: fw_meta (opened first) says which. */
static int open_maps(struct fw_state *st)
{
	__u32 ifaces = 0;
	int err = 0;

	st->foreign_ifaces = 0;
	for (size_t i = 0; i < ARRAY_SIZE(maps_want) && !err; i++) {
		int *fd = (int *)((char *)st + maps_want[i].fd_off);

		*fd = map_get(st, maps_want[i].name);
		err = *fd < 0 ? *fd : map_check(st, *fd, &maps_want[i], &ifaces);
	}
	if (err == -ENOENT && st->meta_fd >= 0) {
		char missing[sizeof(foreign_msg)];
		bool stale;
		int e;

		snprintf(missing, sizeof(missing), "%s", fw_err());
		fw_err_clear();
		e = check_meta(st, &stale);
		if (e)
			err = e;
		else
			fw_fail(err, "%s", missing);
	}
	if (err) {
		close_maps(st);
		return err;
	}
	if (ifaces && ifaces != FW_MAX_IFACES) {
		st->foreign_ifaces = ifaces;
		snprintf(foreign_msg, sizeof(foreign_msg),
			 "state in %s was made for %u interfaces, this fwctl is built for %u: run "
			 "'fwctl save > rules.conf; fwctl detach --all' with the fwctl that made "
			 "it, "
			 "then 'fwctl restore rules.conf' with this one",
			 st->dir, ifaces, FW_MAX_IFACES);
		return foreign_fail();
	}
	return 0;
}

/*
 * The programs' sample flag is a global (xdp/fw_sample.h), in the .data map
 * libbpf makes but does not pin by name: pinned here by hand before a load,
 * so that every object of the namespace, XDP and TC alike, reads the one
 * flag the listener sets.
 */
int fw_state_share_globals(const struct fw_state *st, struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".data");
	char path[600];
	int err;

	snprintf(path, sizeof(path), "%s/%s", st->dir, FW_SAMPLE_CTL_PIN);
	err = m ? bpf_map__set_pin_path(m, path) : -ENOENT;
	if (err)
		return fw_fail(err, "cannot share the sample flag at %s: %s", path, strerror(-err));
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
	err = fw_state_share_globals(st, skel->obj);
	if (err) {
		fw_xdp__destroy(skel);
		return err;
	}
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
	__u32 n = FW_MAX_IFACES;

	if (st->foreign_ifaces && st->foreign_ifaces < n)
		n = st->foreign_ifaces; /* read-only: save needs the rules alone */
	if (bpf_map_lookup_elem(st->rules_fd, &zero, st->rules))
		return fw_fail(-errno, "cannot read rules: %s", strerror(errno));
	err = read_array(st->ifaces_fd, st->ifaces, n, sizeof(st->ifaces[0]));
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

#define LEASE "fw_lease"

/*
 * Pins in dir a netns link of fw_lease to the namespace we are in. The link
 * does not hold the namespace; once the namespace is destroyed it reads
 * netns_ino 0, which is what fw_state_gc takes as proof (docs/limits.md).
 */
static int make_lease(const char *dir)
{
	struct fw_lease *skel = NULL;
	char path[600];
	int nsfd = -1, link = -1, err = 0;

	snprintf(path, sizeof(path), "%s/" LEASE, dir);
	nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		err = -errno;
	if (!err) {
		skel = fw_lease__open_and_load();
		if (!skel)
			err = -errno ? -errno : -EIO;
	}
	if (!err) {
		link = bpf_link_create(bpf_program__fd(skel->progs.fw_lease), nsfd, BPF_SK_LOOKUP,
				       NULL);
		if (link < 0)
			err = link;
	}
	if (!err && bpf_obj_pin(link, path))
		err = -errno;
	if (!err && chmod(path, 0600))
		err = -errno;
	if (link >= 0)
		close(link);
	if (nsfd >= 0)
		close(nsfd);
	fw_lease__destroy(skel);
	if (err)
		fw_fail(err, "cannot pin the namespace lease %s: %s", path, strerror(-err));
	return err;
}

/* 1: the namespace the lease in dir was taken on is destroyed; 0: alive,
 * or no lease to tell (no proof either way). */
static int lease_dead(const char *dir)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[700];
	int fd, dead = 0;

	snprintf(path, sizeof(path), "%s/" LEASE, dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_NETNS &&
	    info.netns.attach_type == BPF_SK_LOOKUP)
		dead = info.netns.netns_ino == 0;
	close(fd);
	return dead;
}

/* A state made before leases existed gets one at its next write. A lease
 * that cannot be made costs only the cleanup by others: warned, not fatal. */
static void ensure_lease(struct fw_state *st)
{
	char path[600];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/" LEASE, st->dir);
	if (!lstat(path, &sb))
		return;
	if (make_lease(st->dir)) {
		fw_warn("%s; other fwctls will keep this state even after the namespace is "
			"gone",
			fw_err());
		fw_err_clear();
	}
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
	if (!err && make_lease(st->dir)) {
		fw_warn("%s; other fwctls will keep this state even after the namespace is gone",
			fw_err());
		fw_err_clear();
	}
	memcpy(st->dir, final, sizeof(st->dir));
	if (!err && rename(tmp, final))
		err = fw_fail(-errno, "cannot rename %s: %s", tmp, strerror(errno));
	if (err)
		close_maps(st);
	return err;
}

/*
 * A fwctl was killed mid-change: make the kernel enforce the stored rules
 * (the old ones, or the new if it got as far as storing them). Only a
 * writer does: a reader leaves the kernel alone and finds st->dirty set.
 */
static int repair(struct fw_state *st)
{
	int err = fw_recover(st);

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
		st->slots_fd = st->slots_hi_fd = st->sample_ctl_fd = st->samples_fd =
			st->sample_rate_fd = st->sample_if_fd = -1;
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
		if (err == -ERANGE && !write) {
			/* Another build's limits: the rules can still be read (save). */
			err = check_meta(st, &stale);
			if (!err && !stale) {
				st->exists = true;
				return read_tables(st);
			}
			close_maps(st);
			return err;
		}
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
			if (!err && write)
				ensure_lease(st);
			return err || !st->dirty || !write ? err : repair(st);
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

/* Writes one slot and direction's set, compiled (fw_policy_compile) against
 * the cells the entry gave out before; keep 0 frees retired cells, which
 * only a reset that has just zeroed them may ask for. */
static int write_policy(struct fw_state *st, __u32 slot, __u32 dir, const struct fw_policy *set,
			int keep)
{
	struct fw_compiled c;
	__u32 key = fw_key(slot, dir);

	if (bpf_map_lookup_elem(st->policy_fd, &key, &c))
		return fw_fail(-errno, "cannot read policy: %s", strerror(errno));
	c.set = *set;
	fw_policy_compile(&c, keep);
	if (bpf_map_update_elem(st->policy_fd, &key, &c, BPF_ANY))
		return fw_fail(-errno, "cannot write policy: %s", strerror(errno));
	return 0;
}

/* One update per direction; each is a single copy of the act bytes, so a
 * protocol blocked before and after is never seen unblocked in between. */
int fw_state_set_policy(struct fw_state *st, __u32 slot, const struct fw_policy pol[FW_DIRS])
{
	int err = 0;

	for (__u32 dir = 0; dir < FW_DIRS && !err; dir++)
		err = write_policy(st, slot, dir, &pol[dir], 1);
	return err;
}

/* Every slot's policies, pol[fw_key(slot, dir)]: what status shows. */
int fw_state_read_policies(struct fw_state *st, struct fw_policy pol[FW_MAX_IFACES * FW_DIRS])
{
	struct fw_compiled *c;
	int err;

	if (st->foreign_ifaces)
		return foreign_fail();
	c = calloc(FW_MAX_IFACES * FW_DIRS, sizeof(*c));
	if (!c)
		return fw_fail(-ENOMEM, "out of memory");
	err = read_array(st->policy_fd, c, FW_MAX_IFACES * FW_DIRS, sizeof(c[0]));
	for (int i = 0; !err && i < FW_MAX_IFACES * FW_DIRS; i++)
		pol[i] = c[i].set;
	free(c);
	return err ? fw_fail(err, "cannot read policy: %s", strerror(-err)) : 0;
}

/* Sums one interface and direction over all CPUs, by kind: sums[0-255] the
 * IP protocols, then non-IP, malformed and other (FW_IDX_*). Cells are
 * attributed by the owners the policy entry names; under the shared lock no
 * writer changes them meanwhile. */
int fw_state_read_counters(struct fw_state *st, __u32 slot, __u32 dir,
			   struct fw_counter sums[FW_IDX_SUMS])
{
	struct fw_counters *percpu;
	struct fw_compiled pol;
	__u32 key = fw_key(slot, dir);
	int err = 0;

	if (st->foreign_ifaces)
		return foreign_fail();
	percpu = calloc(st->ncpus, sizeof(*percpu));
	if (!percpu)
		return fw_fail(-ENOMEM, "out of memory");
	memset(sums, 0, sizeof(*sums) * FW_IDX_SUMS);
	if (bpf_map_lookup_elem(st->policy_fd, &key, &pol))
		err = fw_fail(-errno, "cannot read policy: %s", strerror(errno));
	if (!err && bpf_map_lookup_elem(st->counters_fd, &key, percpu))
		err = fw_fail(-errno, "cannot read counters: %s", strerror(errno));
	for (int cpu = 0; !err && cpu < st->ncpus; cpu++)
		fw_counters_add(sums, pol.owner, &percpu[cpu]);
	free(percpu);
	return err;
}

/* Zeroes counters, then frees the cells of protocols no longer blocked: the
 * program never counts in those (the act bytes name none of them), so none
 * is handed on with counts in it. A packet counted while the zeroing runs
 * lands before or after the reset, in its own kind's cell. */
int fw_state_reset_counters(struct fw_state *st, __u32 slot)
{
	struct fw_counters *zero = calloc(st->ncpus, sizeof(*zero));
	struct fw_compiled pol;
	int err = 0;

	if (!zero)
		return fw_fail(-ENOMEM, "out of memory");
	for (__u32 dir = 0; dir < FW_DIRS && !err; dir++) {
		__u32 key = fw_key(slot, dir);

		if (bpf_map_update_elem(st->counters_fd, &key, zero, BPF_ANY))
			err = fw_fail(-errno, "cannot reset counters: %s", strerror(errno));
		if (!err && bpf_map_lookup_elem(st->policy_fd, &key, &pol))
			err = fw_fail(-errno, "cannot read policy: %s", strerror(errno));
		if (!err)
			err = write_policy(st, slot, dir, &pol.set, 0);
	}
	free(zero);
	return err;
}

/*
 * Removes the state of namespaces that are gone (their pinned links would
 * otherwise keep programs alive forever). Gone means proven gone: the
 * namespace's lease reads netns_ino 0. Not finding the namespace from here
 * (a bind mount elsewhere, another mount namespace's /run/netns) proves
 * nothing, and a state with no lease is kept. Caller holds the lock.
 */
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
		if (lease_dead(dir) != 1)
			continue;
		fw_info("removing state of destroyed network namespace %llu", ino);
		if (!wipe_dir(dir))
			removed++;
	}
	if (d)
		closedir(d);
	fw_err_clear();
	return removed;
}

/* Entries of fw_slots_hi whose slot no longer serves that ifindex (an
 * interface gone without a detach): freed so the hash never fills. */
static void slots_hi_prune(struct fw_state *st)
{
	__u32 key, next, val, *prev = NULL;

	while (!bpf_map_get_next_key(st->slots_hi_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->slots_hi_fd, &key, &val))
			continue;
		if (!val || val > FW_MAX_IFACES || st->ifaces[val - 1].ifindex != key)
			bpf_map_delete_elem(st->slots_hi_fd, &key);
	}
}

/* fw_slots[ifindex] = value, if it holds `expect` (0: whatever it holds).
 * An ifindex beyond the direct table goes to fw_slots_hi, where 0 is no
 * entry at all. */
int fw_state_map_slot(struct fw_state *st, __u32 ifindex, __u32 value, __u32 expect)
{
	bool hi = ifindex >= FW_MAX_IFINDEX;
	int fd = hi ? st->slots_hi_fd : st->slots_fd, err;
	__u32 cur = 0;

	if (expect && (bpf_map_lookup_elem(fd, &ifindex, &cur) || cur != expect))
		return 0;
	if (hi && !value) {
		if (bpf_map_delete_elem(fd, &ifindex) && errno != ENOENT)
			return fw_fail(-errno, "cannot write slot map: %s", strerror(errno));
		return 0;
	}
	if (!bpf_map_update_elem(fd, &ifindex, &value, BPF_ANY))
		return 0;
	err = -errno;
	if (hi && err == -E2BIG) {
		slots_hi_prune(st);
		err = bpf_map_update_elem(fd, &ifindex, &value, BPF_ANY) ? -errno : 0;
	}
	return err ? fw_fail(err, "cannot write slot map: %s", strerror(-err)) : 0;
}

/* The current namespace's rules with no lock: one lookup of the pinned
 * fw_rules, checked like every map. A change under way may be seen half
 * made or not at all; callers use it only to learn what to fetch early.
 * Returns how many rules are in use (0 where there is no state). */
int fw_state_peek_rules(struct fw_rule rules[FW_MAX_RULES])
{
	struct fw_state *st = calloc(1, sizeof(*st));
	const struct map_want *w = NULL;
	__u32 zero = 0, ifaces = 0;
	int fd = -1, err, n = 0;

	memset(rules, 0, sizeof(struct fw_ruleset));
	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	for (size_t i = 0; i < ARRAY_SIZE(maps_want); i++)
		if (!strcmp(maps_want[i].name, "fw_rules"))
			w = &maps_want[i];
	err = fw_netns_self(&st->ns);
	if (!err) {
		char path[600];

		snprintf(st->dir, sizeof(st->dir), "%s/fwctl/ns%llu", BPFFS,
			 (unsigned long long)st->ns.ino);
		snprintf(path, sizeof(path), "%s/fw_rules", st->dir);
		if (access(path, F_OK))
			goto out; /* no state: no rules */
		fd = map_get(st, "fw_rules");
		err = fd < 0 ? fd : map_check(st, fd, w, &ifaces);
	}
	if (!err && bpf_map_lookup_elem(fd, &zero, rules))
		err = fw_fail(-errno, "cannot read rules: %s", strerror(errno));
	for (int i = 0; !err && i < FW_MAX_RULES; i++)
		n += rules[i].target[0] != '\0';
out:
	if (fd >= 0)
		close(fd);
	free(st);
	return err ? err : n;
}
