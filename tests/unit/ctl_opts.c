// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_opts.c - the one option parser, without root: global options before
 * and after the command, '--', unknown options, missing values, extra and
 * missing arguments, values in any case, --help and --version, ruleset lines,
 * "did you mean", and that every command's synopsis names exactly the
 * options of its table. Linked with fwctl's own objects (all but main.o).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_check.h"
#include "../../ctl/opts.h"

/* Parses the words (NULL-terminated) as `fwctl WORDS...`; cli->args must
 * be freed. Returns the error, with fw_err() holding its reason. */
static int parse(struct fw_cli *cli, ...)
{
	char *argv[32] = { "fwctl" };
	int argc = 1, err;
	va_list ap;

	va_start(ap, cli);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(&fw_opts, 0, sizeof(fw_opts));
	fw_err_clear();
	err = fw_cli_parse(argc, argv, cli);
	return err;
}

static bool has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static const struct fw_rule_opts *rule(const struct fw_cli *cli)
{
	return cli->args;
}

static void test_globals(void)
{
	struct fw_cli cli;
	int err;

	err = parse(&cli, "-n", "H", "block", "icmp", "vethc1", NULL);
	CHECK("globals/before",
	      !err && cli.cmd == &fw_cmd_block && fw_opts.netns && !strcmp(fw_opts.netns, "H") &&
		      !strcmp(rule(&cli)->target, "vethc1"),
	      "err %d (%s), netns %s", err, fw_err(), fw_opts.netns ? fw_opts.netns : "NULL");
	free(cli.args);

	err = parse(&cli, "block", "icmp", "vethc1", "-n", "H", "-j", NULL);
	CHECK("globals/after",
	      !err && fw_opts.netns && !strcmp(fw_opts.netns, "H") && fw_opts.json &&
		      !strcmp(rule(&cli)->protos, "icmp"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "status", "--netns=blue", "-qj", NULL);
	CHECK("globals/long_equals_and_cluster",
	      !err && fw_opts.netns && !strcmp(fw_opts.netns, "blue") && fw_opts.quiet &&
		      fw_opts.json,
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "-nblue", "status", NULL);
	CHECK("globals/short_attached_value",
	      !err && fw_opts.netns && !strcmp(fw_opts.netns, "blue"), "err %d (%s)", err,
	      fw_err());
	free(cli.args);

	/* watch's own --netns adds a namespace; it is not the global one. */
	err = parse(&cli, "watch", "--netns", "A", "--netns", "B", NULL);
	CHECK("globals/command_option_first", !err && !fw_opts.netns, "err %d (%s), netns %s", err,
	      fw_err(), fw_opts.netns ? fw_opts.netns : "NULL");
	free(cli.args);

	err = parse(&cli, "-q", "status", "-v", NULL);
	CHECK("globals/quiet_verbose", err == -FW_EUSAGE && has(fw_err(), "-q and -v"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
}

static void test_errors(void)
{
	struct fw_cli cli;
	int err;

	err = parse(&cli, "block", "icmp", "eth0", "--frobnicate", NULL);
	CHECK("errors/unknown_option",
	      err == -FW_EUSAGE && has(fw_err(), "block: unknown option '--frobnicate'"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "-x", NULL);
	CHECK("errors/unknown_short", err == -FW_EUSAGE && has(fw_err(), "unknown option '-x'"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "--dir", NULL);
	CHECK("errors/missing_value",
	      err == -FW_EUSAGE && has(fw_err(), "option '--dir' needs a value"), "err %d (%s)",
	      err, fw_err());
	free(cli.args);

	err = parse(&cli, "status", "-n", NULL);
	CHECK("errors/missing_global_value",
	      err == -FW_EUSAGE && has(fw_err(), "option '-n' needs a value"), "err %d (%s)", err,
	      fw_err());
	free(cli.args);

	err = parse(&cli, "status", "a", "b", NULL);
	CHECK("errors/extra_argument",
	      err == -FW_EUSAGE && has(fw_err(), "status: unexpected argument 'b'"), "err %d (%s)",
	      err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", NULL);
	CHECK("errors/missing_argument",
	      err == -FW_EUSAGE && has(fw_err(), "expected PROTO[,PROTO...] TARGET"), "err %d (%s)",
	      err, fw_err());
	free(cli.args);

	err = parse(&cli, "detach", NULL);
	CHECK("errors/detach_needs_target", err == -FW_EUSAGE && has(fw_err(), "TARGET or --all"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "--force=yes", NULL);
	CHECK("errors/flag_with_value", err == -FW_EUSAGE && has(fw_err(), "takes no value"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "stats", "--watch", "abc", NULL);
	CHECK("errors/bad_seconds",
	      err == -FW_EUSAGE && has(fw_err(), "bad --watch 'abc': seconds from 0.1 to 3600"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "stats", "--count", "3", NULL);
	CHECK("errors/count_needs_watch", err == -FW_EUSAGE && has(fw_err(), "--count goes with"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, NULL);
	CHECK("errors/no_command", err == -FW_EUSAGE && has(fw_err(), "no command"), "err %d (%s)",
	      err, fw_err());
	free(cli.args);

	err = parse(&cli, "watch", "-j", NULL);
	CHECK("errors/watch_refuses_json", err == -FW_EUSAGE && has(fw_err(), "no JSON"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	/* An error before a later -j is answered in JSON. */
	err = parse(&cli, "frob", "-j", NULL);
	CHECK("errors/json_seen_after_error", err == -FW_EUSAGE && fw_opts.json, "err %d, json %d",
	      err, fw_opts.json);
	free(cli.args);
}

static void test_dashdash_and_values(void)
{
	struct fw_cli cli;
	int err;

	err = parse(&cli, "block", "icmp", "--", "-v2", NULL);
	CHECK("dashdash/ends_options",
	      !err && !fw_opts.verbose && rule(&cli)->target && !strcmp(rule(&cli)->target, "-v2"),
	      "err %d (%s), verbose %d", err, fw_err(), fw_opts.verbose);
	free(cli.args);

	err = parse(&cli, "block", "--dir", "IN", "icmp", "eth0", "--mode", "Native", "--hook",
		    "TC", NULL);
	CHECK("values/case_insensitive",
	      !err && rule(&cli)->dir == FW_RULE_IN && rule(&cli)->mode == FW_MODE_NATIVE &&
		      rule(&cli)->hook == FW_HOOK_TC && rule(&cli)->dirs[FW_DIR_IN] &&
		      !rule(&cli)->dirs[FW_DIR_OUT],
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", NULL);
	CHECK("values/defaults",
	      !err && rule(&cli)->mode == -1 && rule(&cli)->hook == -1 &&
		      rule(&cli)->dirs[FW_DIR_IN] && rule(&cli)->dirs[FW_DIR_OUT],
	      "err %d (%s), mode %d hook %d", err, fw_err(), rule(&cli)->mode, rule(&cli)->hook);
	free(cli.args);

	err = parse(&cli, "attach", "eth0", "--mode", "skb", NULL);
	CHECK("values/alias", !err && rule(&cli)->mode == FW_MODE_GENERIC, "err %d (%s)", err,
	      fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "--dir", "sideways", NULL);
	CHECK("values/bad_enum",
	      err == -FW_EUSAGE && has(fw_err(), "bad --dir 'sideways': use in, out or both"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "restore", "-", NULL);
	CHECK("values/dash_is_an_argument", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
}

/* An option given twice: two values are refused (the first was silently
 * dropped: "--dir in --dir out" blocked only out); the same value, a flag
 * or a repeatable option are no harm. */
static void test_twice(void)
{
	struct fw_cli cli;
	char *line[] = { "block", "icmp", "eth0", "--dir", "in", "--dir=out", NULL };
	struct fw_rule_opts o;
	int err;

	err = parse(&cli, "block", "icmp", "eth0", "--dir", "in", "--dir", "out", NULL);
	CHECK("twice/enum_refused",
	      err == -FW_EUSAGE && has(fw_err(), "block: option '--dir' given twice ('in', then "
						 "'out')"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "-n", "A", "status", "-n", "B", NULL);
	CHECK("twice/global_refused",
	      err == -FW_EUSAGE && has(fw_err(), "option '-n' given twice ('A', then 'B')"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "-n", "A", "status", "--netns=a", NULL);
	CHECK("twice/names_keep_case", err == -FW_EUSAGE && has(fw_err(), "given twice"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "monitor", "--count", "1", "--packets", "--count", "2", NULL);
	CHECK("twice/count_refused", err == -FW_EUSAGE && has(fw_err(), "'--count' given twice"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "block", "icmp", "eth0", "--dir", "in", "--dir", "IN", "-j", "-j",
		    "--dry-run", "--dry-run", NULL);
	CHECK("twice/same_value_and_flags",
	      !err && rule(&cli)->dirs[FW_DIR_IN] && !rule(&cli)->dirs[FW_DIR_OUT] && fw_opts.json,
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "watch", "--netns", "A", "--netns", "B", NULL);
	CHECK("twice/repeatable", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
	fw_err_clear();
	err = fw_rule_parse(6, line, &o);
	CHECK("twice/ruleset_line", err == -FW_EUSAGE && has(fw_err(), "'--dir' given twice"),
	      "err %d (%s)", err, fw_err());
}

/* An option that would be ignored is refused; numbers are digits only. */
static void test_ignored(void)
{
	static const char *const bad[][8] = {
		{ "stats", "-j", "-H" },
		{ "monitor", "--human", "-j" },
		{ "watch", "--metrics-interval", "5" },
		{ "watch", "-i", "5", "--metrics-listen", "127.0.0.1:9469" },
		{ "stats", "--watch", "0x1" },
		{ "stats", "--watch", " 1" },
		{ "stats", "--watch", "1e0" },
		{ "stats", "--watch", "inf" },
		{ "monitor", "--count", "+1" },
		{ "monitor", "--count", "0x10" },
		/* Given, though equal to the default: still ignored. */
		{ "monitor", "--rate", "100" },
		{ "monitor", "--packets", "--interval", "1" },
		{ "stats", "--count", "1" },
	};
	struct fw_cli cli;
	char name[96];
	int err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const *w = bad[i];

		err = parse(&cli, w[0], w[1], w[2], w[3], w[4], NULL);
		snprintf(name, sizeof(name), "ignored/%s_%zu", w[0], i);
		CHECK(name, err == -FW_EUSAGE, "expected a usage error, got %d (%s)", err,
		      fw_err());
		free(cli.args);
	}
	err = parse(&cli, "stats", "--watch", ".5", "--count", "3", "-H", NULL);
	CHECK("ignored/fraction_and_human", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "watch", "-m", "/tmp/m.prom", "-i", "5", NULL);
	CHECK("ignored/interval_with_file", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "monitor", "--packets", "--rate", "100", NULL);
	CHECK("ignored/rate_with_packets", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "monitor", "--interval", "1", "--count", "2", NULL);
	CHECK("ignored/interval_alone", !err, "err %d (%s)", err, fw_err());
	free(cli.args);
}

/* Whatever bytes an argument holds, the error is one line of UTF-8: a
 * newline, an escape or a stray byte is shown as \xNN. */
static void test_one_line(void)
{
	struct fw_cli cli;
	int err;

	err = parse(&cli, "bl\nock", NULL);
	CHECK("oneline/newline",
	      err == -FW_EUSAGE && has(fw_err(), "'bl\\x0aock'") && !strchr(fw_err(), '\n'),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "status", "--\xff\x1b[2J", NULL);
	CHECK("oneline/not_utf8_and_escape",
	      err == -FW_EUSAGE && fw_utf8_valid(fw_err()) && !strchr(fw_err(), '\x1b'),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
	err = parse(&cli, "block", "ic\xc3\xa9mp", "eth0", "--mode", "caf\xc3\xa9", NULL);
	CHECK("oneline/utf8_kept", err == -FW_EUSAGE && has(fw_err(), "'caf\xc3\xa9'"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);
}

static void test_help_version(void)
{
	static const char *cmds[] = { "attach", "detach",  "block", "unblock", "stats",	 "status",
				      "save",	"restore", "watch", "monitor", "doctor", "help" };
	struct fw_cli cli;
	int err, bad = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		err = parse(&cli, cmds[i], "--help", NULL);
		if (err || !cli.help || !cli.cmd || strcmp(cli.cmd->name, cmds[i])) {
			printf("  %s --help: err %d (%s)\n", cmds[i], err, fw_err());
			bad++;
		}
		free(cli.args);
		err = parse(&cli, cmds[i], "-h", NULL);
		bad += err || !cli.help;
		free(cli.args);
	}
	CHECK("help/every_command", !bad, "%d commands without --help", bad);

	err = parse(&cli, "block", "--frob", "--help", NULL);
	CHECK("help/wins_over_an_error", !err && cli.help, "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "status", "--version", NULL);
	CHECK("version/after_command", !err && cli.version, "err %d (%s)", err, fw_err());
	free(cli.args);
}

static void test_did_you_mean(void)
{
	static const char *const cands[] = { "icmp", "tcp", "udp", "gre" };
	struct fw_cli cli;
	struct fw_policy set;
	int err;

	CHECK("dym/transposition", fw_edit_distance("icpm", "icmp") == 1, "distance %d",
	      fw_edit_distance("icpm", "icmp"));
	CHECK("dym/suggest",
	      fw_suggest("icpm", cands, 4) && !strcmp(fw_suggest("icpm", cands, 4), "icmp"),
	      "got %s", fw_suggest("icpm", cands, 4) ? fw_suggest("icpm", cands, 4) : "NULL");
	CHECK("dym/far_is_nothing", !fw_suggest("zzzzzz", cands, 4), "got %s",
	      fw_suggest("zzzzzz", cands, 4));
	CHECK("dym/same_in_other_case_is_nothing", !fw_suggest("ICMP", cands, 4), "got %s",
	      fw_suggest("ICMP", cands, 4));

	err = parse(&cli, "stauts", NULL);
	CHECK("dym/command", err == -FW_EUSAGE && has(fw_err(), "did you mean stats or status?"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "detatch", "--all", NULL);
	CHECK("dym/command_insertion", has(fw_err(), "did you mean detach?"), "(%s)", fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "--dri", "in", NULL);
	CHECK("dym/option", err == -FW_EUSAGE && has(fw_err(), "did you mean --dir?"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	err = parse(&cli, "block", "icmp", "eth0", "--dir", "ot", NULL);
	CHECK("dym/value", err == -FW_EUSAGE && has(fw_err(), "did you mean out?"), "err %d (%s)",
	      err, fw_err());
	free(cli.args);

	err = parse(&cli, "help", "unblok", NULL);
	CHECK("dym/help_command", err == -FW_EUSAGE && has(fw_err(), "did you mean unblock?"),
	      "err %d (%s)", err, fw_err());
	free(cli.args);

	fw_err_clear();
	err = fw_proto_parse_list("icpm", &set, false);
	CHECK("dym/protocol",
	      err == -FW_EUSAGE && has(fw_err(), "unknown protocol 'icpm' (did you mean icmp?)"),
	      "err %d (%s)", err, fw_err());
	fw_err_clear();
	err = fw_proto_parse_list("ICMP,Udp", &set, false);
	CHECK("dym/protocol_any_case", !err && fw_policy_test(&set, 1) && fw_policy_test(&set, 17),
	      "err %d (%s)", err, fw_err());
}

static void test_rules(void)
{
	struct fw_rule_opts o;
	char *swapped[] = { "block", "vethc1", "icmp", NULL };
	char *target[] = { "block", "icmp", "netns:c1", NULL };
	char *lo[] = { "block", "icmp", "lo", NULL };
	char *global[] = { "block", "icmp", "eth0", "-n", "H", NULL };
	char *dir[] = { "block", "udp", "eth0", "--dir", "OUT", NULL };
	int err;

	fw_err_clear();
	err = fw_rule_parse(3, swapped, &o);
	CHECK("rules/swapped",
	      err == -FW_EUSAGE &&
		      has(fw_err(), "'vethc1' is not a protocol, but 'icmp' is; usage: fwctl block "
				    "PROTO[,PROTO...] TARGET"),
	      "err %d (%s)", err, fw_err());
	fw_err_clear();
	target[1] = "netns:c1";
	target[2] = "icmp";
	err = fw_rule_parse(3, target, &o);
	CHECK("rules/swapped_container_target",
	      err == -FW_EUSAGE && has(fw_err(), "'netns:c1' is a target"), "err %d (%s)", err,
	      fw_err());
	fw_err_clear();
	err = fw_rule_parse(3, lo, &o);
	CHECK("rules/lo_refused", err == -FW_EUSAGE && has(fw_err(), "'lo' covers nothing"),
	      "err %d (%s)", err, fw_err());
	fw_err_clear();
	err = fw_rule_parse(5, global, &o);
	CHECK("rules/no_global_in_a_ruleset",
	      err == -FW_EUSAGE && has(fw_err(), "unknown option '-n'"), "err %d (%s)", err,
	      fw_err());
	fw_err_clear();
	err = fw_rule_parse(5, dir, &o);
	CHECK("rules/ruleset_line",
	      !err && !o.dirs[FW_DIR_IN] && o.dirs[FW_DIR_OUT] && fw_policy_test(&o.set, 17),
	      "err %d (%s)", err, fw_err());
}

/* Every option of a command's table is in its synopsis (with its values),
 * and every --option of the synopsis is in the table. */
static void test_synopsis(void)
{
	json_t *doc = fw_help_json(NULL), *cmd, *opt, *form;
	size_t i, j, k;
	int bad = 0;

	json_array_foreach(json_object_get(doc, "commands"), i, cmd)
	{
		const char *name = json_string_value(json_object_get(cmd, "name"));
		char syn[1024] = "";

		json_array_foreach(json_object_get(cmd, "synopsis"), k, form)
			snprintf(syn + strlen(syn), sizeof(syn) - strlen(syn), " %s ",
				 json_string_value(form));
		json_array_foreach(json_object_get(cmd, "options"), j, opt)
		{
			const char *o = json_string_value(json_object_get(opt, "name"));
			const char *arg = json_string_value(json_object_get(opt, "arg"));
			char want[256];

			snprintf(want, sizeof(want), "%s%s%s", o, arg ? " " : "", arg ? arg : "");
			if (!strstr(syn, want)) {
				printf("  %s: synopsis lacks '%s'\n", name, want);
				bad++;
			}
		}
		for (char *p = syn; (p = strstr(p, "--"));) {
			char word[64];
			bool found = false;

			sscanf(p, "%63[a-z-]", word);
			p += strlen(word);
			json_array_foreach(json_object_get(cmd, "options"), j, opt) found |=
				!strcmp(word, json_string_value(json_object_get(opt, "name")));
			if (!found) {
				printf("  %s: synopsis names '%s', not in its table\n", name, word);
				bad++;
			}
		}
	}
	CHECK("help/synopsis_matches_table", !bad, "%d differences", bad);
	json_decref(doc);
}

int main(void)
{
	test_globals();
	test_errors();
	test_dashdash_and_values();
	test_twice();
	test_one_line();
	test_ignored();
	test_help_version();
	test_did_you_mean();
	test_rules();
	test_synopsis();
	return fails ? 1 : 0;
}
