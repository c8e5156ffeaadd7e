// SPDX-License-Identifier: GPL-2.0
/*
 * ruleset.c - rules as text and back, and changes to them: the words of a
 * ruleset line (one tokenizer, and its inverse for save), the options of one
 * rule (fw_rule_parse), a change to a rule (fw_rule_change), a whole file
 * (fw_ruleset_read), the difference between two rulesets as rule lines
 * (fw_rules_diff), and making the kernel enforce a new ruleset
 * (fw_rules_commit). Commands (cmd_rules.c, cmd_save.c) only call these.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "fwctl.h"
#include "opts.h"

/* --- the options of attach, detach, block and unblock ------------------- */

static const struct fw_opt_value dir_values[] = {
	{ "in", FW_RULE_IN, false },
	{ "out", FW_RULE_OUT, false },
	{ "both", FW_RULE_IN | FW_RULE_OUT, false },
	{},
};
static const struct fw_opt_value mode_values[] = {
	{ "auto", FW_MODE_AUTO, false },
	{ "native", FW_MODE_NATIVE, false },
	{ "generic", FW_MODE_GENERIC, false },
	{ "skb", FW_MODE_GENERIC, true },
	{},
};
static const struct fw_opt_value hook_values[] = {
	{ "xdp", FW_HOOK_XDP, false },
	{ "tc", FW_HOOK_TC, false },
	{},
};

#define R(field) offsetof(struct fw_rule_opts, field)
#define OPT_DIR                                                                                    \
	FW_ENUM("dir", 'd', "directions seen from TARGET (default both)", R(dir), dir_values)
#define OPT_MODE                                                                                   \
	FW_ENUM("mode", 'm', "XDP mode: auto tries native, then generic (default)", R(mode),       \
		mode_values)
#define OPT_HOOK                                                                                   \
	FW_ENUM("hook", 'H', "what TARGET receives goes through XDP (default) or TC", R(hook),     \
		hook_values)
#define OPT_FORCE   FW_FLAG("force", 'f', "replace another tool's XDP program", R(force))
#define OPT_DRY_RUN FW_FLAG("dry-run", 0, "print the change to the rules, make none", R(dry_run))

static const struct fw_opt attach_opts[] = {
	OPT_MODE,
	OPT_HOOK,
	OPT_FORCE,
	FW_FLAG("upgrade", 'u', "swap this build's programs in, rules and counters kept",
		R(upgrade)),
	FW_POSITIONAL("TARGET", R(target), 0),
	{},
};
static const struct fw_opt detach_opts[] = {
	FW_FLAG("all", 'a', "every rule of the namespace", R(all)),
	FW_POSITIONAL("TARGET", R(target), 0),
	{},
};
static const struct fw_opt block_opts[] = {
	OPT_DIR,
	FW_FLAG("strict", 's', "drop path MTU and neighbour discovery ICMP too", R(strict)),
	OPT_MODE,
	OPT_HOOK,
	OPT_FORCE,
	OPT_DRY_RUN,
	FW_POSITIONAL("PROTO[,PROTO...]", R(protos), FW_OPT_REQUIRED),
	FW_POSITIONAL("TARGET", R(target), FW_OPT_REQUIRED),
	{},
};
static const struct fw_opt unblock_opts[] = {
	OPT_DIR,
	OPT_DRY_RUN,
	FW_POSITIONAL("PROTO[,PROTO...]|all", R(protos), FW_OPT_REQUIRED),
	FW_POSITIONAL("TARGET", R(target), FW_OPT_REQUIRED),
	{},
};

static void init(struct fw_rule_opts *o, enum fw_change what)
{
	o->what = what;
	o->mode = o->hook = -1;
}

static void attach_init(void *o)
{
	init(o, FW_ATTACH);
}

static void detach_init(void *o)
{
	init(o, FW_DETACH);
}

static void block_init(void *o)
{
	init(o, FW_BLOCK);
}

static void unblock_init(void *o)
{
	init(o, FW_UNBLOCK);
}

static const char *const verb[] = { "attach", "detach", "block", "unblock" };

/* How the options go together; what they name is fw_rule_check()'s. */
static int rule_combine(void *args, const struct fw_given *given)
{
	(void)given;
	struct fw_rule_opts *o = args;
	const char *cmd = verb[o->what];

	o->dirs[FW_DIR_IN] = !o->dir || (o->dir & FW_RULE_IN);
	o->dirs[FW_DIR_OUT] = !o->dir || (o->dir & FW_RULE_OUT);
	if (o->upgrade && (o->mode >= 0 || o->hook >= 0 || o->force))
		return fw_usage("%s: --upgrade takes at most a TARGET and no other option", cmd);
	if (o->all && o->target)
		return fw_usage("%s: --all takes no target", cmd);
	if (!o->target && !o->all && !o->upgrade)
		return fw_usage("%s: expected TARGET%s, see 'fwctl help %s'", cmd,
				o->what == FW_DETACH ? " or --all" : "", cmd);
	return 0;
}

const struct fw_cmd fw_cmd_attach = {
	.name = "attach",
	.run = cmd_attach,
	.size = sizeof(struct fw_rule_opts),
	.opts = attach_opts,
	.init = attach_init,
	.check = rule_combine,
	.synopsis = "TARGET [--mode auto|native|generic] [--hook xdp|tc] [--force]\n"
		    "--upgrade [TARGET]",
	.what = "load and attach without blocking anything",
	.flags = FW_CMD_ROOT,
};
const struct fw_cmd fw_cmd_detach = {
	.name = "detach",
	.run = cmd_detach,
	.size = sizeof(struct fw_rule_opts),
	.opts = detach_opts,
	.init = detach_init,
	.check = rule_combine,
	.synopsis = "TARGET | --all",
	.what = "remove programs, links and state of TARGET (or all)",
	.flags = FW_CMD_ROOT,
};
const struct fw_cmd fw_cmd_block = {
	.name = "block",
	.run = cmd_block,
	.size = sizeof(struct fw_rule_opts),
	.opts = block_opts,
	.init = block_init,
	.check = rule_combine,
	.synopsis = "PROTO[,PROTO...] TARGET [--dir in|out|both] [--strict] "
		    "[--mode auto|native|generic] [--hook xdp|tc] [--force] [--dry-run]",
	.what = "drop these IP protocols on TARGET",
	.flags = FW_CMD_ROOT,
};
const struct fw_cmd fw_cmd_unblock = {
	.name = "unblock",
	.run = cmd_unblock,
	.size = sizeof(struct fw_rule_opts),
	.opts = unblock_opts,
	.init = unblock_init,
	.check = rule_combine,
	.synopsis = "PROTO[,PROTO...]|all TARGET [--dir in|out|both] [--dry-run]",
	.what = "stop dropping them",
	.flags = FW_CMD_ROOT,
};

/* A ruleset line: the verb's own table, no global option. */
int fw_rule_parse(int argc, char **argv, struct fw_rule_opts *o)
{
	const struct fw_cmd *cmd = fw_cmd_find(argv[0]);
	int err;

	memset(o, 0, sizeof(*o));
	if (!cmd || cmd->check != rule_combine)
		return fw_usage("'%s' is not a rule", argv[0]);
	err = fw_cmd_parse(cmd, argc - 1, argv + 1, o);
	return err ? err : fw_rule_check(o, false);
}

/* "'vethc1' is an interface; usage: ..." when PROTO and TARGET look swapped. */
static int swapped(const struct fw_rule_opts *o, bool live)
{
	const char *cmd = verb[o->what], *what = "not a protocol, but '%s' is";
	struct fw_policy set;
	char is[128];
	int err;

	if (fw_target_kind(o->protos) != FW_TARGET_IFACE) {
		what = "a target";
	} else {
		err = fw_proto_parse_list(o->target, &set, o->what == FW_UNBLOCK);
		fw_err_clear();
		if (err)
			return 0;
		if (live && strlen(o->protos) < FW_IFNAME_LEN &&
		    !fw_link_get(o->protos, 0, &(struct fw_link){}))
			what = "an interface";
		fw_err_clear();
	}
	snprintf(is, sizeof(is), what, o->target);
	return fw_usage("%s: '%s' is %s; usage: fwctl %s %s TARGET", cmd, o->protos, is, cmd,
			o->what == FW_UNBLOCK ? "PROTO[,PROTO...]|all" : "PROTO[,PROTO...]");
}

int fw_rule_check(struct fw_rule_opts *o, bool live)
{
	int err;

	if (o->protos) {
		err = fw_proto_parse_list(o->protos, &o->set, o->what == FW_UNBLOCK);
		if (err) {
			char why[sizeof(((struct fw_state *)0)->dir)];

			snprintf(why, sizeof(why), "%s", fw_err());
			fw_err_clear();
			err = swapped(o, live);
			if (!err)
				err = fw_usage("%s", why);
			return err;
		}
	}
	if (!o->target)
		return 0;
	if (!o->target[0] || strlen(o->target) >= FW_TARGET_LEN)
		return fw_usage("bad target '%s'", o->target);
	if (o->what == FW_ATTACH || o->what == FW_BLOCK)
		return fw_target_useless(o->target);
	return 0;
}

/* Blocking a protocol ends its exception; unblocking it ends its block and
 * makes the exception o->except names. */
void fw_rule_change(struct fw_rule *r, const struct fw_rule_opts *o)
{
	for (int d = 0; d < FW_DIRS; d++) {
		if (!o->dirs[d])
			continue;
		for (int i = 0; i < 4; i++) {
			if (o->what == FW_BLOCK) {
				r->blocked[d].blocked[i] |= o->set.blocked[i];
				r->excepted[d].blocked[i] &= ~o->set.blocked[i];
			} else {
				r->blocked[d].blocked[i] &= ~o->set.blocked[i];
				r->excepted[d].blocked[i] |= o->except[d].blocked[i];
			}
		}
		if (o->strict)
			r->blocked[d].flags |= FW_POLICY_STRICT;
		if (fw_policy_empty(&r->blocked[d]))
			r->blocked[d].flags = 0;
	}
	if (o->what == FW_ATTACH || o->what == FW_BLOCK)
		r->flags |= FW_RULE_OWN_HOOK;
	if (o->mode >= 0)
		r->mode = o->mode;
	if (o->hook >= 0)
		r->hook = o->hook;
}

/* Nothing left to enforce: leave no pin behind. */
int fw_state_drop_if_empty(struct fw_state *st)
{
	for (int i = 0; i < FW_MAX_RULES; i++)
		if (st->rules[i].target[0])
			return 0;
	for (int s = 0; s < FW_MAX_IFACES; s++)
		if (st->ifaces[s].ifindex)
			return 0;
	return fw_state_destroy(st);
}

/*
 * Enforces st->rules and keeps them, checking against the kernel (and
 * repairing) the interfaces `target` covers, or all of them when NULL. An
 * interface that cannot be covered fails alone: the rules are kept and
 * every other interface enforces them. On a hard failure the old rules are
 * back in force and kept, and the first error is the one reported.
 */
int fw_rules_commit(struct fw_state *st, const struct fw_rule *old, const struct fw_attach_req *req,
		    const char *target)
{
	struct fw_scope scope = { .all = !target, .target = target };
	bool quiet = fw_opts.quiet, partial;
	int err = fw_apply(st, req, &scope, &partial), e;

	if (!err || partial) {
		e = fw_state_save_rules(st);
		if (!e)
			e = fw_state_mark(st, false);
		return e ? e : err;
	}
	memcpy(st->rules, old, sizeof(st->rules));
	fw_opts.quiet = true;
	if (!fw_apply(st, NULL, NULL, &partial) || partial)
		fw_state_mark(st, false);
	fw_opts.quiet = quiet;
	return err;
}

/* --- ruleset lines as words ---------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "\xNN" or "\c" at line[*i] (the backslash) into *o. */
static int unescape(const char *line, size_t len, size_t *i, char **o)
{
	static const char hex[] = "0123456789abcdef";
	const char *h, *l;

	if (*i + 1 >= len || line[*i + 1] == '\n')
		return fw_usage("'\\' at the end of the line");
	if (line[*i + 1] != 'x') {
		*(*o)++ = line[*i + 1];
		*i += 2;
		return 0;
	}
	h = *i + 2 < len && line[*i + 2] ? strchr(hex, tolower((unsigned char)line[*i + 2])) : NULL;
	l = *i + 3 < len && line[*i + 3] ? strchr(hex, tolower((unsigned char)line[*i + 3])) : NULL;
	if (!h || !l)
		return fw_usage("'\\x' needs two hex digits");
	if (h == hex && l == hex)
		return fw_usage("'\\x00': a name cannot hold a NUL byte");
	*(*o)++ = (char)((h - hex) << 4 | (l - hex));
	*i += 4;
	return 0;
}

/*
 * Splits line[0..len) into at most max words, written NUL-terminated into
 * buf (len + 1 bytes), and returns how many. Words are separated by blanks;
 * an unquoted '#' ends the line (a comment); '...' is taken as it is; in
 * "..." and outside quotes, "\xNN" is that byte and '\' before any other
 * character is that character. A NUL byte anywhere is an error.
 */
int fw_ruleset_split(const char *line, size_t len, char *buf, char **words, int max)
{
	const char *nul = memchr(line, '\0', len);
	size_t i = 0;
	char *o = buf;
	int n = 0, err;

	if (nul)
		return fw_usage("NUL byte at column %zu", (size_t)(nul - line) + 1);
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len || line[i] == '#')
			return n;
		if (n == max)
			return fw_usage("more than %d words", max);
		words[n++] = o;
		while (i < len && !is_blank(line[i]) && line[i] != '#') {
			char q = line[i];

			if (q == '\\') {
				err = unescape(line, len, &i, &o);
				if (err)
					return err;
			} else if (q == '\'' || q == '"') {
				for (i++; i < len && line[i] != q;) {
					if (q == '"' && line[i] == '\\') {
						err = unescape(line, len, &i, &o);
						if (err)
							return err;
					} else {
						*o++ = line[i++];
					}
				}
				if (i == len)
					return fw_usage("unterminated %c quote", q);
				i++;
			} else {
				*o++ = line[i++];
			}
		}
		*o++ = '\0';
	}
}

/* Bytes a word may hold unquoted (with UTF-8 beyond ASCII). */
static bool is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_-.,:@%+=/~^", c);
}

/*
 * word as fw_ruleset_split() reads it back: as it is when it holds only
 * plain bytes and UTF-8, else in double quotes with '"' and '\' escaped and
 * control bytes and bytes that are not UTF-8 as "\xNN". Returns 0, or
 * -ENOSPC when len is too short.
 */
int fw_ruleset_quote(const char *word, char *buf, size_t len)
{
	bool quote = !word[0];
	size_t off = 0, n;

	for (const char *s = word; *s && !quote; s += n) {
		n = fw_utf8_char(s);
		quote = !n || (n == 1 && !is_plain(*s));
	}
	if (!quote)
		return snprintf(buf, len, "%s", word) < (int)len ? 0 : -ENOSPC;
	off = snprintf(buf, len, "\"");
	for (const char *s = word; *s; s += n) {
		unsigned char c = *s;

		n = fw_utf8_char(s);
		if (c == '"' || c == '\\')
			off += snprintf(buf + off, off < len ? len - off : 0, "\\%c", c);
		else if (!n || c < 0x20 || c == 0x7f)
			off += snprintf(buf + off, off < len ? len - off : 0, "\\x%02x", c), n = 1;
		else
			off += snprintf(buf + off, off < len ? len - off : 0, "%.*s", (int)n, s);
	}
	off += snprintf(buf + off, off < len ? len - off : 0, "\"");
	return off < len ? 0 : -ENOSPC;
}

/* --- rules as lines ------------------------------------------------------ */

static const char *mode_opt[] = { "", " --mode native", " --mode generic" };

/* One line: "VERB [PROTOS] TARGET OPTS", or "VERB [PROTOS] OPTS -- TARGET"
 * where the target starts with '-' and would be read as an option. */
static int rule_line(char *buf, size_t len, const char *verb, const char *protos,
		     const char *target, const char *opts)
{
	char t[FW_NAME_TEXT_LEN + 2];
	int n;

	if (fw_ruleset_quote(target, t, sizeof(t)))
		return -ENOSPC;
	if (target[0] == '-')
		n = snprintf(buf, len, "%s%s%s%s -- %s", verb, protos[0] ? " " : "", protos, opts,
			     t);
	else
		n = snprintf(buf, len, "%s%s%s %s%s", verb, protos[0] ? " " : "", protos, t, opts);
	return n < (int)len ? 0 : -ENOSPC;
}

/* verb ("block", "unblock") lines for the protocols of p, as few as the
 * line limit allows. */
static int proto_lines(char lines[FW_RULE_MAX_LINES][FW_RULE_LINE_LEN], int *n, const char *verb,
		       const struct fw_policy *p, const char *target, const char *opts)
{
	char t[FW_NAME_TEXT_LEN + 2], protos[FW_RULE_LINE_LEN];
	unsigned int next = 0;
	int fixed, err;

	if (fw_ruleset_quote(target, t, sizeof(t)))
		return -ENOSPC;
	/* VERB " " PROTOS OPTS " -- " TARGET, at most. */
	fixed = strlen(verb) + strlen("  -- ") + strlen(t) + strlen(opts);
	if (fixed >= FW_RULESET_MAX_LINE)
		return -ENOSPC;
	while (next < 256) {
		err = fw_policy_format_from(p, &next, protos, FW_RULESET_MAX_LINE - fixed + 1);
		if (err)
			return err;
		if (!protos[0])
			break;
		if (*n == FW_RULE_MAX_LINES)
			return -ENOSPC;
		err = rule_line(lines[(*n)++], FW_RULE_LINE_LEN, verb, protos, target, opts);
		if (err)
			return err;
	}
	return 0;
}

/* The lines `save` writes for rule r (1 to FW_RULE_MAX_LINES), without
 * newlines; returns how many. */
int fw_rule_lines(const struct fw_rule *r, char lines[FW_RULE_MAX_LINES][FW_RULE_LINE_LEN])
{
	const char *mode = mode_opt[r->mode < 3 ? r->mode : 0];
	const char *hook = r->hook == FW_HOOK_TC ? " --hook tc" : "";
	const char *strict_in = r->blocked[FW_DIR_IN].flags & FW_POLICY_STRICT ? " --strict" : "";
	const char *strict_out = r->blocked[FW_DIR_OUT].flags & FW_POLICY_STRICT ? " --strict" : "";
	bool has_in = !fw_policy_empty(&r->blocked[FW_DIR_IN]);
	bool has_out = !fw_policy_empty(&r->blocked[FW_DIR_OUT]);
	bool ex_in = !fw_policy_empty(&r->excepted[FW_DIR_IN]);
	bool ex_out = !fw_policy_empty(&r->excepted[FW_DIR_OUT]);
	char opts[128];
	int n = 0, err = 0;

	if (!has_in && !has_out && ((r->flags & FW_RULE_OWN_HOOK) || (!ex_in && !ex_out))) {
		snprintf(opts, sizeof(opts), "%s%s", mode, hook);
		err = rule_line(lines[n++], FW_RULE_LINE_LEN, "attach", "", r->target, opts);
	} else if (!memcmp(&r->blocked[FW_DIR_IN], &r->blocked[FW_DIR_OUT],
			   sizeof(r->blocked[0]))) {
		snprintf(opts, sizeof(opts), "%s%s%s", mode, hook, strict_in);
		err = proto_lines(lines, &n, "block", &r->blocked[FW_DIR_IN], r->target, opts);
	} else if (has_in || has_out) {
		if (has_in) {
			snprintf(opts, sizeof(opts), " --dir in%s%s%s", mode, hook, strict_in);
			err = proto_lines(lines, &n, "block", &r->blocked[FW_DIR_IN], r->target,
					  opts);
		}
		if (has_out && !err) {
			snprintf(opts, sizeof(opts), " --dir out%s%s%s", mode, hook, strict_out);
			err = proto_lines(lines, &n, "block", &r->blocked[FW_DIR_OUT], r->target,
					  opts);
		}
	}
	/* Exceptions, as stated: "unblock PROTOS TARGET [--dir D]". */
	if (!err && ex_in && ex_out &&
	    !memcmp(&r->excepted[FW_DIR_IN], &r->excepted[FW_DIR_OUT], sizeof(r->excepted[0]))) {
		err = proto_lines(lines, &n, "unblock", &r->excepted[FW_DIR_IN], r->target, "");
	} else {
		if (!err && ex_in)
			err = proto_lines(lines, &n, "unblock", &r->excepted[FW_DIR_IN], r->target,
					  " --dir in");
		if (!err && ex_out)
			err = proto_lines(lines, &n, "unblock", &r->excepted[FW_DIR_OUT], r->target,
					  " --dir out");
	}
	return err ? err : n;
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

/* One line into rules[0..*nrules); on error the reason is left in fw_err(). */
int fw_ruleset_line(const char *line, size_t len, struct fw_rule *rules, int *nrules)
{
	char *argv[FW_RULESET_MAX_WORDS + 1], *buf = malloc(len + 1);
	struct fw_rule_opts o = {};
	struct fw_rule *r = NULL;
	int argc, err;

	if (!buf)
		return fw_fail(-ENOMEM, "out of memory");
	argc = err = fw_ruleset_split(line, len, buf, argv, FW_RULESET_MAX_WORDS);
	if (argc <= 0)
		goto out;
	argv[argc] = NULL;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "--force") || !strcmp(argv[i], "--dry-run")) {
			err = fw_usage("'%s' does not belong in a ruleset", argv[i]);
			goto out;
		}
	}
	if (!strcmp(argv[0], "attach")) {
		o.what = FW_ATTACH;
	} else if (!strcmp(argv[0], "block")) {
		o.what = FW_BLOCK;
	} else if (!strcmp(argv[0], "unblock")) {
		o.what = FW_UNBLOCK; /* an exception to the target's bridge's rule */
	} else {
		err = fw_usage("'%s': a ruleset holds only attach, block and unblock lines",
			       argv[0]);
		goto out;
	}
	err = fw_rule_parse(argc, argv, &o);
	if (!err && o.upgrade)
		err = fw_usage("'--upgrade' does not belong in a ruleset");
	/* -f, -fs: the spellings the loop above cannot see. */
	if (!err && (o.force || o.dry_run))
		err = fw_usage("'%s' does not belong in a ruleset",
			       o.force ? "--force" : "--dry-run");
	if (!err && o.what == FW_UNBLOCK && !strcmp(o.protos, "all"))
		err = fw_usage("'unblock all' does not belong in a ruleset: name the protocols");
	for (int d = 0; !err && o.what == FW_UNBLOCK && d < FW_DIRS; d++)
		if (o.dirs[d])
			o.except[d] = o.set;
	if (!err)
		err = check_target(o.target);
	if (err)
		goto out;
	for (int i = 0; i < *nrules; i++)
		if (!strcmp(rules[i].target, o.target))
			r = &rules[i];
	if (!r) {
		if (*nrules == FW_MAX_RULES) {
			err = fw_usage("more than %d targets", FW_MAX_RULES);
			goto out;
		}
		r = &rules[(*nrules)++];
		memset(r, 0, sizeof(*r));
		snprintf(r->target, sizeof(r->target), "%s", o.target);
	}
	fw_rule_change(r, &o);
out:
	free(buf);
	return err < 0 ? err : 0;
}

/* A ruleset is read up to this many bytes: a file that never ends
 * (/dev/zero, a pipe fed forever) is refused, not read until memory or
 * patience runs out. 16 MiB is 16384 lines of the longest kind. */
#define RULESET_MAX_BYTES (16u << 20)

/* The next line of f, newline included: its first cap bytes go to buf (cap
 * + 1 bytes, NUL-terminated), the
 * rest of a longer one is read and dropped. Returns its length in the file,
 * -1 at the end (or at RULESET_MAX_BYTES: *total counts every byte read). */
static ssize_t read_line(FILE *f, char *buf, size_t cap, size_t *total)
{
	ssize_t n = 0;
	int c;

	while (*total < RULESET_MAX_BYTES && (c = getc(f)) != EOF) {
		++*total;
		if ((size_t)n < cap)
			buf[n] = c;
		n++;
		if (c == '\n')
			break;
	}
	buf[(size_t)n < cap ? (size_t)n : cap] = '\0';
	return n ? n : -1;
}

/*
 * Reads and checks a whole ruleset from f (named path in messages) into
 * rules[FW_MAX_RULES]; they are only good if this returns 0. Every bad line
 * is named, up to FW_RULESET_MAX_ERRORS of them, then a count: on stderr,
 * or under -j as the error's "errors" ({"line", "error"} each), so that the
 * error is one document on stdout.
 */
int fw_ruleset_read(FILE *f, const char *path, struct fw_rule *rules)
{
	char line[FW_RULESET_MAX_LINE + 3], first[600] = "";
	int lineno = 0, nrules = 0, nbad = 0, err = 0;
	json_t *bad = fw_opts.json ? json_array() : NULL;
	size_t total = 0;
	ssize_t len;

	memset(rules, 0, FW_MAX_RULES * sizeof(*rules));
	while ((len = read_line(f, line, sizeof(line) - 1, &total)) >= 0) {
		bool whole = len < (ssize_t)sizeof(line); /* in line[], NUL-terminated */
		size_t chars = whole && line[len - 1] == '\n' ? len - 1 : len;
		char why[512];

		lineno++;
		if (chars > FW_RULESET_MAX_LINE) {
			snprintf(why, sizeof(why), "line longer than %d characters",
				 FW_RULESET_MAX_LINE);
		} else {
			err = fw_ruleset_line(line, len, rules, &nrules);
			if (err == -ENOMEM)
				break;
			if (!err)
				continue;
			snprintf(why, sizeof(why), "%s", fw_err());
			fw_err_clear();
		}
		err = 0;
		if (bad && nbad < FW_RULESET_MAX_ERRORS)
			json_array_append_new(
				bad, json_pack("{s:i, s:s}", "line", lineno, "error", why));
		/* One bad line is the error main() prints; more are listed here,
		 * in order, and main() prints their count. fw_log() keeps each
		 * one line, whatever bytes the path holds. */
		if (!nbad++)
			snprintf(first, sizeof(first), "%s:%d: %s", path, lineno, why);
		else if (nbad == 2 && !bad)
			fw_log(FW_LOG_ERR, "%s", first);
		if (nbad >= 2 && nbad <= FW_RULESET_MAX_ERRORS && !bad)
			fw_log(FW_LOG_ERR, "%s:%d: %s", path, lineno, why);
	}
	if (nbad && !err && bad) {
		fw_err_details(bad);
		bad = NULL;
	}
	json_decref(bad);
	if (err)
		return err;
	if (ferror(f))
		return fw_fail(-EIO, "cannot read '%s': %s", path, strerror(errno));
	if (total >= RULESET_MAX_BYTES && getc(f) != EOF)
		return fw_usage("%s: larger than %u MiB, not a ruleset", path,
				RULESET_MAX_BYTES >> 20);
	if (nbad == 1)
		return fw_usage("%s", first);
	if (nbad > FW_RULESET_MAX_ERRORS)
		return fw_usage("%s: and %d more bad lines (%d in all)", path,
				nbad - FW_RULESET_MAX_ERRORS, nbad);
	if (nbad)
		return fw_usage("%s: %d bad lines", path, nbad);
	return 0;
}

/* --- the difference between two rulesets --------------------------------- */

static const struct fw_rule *rule_of(const struct fw_rule *rules, const char *target)
{
	for (int i = 0; i < FW_MAX_RULES; i++)
		if (rules[i].target[0] && !strcmp(rules[i].target, target))
			return &rules[i];
	return NULL;
}

static void diff_lines(const struct fw_rule *a, const struct fw_rule *b, char sign, json_t *out)
{
	char(*la)[FW_RULE_LINE_LEN] = calloc(2 * FW_RULE_MAX_LINES, FW_RULE_LINE_LEN);
	char(*lb)[FW_RULE_LINE_LEN];
	int na = 0, nb = 0;

	if (!la)
		return;
	lb = la + FW_RULE_MAX_LINES;
	if (a)
		na = fw_rule_lines(a, la);
	if (b)
		nb = fw_rule_lines(b, lb);
	for (int i = 0; i < na; i++) {
		bool same = false;

		for (int j = 0; j < nb; j++)
			same |= !strcmp(la[i], lb[j]);
		if (!same)
			json_array_append_new(out,
					      json_pack("{s:s, s:s}", "change",
							sign == '-' ? "-" : "+", "rule", la[i]));
	}
	free(la);
}

/*
 * How the ruleset old becomes new, as rule lines that go and come, target by
 * target: a JSON array of {"change": "-" or "+", "rule": LINE}, or NULL.
 */
json_t *fw_rules_changes(const struct fw_rule *old, const struct fw_rule *new)
{
	json_t *changes = json_array();

	for (int k = 0; changes && k < 2 * FW_MAX_RULES; k++) {
		const struct fw_rule *r = k < FW_MAX_RULES ? &old[k] : &new[k - FW_MAX_RULES];
		const struct fw_rule *o, *n;

		if (!r->target[0])
			continue;
		o = rule_of(old, r->target);
		n = rule_of(new, r->target);
		/* Each target once: where it first appears. */
		if (k >= FW_MAX_RULES && o)
			continue;
		diff_lines(o, n, '-', changes);
		diff_lines(n, o, '+', changes);
	}
	return changes;
}

/* Prints fw_rules_changes() as "- LINE" and "+ LINE", or under -j as
 * {"netns", "changes": [...]}; "no change" on stderr (unless -q) if none. */
int fw_rules_diff(const struct fw_rule *old, const struct fw_rule *new, const char *netns)
{
	json_t *changes = fw_rules_changes(old, new), *c;
	size_t i;

	if (!changes)
		return fw_fail(-ENOMEM, "out of memory");
	if (fw_opts.json) {
		json_t *doc = json_object();

		fw_json_set_name(doc, "netns", netns);
		json_object_set(doc, "changes", changes);
		fw_json_print(doc);
		json_decref(doc);
	} else {
		json_array_foreach(changes, i, c)
		{
			printf("%s %s\n", json_string_value(json_object_get(c, "change")),
			       json_string_value(json_object_get(c, "rule")));
		}
		if (!json_array_size(changes) && !fw_opts.quiet)
			fprintf(stderr, "fwctl: no change\n");
	}
	json_decref(changes);
	return 0;
}

/* rules[FW_MAX_RULES] in the format fw_ruleset_read() reads, with a header
 * comment naming the namespace. */
int fw_ruleset_write(FILE *f, const struct fw_rule *rules, const char *netns)
{
	char(*lines)[FW_RULE_LINE_LEN] = calloc(FW_RULE_MAX_LINES, FW_RULE_LINE_LEN);
	char ns[FW_NAME_TEXT_LEN];
	time_t now = time(NULL);
	char when[64];
	int n, err = 0;

	if (!lines)
		return -ENOMEM;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "# fwctl %s ruleset of network namespace '%s', saved %s\n", FWCTL_VERSION,
		fw_name_escape(netns, ns, sizeof(ns)), when);
	for (int i = 0; i < FW_MAX_RULES; i++) {
		if (!rules[i].target[0])
			continue;
		n = fw_rule_lines(&rules[i], lines);
		if (n < 0) {
			err = n;
			break;
		}
		/* A PID means nothing after a restart: kept as a comment. */
		if (fw_target_kind(rules[i].target) == FW_TARGET_PID)
			fputs("# pid targets do not survive a restart, name the container:\n", f);
		for (int j = 0; j < n; j++)
			fprintf(f, "%s%s\n",
				fw_target_kind(rules[i].target) == FW_TARGET_PID ? "# " : "",
				lines[j]);
	}
	free(lines);
	return err ? err : ferror(f) ? -EIO : 0;
}

/* The rules as stated, for save -j and status -j: [{"target", "in", "out",
 * "strict": {"in", "out"}, "except": {"in", "out"}, "mode", "hook"}], in
 * the order they are kept. */
json_t *fw_rules_json(const struct fw_rule *rules)
{
	static const char *const mode[] = { "auto", "native", "generic" };
	json_t *arr = json_array();

	for (int i = 0; arr && i < FW_MAX_RULES; i++) {
		const struct fw_rule *r = &rules[i];
		json_t *rule;

		if (!r->target[0])
			continue;
		rule = json_pack("{s:o, s:o, s:o, s:{s:b, s:b}, s:{s:o, s:o}, s:s, s:s}", "target",
				 fw_name_json(r->target), "in",
				 fw_policy_json(&r->blocked[FW_DIR_IN]), "out",
				 fw_policy_json(&r->blocked[FW_DIR_OUT]), "strict", "in",
				 !!(r->blocked[FW_DIR_IN].flags & FW_POLICY_STRICT), "out",
				 !!(r->blocked[FW_DIR_OUT].flags & FW_POLICY_STRICT), "except",
				 "in", fw_policy_json(&r->excepted[FW_DIR_IN]), "out",
				 fw_policy_json(&r->excepted[FW_DIR_OUT]), "mode",
				 mode[r->mode < 3 ? r->mode : 0], "hook",
				 r->hook == FW_HOOK_TC ? "tc" : "xdp");
		if (rule)
			fw_json_set_name(rule, "target", r->target);
		json_array_append_new(arr, rule);
	}
	return arr;
}
