// SPDX-License-Identifier: GPL-2.0
/* cmd_save.c - the ruleset of one namespace as text, and back: `save` prints
 * the rules as stated, `restore` checks a whole file before it changes
 * anything, then replaces the ruleset in one derivation. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fwctl.h"

#define RESTORE_MAX_LINE 1024
#define RESTORE_MAX_ARGS 16

static const char *mode_opt[] = { "", " --mode native", " --mode generic" };

static void save_rule(FILE *f, const struct fw_rule *r)
{
	char in[1200], out[1200];
	const char *opts_mode = mode_opt[r->mode < 3 ? r->mode : 0];
	const char *opts_hook = r->hook == FW_HOOK_TC ? " --hook tc" : "";
	const char *strict_in = r->blocked[FW_DIR_IN].flags & FW_POLICY_STRICT ? " --strict" : "";
	const char *strict_out = r->blocked[FW_DIR_OUT].flags & FW_POLICY_STRICT ? " --strict" : "";
	bool has_in = !fw_policy_empty(&r->blocked[FW_DIR_IN]);
	bool has_out = !fw_policy_empty(&r->blocked[FW_DIR_OUT]);

	fw_policy_format(&r->blocked[FW_DIR_IN], in, sizeof(in));
	fw_policy_format(&r->blocked[FW_DIR_OUT], out, sizeof(out));
	if (!has_in && !has_out) {
		fprintf(f, "attach %s%s%s\n", r->target, opts_mode, opts_hook);
	} else if (!memcmp(&r->blocked[FW_DIR_IN], &r->blocked[FW_DIR_OUT],
			   sizeof(r->blocked[0]))) {
		fprintf(f, "block %s %s%s%s%s\n", in, r->target, opts_mode, opts_hook, strict_in);
	} else {
		if (has_in)
			fprintf(f, "block %s %s --dir in%s%s%s\n", in, r->target, opts_mode,
				opts_hook, strict_in);
		if (has_out)
			fprintf(f, "block %s %s --dir out%s%s%s\n", out, r->target, opts_mode,
				opts_hook, strict_out);
	}
}

int fw_save(FILE *f, struct fw_state *st)
{
	time_t now = time(NULL);
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "# fwctl %s ruleset of network namespace '%s', saved %s\n", FWCTL_VERSION,
		st->ns.name, when);
	for (int i = 0; st->exists && i < FW_MAX_RULES; i++) {
		if (!st->rules[i].target[0])
			continue;
		/* A PID means nothing after a restart: kept as a comment. */
		if (fw_target_kind(st->rules[i].target) == FW_TARGET_PID)
			fputs("# pid targets do not survive a restart, name the container:\n# ", f);
		save_rule(f, &st->rules[i]);
	}
	return ferror(f) ? -EIO : 0;
}

int cmd_save(int argc, char **argv)
{
	struct fw_state *st = calloc(1, sizeof(*st));
	FILE *f = stdout;
	int err;

	if (!st)
		return fw_fail(-ENOMEM, "out of memory");
	if (argc > 2) {
		err = fw_usage("save: expected at most one FILE");
		goto out;
	}
	err = fw_state_open(st, FW_OPEN_READ);
	if (err)
		goto out;
	if (argc == 2 && strcmp(argv[1], "-")) {
		f = fopen(argv[1], "w");
		if (!f) {
			err = fw_fail(-errno, "cannot write '%s': %s", argv[1], strerror(errno));
			goto out;
		}
	}
	err = fw_save(f, st);
	if (f != stdout && fclose(f) && !err)
		err = -errno;
	if (err)
		err = fw_fail(err, "cannot write '%s': %s", argc == 2 ? argv[1] : "stdout",
			      strerror(-err));
out:
	fw_state_close(st);
	free(st);
	return err;
}

/* Splits a line into words; '#' starts a comment. Returns the word count. */
static int split(char *line, char **argv, int max)
{
	int n = 0;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (n == max)
			return -1;
		argv[n++] = tok;
	}
	return n;
}

/* Target syntax only: at boot the interfaces may not exist yet. */
static int check_target(const char *target)
{
	switch (fw_target_kind(target)) {
	case FW_TARGET_IFACE:
		if (strlen(target) >= FW_IFNAME_LEN || strchr(target, '/') || strchr(target, ':'))
			return fw_usage("bad interface name '%s'", target);
		return 0;
	case FW_TARGET_PID:
		return fw_usage("pid: targets do not survive a restart; name the container");
	default:
		return strchr(target, ':')[1] ? 0 : fw_usage("bad target '%s'", target);
	}
}

/* One line into rules[]; on error the reason is left in fw_err(). */
static int restore_line(char *line, struct fw_rule *rules, int *nrules)
{
	char *argv[RESTORE_MAX_ARGS + 1];
	struct fw_rule_opts o = {};
	struct fw_rule *r = NULL;
	int argc = split(line, argv, RESTORE_MAX_ARGS), err;

	if (argc < 0)
		return fw_usage("too many words");
	if (!argc)
		return 0;
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "--force"))
			return fw_usage("'%s' does not belong in a ruleset", argv[i]);
	if (!strcmp(argv[0], "attach"))
		o.what = FW_ATTACH;
	else if (!strcmp(argv[0], "block"))
		o.what = FW_BLOCK;
	else
		return fw_usage("'%s': a ruleset holds only attach and block lines", argv[0]);
	err = fw_rule_parse(argc, argv, &o);
	if (!err)
		err = check_target(o.target);
	if (err)
		return err;
	for (int i = 0; i < *nrules; i++)
		if (!strcmp(rules[i].target, o.target))
			r = &rules[i];
	if (!r) {
		if (*nrules == FW_MAX_RULES)
			return fw_usage("more than %d targets", FW_MAX_RULES);
		r = &rules[(*nrules)++];
		snprintf(r->target, sizeof(r->target), "%s", o.target);
	}
	fw_rule_change(r, &o);
	return 0;
}

/* Reads and checks the whole file; rules[] is only good if this returns 0. */
static int restore_parse(const char *path, struct fw_rule *rules)
{
	char line[RESTORE_MAX_LINE + 2];
	int lineno = 0, nrules = 0, err = 0;
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

	if (!f)
		return fw_fail(-errno, "cannot read '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char why[512];

		lineno++;
		if (strlen(line) > RESTORE_MAX_LINE) {
			err = fw_usage("%s:%d: line too long", path, lineno);
			break;
		}
		err = restore_line(line, rules, &nrules);
		if (err) {
			snprintf(why, sizeof(why), "%s", fw_err());
			fw_err_clear();
			err = fw_usage("%s:%d: %s", path, lineno, why);
			break;
		}
	}
	if (!err && ferror(f))
		err = fw_fail(-EIO, "cannot read '%s'", path);
	if (f != stdin)
		fclose(f);
	return err;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option longopts[] = { { "check", no_argument, NULL, 'c' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	struct fw_rule *rules = calloc(FW_MAX_RULES, sizeof(*rules));
	struct fw_rule *old = calloc(FW_MAX_RULES, sizeof(*old));
	struct fw_state *st = calloc(1, sizeof(*st));
	bool check = false;
	int c, err;

	if (!rules || !old || !st) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ch", longopts, NULL)) != -1) {
		if (c == 'c') {
			check = true;
		} else if (c == 'h') {
			fw_usage_print(stdout, "restore");
			exit(FW_EXIT_OK);
		} else {
			err = fw_usage("restore: unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		err = fw_usage("restore: expected FILE, see 'fwctl help restore'");
		goto out;
	}
	err = restore_parse(argv[optind], rules);
	if (err || check)
		goto out;

	err = fw_state_open(st, FW_OPEN_WRITE);
	if (err)
		goto out;
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
