// SPDX-License-Identifier: GPL-2.0
/* cmd_save.c - the ruleset of one namespace as text, and back: `save` prints
 * the rules as stated, `restore` checks a whole file before it changes
 * anything, then replaces the ruleset in one derivation. The format is
 * ruleset.c's. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

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
	if (!st->exists)
		memset(st->rules, 0, sizeof(st->rules));
	err = fw_ruleset_write(f, st->rules, st->ns.name);
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
