// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_ruleset.c - ruleset text without root: the one tokenizer save and
 * restore share (quotes, escapes, '#' comments, NUL bytes, the line limit),
 * rule merging through fw_rule_change, the diff restore --check and
 * --dry-run print, names rendered for terminals and JSON, and save -> read
 * round trips of names the kernel allows. Linked with fwctl's own objects
 * (all but main.o). Prints `ok NAME` or `FAIL NAME: expected X, got Y`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include "ctl_check.h"

/* The words of line joined by '|', or "ERR: reason". */
static const char *split(const char *line, size_t len, char *out, size_t outlen)
{
	char buf[2048], *w[FW_RULESET_MAX_WORDS];
	int n;

	fw_err_clear();
	n = fw_ruleset_split(line, len, buf, w, FW_RULESET_MAX_WORDS);
	if (n < 0) {
		snprintf(out, outlen, "ERR: %s", fw_err());
		return out;
	}
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "|" : "", w[i]);
	return out;
}

static void split_case(const char *name, const char *line, const char *want)
{
	char got[2048];

	split(line, strlen(line), got, sizeof(got));
	CHECK(name, !strcmp(got, want), "expected '%s', got '%s'", want, got);
}

static void split_err(const char *name, const char *line, size_t len, const char *want)
{
	char got[2048];

	split(line, len, got, sizeof(got));
	CHECK(name, !strncmp(got, "ERR: ", 5) && strstr(got, want),
	      "expected an error with '%s', got '%s'", want, got);
}

static void test_tokenizer(void)
{
	split_case("split/words", "block icmp,udp  eth0\t--dir out\n",
		   "block|icmp,udp|eth0|--dir|out");
	split_case("split/blank", "   \r\n", "");
	split_case("split/comment_line", "# block icmp eth0", "");
	split_case("split/comment_after", "block icmp eth0 # why", "block|icmp|eth0");
	split_case("split/hash_unquoted_ends", "block icmp v#1", "block|icmp|v");
	split_case("split/hash_double_quoted", "block icmp \"v#1\"", "block|icmp|v#1");
	split_case("split/hash_single_quoted", "block icmp 'v#1' # c", "block|icmp|v#1");
	split_case("split/hash_escaped", "block icmp v\\#1", "block|icmp|v#1");
	split_case("split/space_quoted", "block icmp \"netns:a b\"", "block|icmp|netns:a b");
	split_case("split/space_escaped", "block icmp netns:a\\ b", "block|icmp|netns:a b");
	split_case("split/quotes_join", "a'b c'\"d\"e", "ab cde");
	split_case("split/escaped_quote", "\"a\\\"b\\\\c\"", "a\"b\\c");
	split_case("split/single_no_escapes", "'a\\x41'", "a\\x41");
	split_case("split/hex", "v\\xff \"v\\x23\\x41\"", "v\xff|v#A");
	split_case("split/empty_word", "attach \"\"", "attach|");
	split_case("split/utf8_kept", "block icmp v\xc3\xa9", "block|icmp|v\xc3\xa9");
	split_err("split/unterminated", "block icmp \"v#1", 15, "unterminated");
	split_err("split/unterminated_single", "block icmp 'v", 13, "unterminated");
	split_err("split/bad_hex", "v\\xg1", 5, "two hex digits");
	split_err("split/short_hex", "v\\x1", 4, "two hex digits");
	split_err("split/nul_escape", "v\\x00", 5, "NUL");
	split_err("split/trailing_backslash", "block icmp v\\\n", 14, "end of the line");
	split_err("split/nul_byte", "block icmp eth0\0 block udp eth1", 31,
		  "NUL byte at column 16");
	split_err("split/too_many_words", "a b c d e f g h i j k l m n o p q", 33, "more than 16");
}

/* Reads text as a ruleset file; returns 0 or the error, reason in why. */
static int read_text(const char *text, size_t len, struct fw_rule *rules, char *why, size_t wlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int err;

	fw_err_clear();
	err = fw_ruleset_read(f, "rules", rules);
	snprintf(why, wlen, "%s", fw_err());
	fclose(f);
	return err;
}

static void test_lines(struct fw_rule *rules)
{
	char line[FW_RULESET_MAX_LINE + 16], text[4096], why[600];
	int err, saved;

	/* "block icmp eth0" and a comment, to exactly the limit. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "block icmp eth0 #", 17);
	line[FW_RULESET_MAX_LINE] = '\n';
	err = read_text(line, FW_RULESET_MAX_LINE + 1, rules, why, sizeof(why));
	CHECK("lines/max_length_accepted", !err && !strcmp(rules[0].target, "eth0"),
	      "expected a %d-character line read, got %d (%s)", FW_RULESET_MAX_LINE, err, why);
	err = read_text(line, FW_RULESET_MAX_LINE, rules, why, sizeof(why));
	CHECK("lines/max_length_no_newline", !err, "expected accepted, got %d (%s)", err, why);

	memset(line, ' ', sizeof(line));
	memcpy(line, "block icmp eth0 #", 17);
	memcpy(text, "block udp eth1\n", 15);
	memcpy(text + 15, line, FW_RULESET_MAX_LINE + 1);
	text[15 + FW_RULESET_MAX_LINE + 1] = '\n';
	err = read_text(text, 15 + FW_RULESET_MAX_LINE + 2, rules, why, sizeof(why));
	CHECK("lines/too_long_named", err == -FW_EUSAGE && strstr(why, "rules:2: line longer"),
	      "expected 'rules:2: line longer ...', got %d (%s)", err, why);

	/* The tail after a NUL must not become a rule of its own. */
	static const char nul[] = "block icmp eth0\nblock udp eth1\0block gre eth2\n";
	err = read_text(nul, sizeof(nul) - 1, rules, why, sizeof(why));
	CHECK("lines/nul_named", err == -FW_EUSAGE && strstr(why, "rules:2: NUL byte"),
	      "expected 'rules:2: NUL byte ...', got %d (%s)", err, why);

	static const char three[] = "block bogus eth0\nblock icmp eth0\nfrob eth0\n"
				    "block icmp pid:1\n";
	/* The bad lines are listed on stderr: not here. */
	fflush(stderr);
	saved = dup(2);
	dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
	err = read_text(three, sizeof(three) - 1, rules, why, sizeof(why));
	fflush(stderr);
	close(2);
	dup2(saved, 2);
	close(saved);
	CHECK("lines/every_bad_counted", err == -FW_EUSAGE && strstr(why, "3 bad lines"),
	      "expected '3 bad lines', got %d (%s)", err, why);

	static const char opts[] = "block icmp eth0 --force\n";
	err = read_text(opts, sizeof(opts) - 1, rules, why, sizeof(why));
	CHECK("lines/force_refused", err == -FW_EUSAGE && strstr(why, "--force"),
	      "expected --force refused, got %d (%s)", err, why);

	static const char dash[] = "block icmp -- -v2\nblock udp --dir out -- \"-h\"\n";
	err = read_text(dash, sizeof(dash) - 1, rules, why, sizeof(why));
	CHECK("lines/dash_after_double_dash",
	      !err && !strcmp(rules[0].target, "-v2") && !strcmp(rules[1].target, "-h"),
	      "expected targets -v2 and -h, got %d (%s) '%s' '%s'", err, why, rules[0].target,
	      rules[1].target);
}

/* A file that never ends is refused after 16 MiB (restore --check
 * /dev/zero read one endless line until memory ran out); a long line is
 * dropped and the lines after it are still read; under -j a bad line that
 * is not UTF-8 is still one entry of the error's "errors". */
static void test_bounds(struct fw_rule *rules)
{
	static const char text[] = "block icmp eth0\nblock bo\xffgus\x01 eth0\n";
	FILE *f = fopen("/dev/zero", "r");
	char *big = malloc(3 * FW_RULESET_MAX_LINE + 32), why[600];
	json_t *errors;
	int err;

	fw_err_clear();
	err = f ? fw_ruleset_read(f, "zero", rules) : -1;
	CHECK("bounds/endless_file", err == -FW_EUSAGE && strstr(fw_err(), "larger than 16 MiB"),
	      "got %d (%s)", err, fw_err());
	if (f)
		fclose(f);
	memset(big, 'x', 3 * FW_RULESET_MAX_LINE);
	snprintf(big + 3 * FW_RULESET_MAX_LINE, 32, "\nblock gre eth1\n");
	err = read_text(big, strlen(big), rules, why, sizeof(why));
	CHECK("bounds/long_line_then_more",
	      err == -FW_EUSAGE && strstr(why, "rules:1: line longer") &&
		      !strcmp(rules[0].target, "eth1"),
	      "got %d (%s) '%s'", err, why, rules[0].target);
	free(big);

	fw_opts.json = true;
	err = read_text(text, sizeof(text) - 1, rules, why, sizeof(why));
	fw_opts.json = false;
	errors = fw_err_details_get();
	CHECK("bounds/json_errors_not_utf8",
	      err == -FW_EUSAGE && json_array_size(errors) == 1 &&
		      json_integer_value(json_object_get(json_array_get(errors, 0), "line")) == 2 &&
		      strstr(why, "rules:2: unknown protocol 'bo\\xffgus\\x01'") &&
		      fw_utf8_valid(why),
	      "got %d (%s), %zu errors", err, why, json_array_size(errors));
}

static void change(struct fw_rule *r, enum fw_change what, const char *protos, const char *dir)
{
	char *argv[] = { what == FW_BLOCK ? "block" : "unblock",
			 (char *)protos,
			 "eth0",
			 "--dir",
			 (char *)dir,
			 NULL };
	struct fw_rule_opts o = { .what = what };

	if (fw_rule_parse(5, argv, &o))
		printf("FAIL merge/parse: %s\n", fw_err());
	fw_rule_change(r, &o);
}

static void test_merge(void)
{
	struct fw_rule r = { .target = "eth0" };
	char in[256], out[256];

	change(&r, FW_BLOCK, "udp", "out");
	change(&r, FW_BLOCK, "gre", "out");
	change(&r, FW_BLOCK, "icmp", "both");
	fw_policy_format(&r.blocked[FW_DIR_IN], in, sizeof(in));
	fw_policy_format(&r.blocked[FW_DIR_OUT], out, sizeof(out));
	CHECK("merge/union", !strcmp(in, "icmp") && !strcmp(out, "icmp,udp,gre"),
	      "expected in 'icmp' out 'icmp,udp,gre', got in '%s' out '%s'", in, out);
	change(&r, FW_UNBLOCK, "udp,icmp", "out");
	fw_policy_format(&r.blocked[FW_DIR_OUT], out, sizeof(out));
	CHECK("merge/unblock_some", !strcmp(out, "gre"), "expected out 'gre', got '%s'", out);
	change(&r, FW_UNBLOCK, "all", "both");
	CHECK("merge/unblock_all",
	      fw_policy_empty(&r.blocked[FW_DIR_IN]) && fw_policy_empty(&r.blocked[FW_DIR_OUT]) &&
		      !r.blocked[FW_DIR_IN].flags,
	      "expected nothing blocked, got flags %llu",
	      (unsigned long long)r.blocked[FW_DIR_IN].flags);
}

static void test_diff(void)
{
	struct fw_rule *old = calloc(2 * FW_MAX_RULES, sizeof(*old)), *new = old + FW_MAX_RULES;
	char *argv[] = { "block", "udp", "vethc1", "--dir", "out", NULL };
	struct fw_rule_opts o = { .what = FW_BLOCK };
	json_t *c;
	char *got;

	fw_rule_parse(5, argv, &o);
	snprintf(old[0].target, sizeof(old[0].target), "vethc1");
	fw_rule_change(&old[0], &o);
	snprintf(old[1].target, sizeof(old[1].target), "docker0");
	old[1].mode = FW_MODE_GENERIC;
	new[0] = old[0];
	fw_policy_set(&new[0].blocked[FW_DIR_OUT], 47);
	snprintf(new[3].target, sizeof(new[3].target), "v#1");
	fw_policy_set(&new[3].blocked[FW_DIR_IN], 1);
	fw_policy_set(&new[3].blocked[FW_DIR_OUT], 1);
	c = fw_rules_changes(old, new);
	got = json_dumps(c, JSON_COMPACT);
	CHECK("diff/lines",
	      got && !strcmp(got, "[{\"change\":\"-\",\"rule\":\"block udp vethc1 --dir out\"},"
				  "{\"change\":\"+\",\"rule\":\"block udp,gre vethc1 --dir out\"},"
				  "{\"change\":\"-\",\"rule\":\"attach docker0 --mode generic\"},"
				  "{\"change\":\"+\",\"rule\":\"block icmp \\\"v#1\\\"\"}]"),
	      "expected -/+ vethc1, - docker0, + v#1, got %s", got);
	free(got);
	json_decref(c);
	c = fw_rules_changes(old, old);
	CHECK("diff/none", c && !json_array_size(c), "expected no change, got %zu",
	      json_array_size(c));
	json_decref(c);
	free(old);
}

static void test_names(void)
{
	char buf[FW_NAME_TEXT_LEN];
	json_t *o = json_object();
	const char *hex, *name;

	CHECK("names/escape_bytes",
	      !strcmp(fw_name_escape("v\xff\x01\\", buf, sizeof(buf)), "v\\xff\\x01\\\\"),
	      "expected 'v\\xff\\x01\\\\', got '%s'", buf);
	CHECK("names/utf8_kept",
	      !strcmp(fw_name_escape("v\xc3\xa9", buf, sizeof(buf)), "v\xc3\xa9"),
	      "expected 'v\xc3\xa9', got '%s'", buf);
	CHECK("names/overlong_escaped",
	      !fw_utf8_valid("\xc0\xaf") && !fw_utf8_valid("\xed\xa0\x80"),
	      "expected overlong and surrogate invalid, got %s", "valid");
	fw_json_set_name(o, "ifname", "v\xff");
	name = json_string_value(json_object_get(o, "ifname"));
	hex = json_string_value(json_object_get(o, "ifname_hex"));
	CHECK("names/json_not_utf8", name && hex && !strcmp(name, "v\\xff") && !strcmp(hex, "76ff"),
	      "expected ifname 'v\\xff' and ifname_hex '76ff', got '%s' '%s'", name, hex);
	json_object_clear(o);
	fw_json_set_name(o, "ifname", "eth0");
	CHECK("names/json_plain", !json_object_get(o, "ifname_hex"),
	      "expected no ifname_hex, got %s", "one");
	json_decref(o);
}

/* save -> read gives the same rules back, whatever the names. */
static void test_roundtrip(void)
{
	static const char *targets[] = {
		"v#1",
		"-v2",
		"v\xff",
		"netns:a b",
		"a\"b\\c",
		"v\xc3\xa9",
		"x'y",
		"--force",
		"container:web",
		"tab\there",
		"-",
		/* exceptions: only, one direction, and beside blocks */
		"container:mon",
		"vexc",
		"vmix",
	};
	const size_t nexc = 3;
	struct fw_rule *rules = calloc(2 * FW_MAX_RULES, sizeof(*rules)),
		       *back = rules + FW_MAX_RULES;
	char *text = NULL, why[600];
	size_t len = 0;
	FILE *f;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(targets) - nexc; i++) {
		snprintf(rules[i].target, sizeof(rules[i].target), "%s", targets[i]);
		rules[i].flags = FW_RULE_OWN_HOOK;
		fw_policy_set(&rules[i].blocked[FW_DIR_IN], 1 + i);
		if (i % 2)
			fw_policy_set(&rules[i].blocked[FW_DIR_OUT], 17);
		else
			rules[i].blocked[FW_DIR_OUT] = rules[i].blocked[FW_DIR_IN];
		rules[i].mode = i % 3;
		rules[i].hook = i % 2;
	}
	fw_policy_set(&rules[2].blocked[FW_DIR_IN], 47);
	rules[2].blocked[FW_DIR_IN].flags = FW_POLICY_STRICT;
	memset(rules[3].blocked, 0, sizeof(rules[3].blocked)); /* attach only */
	for (size_t i = ARRAY_SIZE(targets) - nexc; i < ARRAY_SIZE(targets); i++)
		snprintf(rules[i].target, sizeof(rules[i].target), "%s", targets[i]);
	fw_policy_set(&rules[11].excepted[FW_DIR_IN], 1);
	fw_policy_set(&rules[11].excepted[FW_DIR_OUT], 1);
	fw_policy_set(&rules[12].excepted[FW_DIR_IN], 58);
	rules[13].flags = FW_RULE_OWN_HOOK;
	rules[13].hook = FW_HOOK_TC;
	fw_policy_set(&rules[13].blocked[FW_DIR_IN], 17);
	fw_policy_set(&rules[13].blocked[FW_DIR_OUT], 17);
	fw_policy_set(&rules[13].excepted[FW_DIR_OUT], 1);
	f = open_memstream(&text, &len);
	err = fw_ruleset_write(f, rules, "ns\xfe");
	fclose(f);
	CHECK("roundtrip/written", !err, "expected 0, got %d", err);
	err = read_text(text, len, back, why, sizeof(why));
	CHECK("roundtrip/read", !err, "expected 0, got %d (%s)\n%s", err, why, text);
	if (getenv("V"))
		fputs(text, stdout);
	for (size_t i = 0; !err && i < ARRAY_SIZE(targets); i++) {
		char name[64], esc[FW_NAME_TEXT_LEN];
		bool same = !memcmp(&rules[i], &back[i], sizeof(rules[i]));

		snprintf(name, sizeof(name), "roundtrip/%s", fw_name_escape(targets[i], esc, 32));
		CHECK(name, same, "expected the same rule back, got target '%s'",
		      fw_name_escape(back[i].target, esc, sizeof(esc)));
	}
	free(text);
	free(rules);
}

/* Every protocol on a long quoted target: lines within the limit, and the
 * same rule back from them. */
static void test_long_set(void)
{
	struct fw_rule *r = calloc(2 * FW_MAX_RULES, sizeof(*r)), *back = r + FW_MAX_RULES;
	char *text = NULL, why[600], *line, *save = NULL;
	size_t len = 0, longest = 0;
	FILE *f;
	int err, lines = 0;

	snprintf(r[0].target, sizeof(r[0].target), "netns:%s",
		 "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0"
		 "\xef\xee\xed\xec\xeb\xea\xe9\xe8\xe7\xe6\xe5\xe4\xe3\xe2\xe1\xe0");
	memset(&r[0].blocked[FW_DIR_IN], 0xff, sizeof(r[0].blocked[0]));
	r[0].blocked[FW_DIR_IN].flags = FW_POLICY_STRICT;
	fw_policy_set(&r[0].blocked[FW_DIR_OUT], 6);
	r[0].mode = FW_MODE_GENERIC;
	r[0].hook = FW_HOOK_TC;
	r[0].flags = FW_RULE_OWN_HOOK;
	f = open_memstream(&text, &len);
	err = fw_ruleset_write(f, r, "host");
	fclose(f);
	err = err ? err : read_text(text, len, back, why, sizeof(why));
	CHECK("long_set/read_back", !err && !memcmp(&r[0], &back[0], sizeof(r[0])),
	      "expected every protocol back, got %d (%s)", err, why);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (strlen(line) > longest)
			longest = strlen(line);
	}
	CHECK("long_set/within_limit", longest <= FW_RULESET_MAX_LINE && lines >= 3,
	      "expected lines of at most %d characters, got %zu in %d lines", FW_RULESET_MAX_LINE,
	      longest, lines);
	free(text);
	free(r);
}

int main(void)
{
	struct fw_rule *rules = calloc(FW_MAX_RULES, sizeof(*rules));

	if (!rules)
		return 1;
	test_tokenizer();
	test_lines(rules);
	test_bounds(rules);
	test_merge();
	test_diff();
	test_names();
	test_roundtrip();
	test_long_set();
	free(rules);
	return fails ? 1 : 0;
}
