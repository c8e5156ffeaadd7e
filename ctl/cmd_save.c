// SPDX-License-Identifier: GPL-2.0
/* cmd_save.c - the ruleset of one namespace as text, and back: `save` prints
 * the rules as stated, `restore` checks a whole file before it changes
 * anything, then replaces the ruleset in one derivation. The format is
 * ruleset.c's. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fwctl.h"
#include "opts.h"

struct save_args {
	const char *file; /* NULL or "-": stdout */
};

/* Under -j: {"netns": ..., "rules": [...]}, the rules as status lists them. */
static int save_json(FILE *f, const struct fw_state *st)
{
	json_t *doc = json_object();
	int err;

	fw_json_set_name(doc, "netns", st->ns.name);
	json_object_set_new(doc, "rules", fw_rules_json(st->rules));
	err = json_dumpf(doc, f, JSON_COMPACT | JSON_ENSURE_ASCII) || fputc('\n', f) == EOF;
	json_decref(doc);
	return err ? -EIO : 0;
}

/* FILE is replaced whole or not at all: `save rules.conf` on a full disk
 * must not leave the old rules cut short. The text goes to a new file
 * beside it (".NAME.XXXXXX"), synced, then renamed over it, keeping its
 * mode and owner; through a symlink, the file it leads to is replaced. What
 * is not a regular file (/dev/stdout, a FIFO) is written as it is. Returns
 * the stream; *tmp is the new file's path, "" when written in place. */
static FILE *open_out(const char *path, char *real, char *tmp, size_t len)
{
	struct stat sb;
	bool exists = !stat(path, &sb);
	const char *slash;
	mode_t mask;
	FILE *f;
	int fd;

	tmp[0] = '\0';
	if (exists && !S_ISREG(sb.st_mode))
		return fopen(path, "w");
	if (!exists || !realpath(path, real))
		snprintf(real, len, "%s", path);
	slash = strrchr(real, '/');
	if (snprintf(tmp, len, "%.*s.%s.XXXXXX", slash ? (int)(slash - real + 1) : 0, real,
		     slash ? slash + 1 : real) >= (int)len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		tmp[0] = '\0';
		return NULL;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, exists ? sb.st_mode & 07777 : 0666 & ~mask) ||
	    (exists && fchown(fd, sb.st_uid, sb.st_gid) && errno != EPERM) ||
	    !(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(tmp);
		tmp[0] = '\0';
		errno = e;
		return NULL;
	}
	return f;
}

/* Closes what open_out() opened: renamed into place when all was written
 * (err 0), else the new file removed and FILE left as it was. */
static int close_out(FILE *f, const char *real, const char *tmp, int err)
{
	if (!err && (fflush(f) || ferror(f) || (tmp[0] && fsync(fileno(f)))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (tmp[0] && !err && rename(tmp, real))
		err = -errno;
	if (tmp[0] && err)
		unlink(tmp);
	return err ? err : 0;
}

static int cmd_save(const void *args)
{
	const struct save_args *a = args;
	const char *path = a->file && strcmp(a->file, "-") ? a->file : NULL;
	struct fw_state *st = calloc(1, sizeof(*st));
	char real[PATH_MAX], tmp[PATH_MAX];
	FILE *f = stdout;
	int err;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	err = fw_state_open(st, FW_OPEN_READ);
	if (err)
		goto out;
	if (path) {
		f = open_out(path, real, tmp, sizeof(tmp));
		if (!f) {
			err = fw_fail(-errno, "cannot write '%s': %s", path, strerror(errno));
			goto out;
		}
	}
	if (!st->exists)
		memset(st->rules, 0, sizeof(st->rules));
	err = fw_opts.json ? save_json(f, st) : fw_ruleset_write(f, st->rules, st->ns.name);
	if (f != stdout)
		err = close_out(f, real, tmp, err);
	if (err)
		err = fw_fail(err, "cannot write '%s': %s", path ? path : "stdout", strerror(-err));
out:
	fw_state_close(st);
	free(st);
	return err;
}

/* Reads and checks the whole file; rules[] is only good if this returns 0. */
static int restore_parse(const char *path, struct fw_rule *rules)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int err;

	if (!f)
		return fw_fail(-errno, "cannot read '%s': %s", path, strerror(errno));
	err = fw_ruleset_read(f, path, rules);
	if (f != stdin)
		fclose(f);
	return err;
}

struct restore_args {
	const char *file;
	bool check;
};

static int cmd_restore(const void *args)
{
	const struct restore_args *a = args;
	struct fw_rule *rules = calloc(FW_MAX_RULES, sizeof(*rules));
	struct fw_rule *old = calloc(FW_MAX_RULES, sizeof(*old));
	struct fw_state *st = calloc(1, sizeof(*st));
	bool check = a->check;
	int err;

	if (!rules || !old || !st) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* Every line is checked, with the targets that cover nothing here. */
	err = restore_parse(a->file, rules);
	if (err)
		goto out;

	/* --check: what restore would change, from the rules as stored. */
	err = fw_state_open(st, check ? FW_OPEN_READ : FW_OPEN_WRITE);
	if (err)
		goto out;
	if (check) {
		err = fw_rules_diff(st->exists ? st->rules : old, rules, st->ns.name);
		goto out;
	}
	memcpy(old, st->rules, sizeof(st->rules));
	memcpy(st->rules, rules, sizeof(st->rules));
	/* One derivation from the old rules to the new: policies of interfaces
	 * covered by both are rewritten in place, never cleared in between. */
	err = fw_rules_commit(st, old, NULL, NULL);
	if (!err)
		err = fw_state_drop_if_empty(st);
	else
		fw_state_drop_if_empty(st);
out:
	fw_state_close(st);
	free(st);
	free(old);
	free(rules);
	return err;
}

static const struct fw_opt save_opts[] = {
	FW_POSITIONAL("FILE", offsetof(struct save_args, file), 0),
	{},
};

const struct fw_cmd fw_cmd_save = {
	.name = "save",
	.run = cmd_save,
	.size = sizeof(struct save_args),
	.opts = save_opts,
	.synopsis = "[FILE]",
	.what = "print (or write) the whole ruleset in restore format (-j: as JSON)",
	.flags = FW_CMD_ROOT,
};

static const struct fw_opt restore_opts[] = {
	FW_FLAG("check", 'c', "only validate, and print what restore would change",
		offsetof(struct restore_args, check)),
	FW_POSITIONAL("FILE", offsetof(struct restore_args, file), FW_OPT_REQUIRED),
	{},
};

const struct fw_cmd fw_cmd_restore = {
	.name = "restore",
	.run = cmd_restore,
	.size = sizeof(struct restore_args),
	.opts = restore_opts,
	.synopsis = "[--check] FILE",
	.what = "replace the whole ruleset atomically (--check: only validate)",
	.flags = FW_CMD_ROOT,
};
