// SPDX-License-Identifier: GPL-2.0
/*
 * opts.c - the one option parser: a command line against the tables the
 * commands declare (opts.h), global options before or after the command,
 * "did you mean" for what is close to a real name, and help, text or JSON,
 * from the same tables.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fwctl.h"
#include "opts.h"

static const struct fw_cmd *const commands[] = {
	&fw_cmd_attach, &fw_cmd_detach,	 &fw_cmd_block,	 &fw_cmd_unblock,
	&fw_cmd_stats,	&fw_cmd_status,	 &fw_cmd_save,	 &fw_cmd_restore,
	&fw_cmd_watch,	&fw_cmd_monitor, &fw_cmd_doctor, &fw_cmd_help,
};

struct globals {
	const char *netns;
	bool json, quiet, verbose, version, help;
};

#define G(field) offsetof(struct globals, field)
static const struct fw_opt global_opts[] = {
	FW_STRING("netns", 'n', "NETNS",
		  "act in that network namespace: a name under /run/netns, a path such as "
		  "/proc/PID/ns/net, or pid:PID",
		  G(netns)),
	FW_FLAG("json", 'j', "machine-readable output (one JSON document per command)", G(json)),
	FW_FLAG("quiet", 'q', "no warnings (errors still go to stderr)", G(quiet)),
	FW_FLAG("verbose", 'v', "show what libbpf, libxdp and the verifier say", G(verbose)),
	FW_FLAG("version", 'V', "print the version", G(version)),
	FW_FLAG("help", 'h', "this help, or the command's", G(help)),
	{}
};

static const char *usage_tail =
	"\n"
	"Global options go before or after the command; '--' ends the options.\n"
	"PROTO: a name from /etc/protocols (icmp, tcp, udp, gre, sctp, esp, ipv6-icmp or\n"
	"icmpv6, ...) or a number 0-255, case-insensitive; it matches the IPv4 protocol\n"
	"and the IPv6 upper-layer protocol.\n"
	"TARGET: an interface (a bridge covers its ports too), or a container's ports:\n"
	"container:NAME (Docker name or id), netns:NAME (under /run/netns), pid:PID.\n"
	"Directions are seen from TARGET: in = what it receives, out = what it sends\n"
	"(for a container: what the container receives and sends).\n"
	"Blocking icmp keeps fragmentation-needed, blocking ipv6-icmp keeps packet-too-big\n"
	"and neighbour discovery working, unless --strict.\n"
	"Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 status: not enforced.\n";

/* --- did you mean ---------------------------------------------------------- */

static int tolower_c(char c)
{
	return tolower((unsigned char)c);
}

/* Optimal string alignment distance, case-insensitive: "icpm" is 1 from
 * "icmp". Words longer than 64 are far from everything. */
int fw_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int d[65][65];

	if (la > 64 || lb > 64)
		return 1000;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = tolower_c(a[i - 1]) != tolower_c(b[j - 1]);
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && tolower_c(a[i - 1]) == tolower_c(b[j - 2]) &&
			    tolower_c(a[i - 2]) == tolower_c(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* Two as close as each other are both named: "stats or status". */
const char *fw_suggest(const char *word, const char *const *cands, int n)
{
	static char both[128];
	size_t len = strlen(word);
	/* A typo, not another word: one edit in short words, two in long. */
	int best = len < 2 ? 0 : len < 7 ? 1 : 2, found = -1, second = -1;

	for (int i = 0; i < n; i++) {
		int d = fw_edit_distance(word, cands[i]);

		if (!d)
			return NULL; /* it is a name, in another case */
		if (d > best || (found >= 0 && !strcmp(cands[found], cands[i])))
			continue;
		if (found < 0 || d < best) {
			best = d;
			found = i;
			second = -1;
		} else if (second < 0) {
			second = i;
		}
	}
	if (found < 0)
		return NULL;
	if (second < 0)
		return cands[found];
	snprintf(both, sizeof(both), "%s or %s", cands[found], cands[second]);
	return both;
}

const char *fw_did_you_mean(const char *suggestion, char *buf, size_t len)
{
	if (!suggestion)
		return "";
	snprintf(buf, len, " (did you mean %s?)", suggestion);
	return buf;
}

/* --- the tables ------------------------------------------------------------ */

const struct fw_cmd *fw_cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static bool is_pos(const struct fw_opt *o)
{
	return o->flags & FW_OPT_POS;
}

/* "in|out|both" for an enum, else the metavar. */
static const char *metavar(const struct fw_opt *o, char *buf, size_t len)
{
	size_t off = 0;

	if (o->type != FW_OPT_ENUM)
		return o->arg;
	buf[0] = '\0';
	for (const struct fw_opt_value *v = o->values; v->name; v++)
		if (!v->alias)
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? "|" : "", v->name);
	return buf;
}

static const struct fw_opt *find_long(const struct fw_opt *t, const char *name, size_t len)
{
	for (; t && t->name; t++)
		if (!is_pos(t) && strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

static const struct fw_opt *find_short(const struct fw_opt *t, char c)
{
	for (; t && t->name; t++)
		if (!is_pos(t) && t->short_name && t->short_name == c)
			return t;
	return NULL;
}

/* --- parsing --------------------------------------------------------------- */

struct parse {
	const struct fw_cmd *cmd; /* NULL until the command word */
	void *args;
	struct globals *g; /* NULL: no global options (a ruleset line) */
	const char *pos[FW_STRS_MAX];
	int npos;
	/* The value each option of the command's table ([0]) and of the
	 * global ones ([1]) was given, by its index: once is enough. */
	const char *given[2][64];
};

static const char *prefix(const struct parse *p)
{
	return p->cmd ? p->cmd->name : "";
}

static const char *sep(const struct parse *p)
{
	return p->cmd ? ": " : "";
}

static int bad_value(const struct parse *p, const char *shown, const char *val, const char *why)
{
	return fw_usage("%s%sbad %s '%s': %s", prefix(p), sep(p), shown, val, why);
}

static int set_enum(const struct parse *p, const struct fw_opt *o, void *dst, const char *shown,
		    const char *val)
{
	const char *names[32];
	char why[256], dym[160];
	int n = 0;

	for (const struct fw_opt_value *v = o->values; v->name; v++) {
		if (!strcasecmp(v->name, val)) {
			*(int *)dst = v->value;
			return 0;
		}
		if (!v->alias && n < (int)ARRAY_SIZE(names))
			names[n++] = v->name;
	}
	/* "use in, out or both" */
	snprintf(why, sizeof(why), "use");
	for (int i = 0; i < n; i++)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
			 !i	     ? " "
			 : i < n - 1 ? ", "
				     : " or ",
			 names[i]);
	return fw_usage("%s%sbad %s '%s'%s: %s", prefix(p), sep(p), shown, val,
			fw_did_you_mean(fw_suggest(val, names, n), dym, sizeof(dym)), why);
}

static int set_value(const struct parse *p, const struct fw_opt *o, void *base, const char *shown,
		     const char *val)
{
	void *dst = (char *)base + o->off;
	char why[128], *end;

	switch (o->type) {
	case FW_OPT_FLAG:
		*(bool *)dst = true;
		return 0;
	case FW_OPT_STR:
		*(const char **)dst = val;
		return 0;
	case FW_OPT_STRS: {
		struct fw_strs *s = dst;

		if (s->n >= (int)o->max || s->n >= FW_STRS_MAX)
			return fw_usage("%s%s%s: at most %g", prefix(p), sep(p), shown, o->max);
		s->v[s->n++] = val;
		return 0;
	}
	case FW_OPT_ENUM:
		return set_enum(p, o, dst, shown, val);
	case FW_OPT_SECS:
	case FW_OPT_COUNT: {
		/* Digits (and a point for seconds): strtod alone also takes
		 * " 1", "+1", "1e0", "0x1p-3", "inf". */
		const char *digits = o->type == FW_OPT_SECS ? "0123456789." : "0123456789";
		double v = strtod(val, &end);

		if (o->type == FW_OPT_COUNT)
			v = strtol(val, &end, 10);
		if (val[strspn(val, digits)])
			end = (char *)val;
		if (end == val || *end || !(v >= o->min && v <= o->max)) {
			snprintf(why, sizeof(why), "%s from %g to %g",
				 o->type == FW_OPT_SECS || !strcmp(o->arg, "SECONDS") ? "seconds"
										      : "a number",
				 o->min, o->max);
			return bad_value(p, shown, val, why);
		}
		if (o->type == FW_OPT_SECS)
			*(double *)dst = v;
		else
			*(long *)dst = v;
		return 0;
	}
	}
	return -EINVAL;
}

struct fw_given {
	const struct fw_opt *opts;
	const char *const *value; /* by index in opts: NULL, not given */
};

bool fw_opt_given(const struct fw_given *given, const char *name)
{
	for (const struct fw_opt *o = given->opts; o->name && o - given->opts < 64; o++)
		if (!strcmp(o->name, name))
			return given->value[o - given->opts] != NULL;
	return false;
}

/* o's value val, the second time o is given: the same value is no harm
 * ("--dir in --dir IN"), two values are a mistake the parser cannot settle
 * ("--dir in --dir out" would silently block only out). A flag or a
 * repeatable option may come any number of times. */
static int take(struct parse *p, const struct fw_opt *o, void *base, const char *shown,
		const char *val)
{
	const struct fw_opt *table = base == p->args && p->cmd ? p->cmd->opts : global_opts;
	const char **given = &p->given[table != global_opts ? 0 : 1][o - table];

	if (o - table >= 64)
		return set_value(p, o, base, shown, val);
	if (o->type == FW_OPT_FLAG || o->type == FW_OPT_STRS) {
		*given = val ? val : "";
		return set_value(p, o, base, shown, val);
	}
	if (*given && (o->type == FW_OPT_ENUM ? strcasecmp(*given, val) : strcmp(*given, val)))
		return fw_usage("%s%soption '%s' given twice ('%s', then '%s')", prefix(p), sep(p),
				shown, *given, val);
	*given = val;
	return set_value(p, o, base, shown, val);
}

/* The option of the command first (watch's own --netns), then a global. */
static const struct fw_opt *lookup(const struct parse *p, const char *name, size_t len, char c,
				   void **base)
{
	const struct fw_opt *o = NULL;

	if (p->cmd)
		o = c ? find_short(p->cmd->opts, c) : find_long(p->cmd->opts, name, len);
	if (o) {
		*base = p->args;
		return o;
	}
	if (p->g)
		o = c ? find_short(global_opts, c) : find_long(global_opts, name, len);
	*base = p->g;
	return o;
}

static int unknown_long(const struct parse *p, const char *word, size_t len)
{
	char names[64][40], dym[160], w[64];
	const char *cands[64];
	const struct fw_opt *tables[2] = { p->cmd ? p->cmd->opts : NULL,
					   p->g ? global_opts : NULL };
	int n = 0;

	for (int k = 0; k < 2; k++)
		for (const struct fw_opt *o = tables[k]; o && o->name && n < 64; o++)
			if (!is_pos(o)) {
				snprintf(names[n], sizeof(names[n]), "--%s", o->name);
				cands[n] = names[n];
				n++;
			}
	snprintf(w, sizeof(w), "%.*s", (int)(len < sizeof(w) ? len : sizeof(w) - 1), word);
	return fw_usage("%s%sunknown option '%s'%s", prefix(p), sep(p), w,
			fw_did_you_mean(fw_suggest(w, cands, n), dym, sizeof(dym)));
}

static int command_word(struct parse *p, const char *word)
{
	const char *cands[ARRAY_SIZE(commands)];
	char dym[160];

	p->cmd = fw_cmd_find(word);
	if (p->cmd) {
		p->args = calloc(1, p->cmd->size ? p->cmd->size : 1);
		if (!p->args)
			return fw_fail(-ENOMEM, "out of memory");
		if (p->cmd->init)
			p->cmd->init(p->args);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		cands[i] = commands[i]->name;
	return fw_usage(
		"unknown command '%s'%s, see 'fwctl help'", word,
		fw_did_you_mean(fw_suggest(word, cands, ARRAY_SIZE(commands)), dym, sizeof(dym)));
}

/* argv[*i] is "--NAME" or "--NAME=VALUE". */
static int long_opt(struct parse *p, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2, *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct fw_opt *o;
	char shown[80];
	void *base;

	o = lookup(p, word, len, 0, &base);
	if (!o)
		return unknown_long(p, argv[*i], len + 2);
	snprintf(shown, sizeof(shown), "--%s", o->name);
	if (o->type == FW_OPT_FLAG) {
		if (eq)
			return fw_usage("%s%soption '%s' takes no value", prefix(p), sep(p), shown);
		return take(p, o, base, shown, NULL);
	}
	if (eq)
		return take(p, o, base, shown, eq + 1);
	if (*i + 1 >= argc)
		return fw_usage("%s%soption '%s' needs a value", prefix(p), sep(p), shown);
	return take(p, o, base, shown, argv[++*i]);
}

/* argv[*i] is "-abc": flags, the last of which may take a value, or one
 * that takes the rest of the word ("-nblue"). */
static int short_opts(struct parse *p, int argc, char **argv, int *i)
{
	const char *word = argv[*i];

	for (const char *c = word + 1; *c; c++) {
		char shown[3] = { '-', *c, 0 };
		const struct fw_opt *o;
		void *base;
		int err;

		o = lookup(p, NULL, 0, *c, &base);
		if (!o)
			return fw_usage("%s%sunknown option '%s'", prefix(p), sep(p),
					c == word + 1 ? word : shown);
		if (o->type == FW_OPT_FLAG) {
			err = take(p, o, base, shown, NULL);
			if (err)
				return err;
			continue;
		}
		snprintf(shown, sizeof(shown), "-%c", *c);
		if (c[1])
			return take(p, o, base, shown, c + 1);
		if (*i + 1 >= argc)
			return fw_usage("%s%soption '%s' needs a value", prefix(p), sep(p), shown);
		return take(p, o, base, shown, argv[++*i]);
	}
	return 0;
}

static int positionals(struct parse *p)
{
	char want[256] = "";
	int k = 0, need = 0;

	for (const struct fw_opt *o = p->cmd->opts; o->name; o++) {
		if (!is_pos(o))
			continue;
		if (o->flags & FW_OPT_REQUIRED) {
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
				 want[0] ? " " : "", o->name);
			need++;
		}
		if (k < p->npos)
			*(const char **)((char *)p->args + o->off) = p->pos[k++];
	}
	if (k < p->npos)
		return fw_usage("%s: unexpected argument '%s', see 'fwctl help %s'", p->cmd->name,
				p->pos[k], p->cmd->name);
	if (p->npos < need)
		return fw_usage("%s: expected %s, see 'fwctl help %s'", p->cmd->name, want,
				p->cmd->name);
	return 0;
}

/* From argv[i] on; the command word is taken when p->cmd is NULL. */
static int parse_words(struct parse *p, int argc, char **argv, int i)
{
	bool opts = true;
	int err;

	for (; i < argc; i++) {
		const char *w = argv[i];

		if (opts && !strcmp(w, "--")) {
			opts = false;
		} else if (opts && w[0] == '-' && w[1] == '-') {
			err = long_opt(p, argc, argv, &i);
			if (err)
				return err;
		} else if (opts && w[0] == '-' && w[1]) {
			err = short_opts(p, argc, argv, &i);
			if (err)
				return err;
		} else if (!p->cmd) {
			err = command_word(p, w);
			if (err)
				return err;
		} else if (p->npos == FW_STRS_MAX) {
			return fw_usage("%s: unexpected argument '%s'", p->cmd->name, w);
		} else {
			p->pos[p->npos++] = w;
		}
		/* -j as soon as it is seen: checks of the command look at it. */
		if (p->g && p->g->json)
			fw_opts.json = true;
		/* Help and version need nothing else to be right. */
		if (p->g && (p->g->help || p->g->version))
			return 0;
	}
	if (!p->cmd)
		return 0;
	err = positionals(p);
	if (!err && p->cmd->check) {
		struct fw_given given = { p->cmd->opts, p->given[0] };

		err = p->cmd->check(p->args, &given);
	}
	return err;
}

/* Whether words[from..) before "--" hold one of a or b. */
static bool has_word(int argc, char **argv, int from, const char *a, const char *b)
{
	for (int i = from; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], a) || !strcmp(argv[i], b))
			return true;
	return false;
}

int fw_cli_parse(int argc, char **argv, struct fw_cli *cli)
{
	struct globals g = {};
	struct parse p = { .g = &g };
	int err;

	memset(cli, 0, sizeof(*cli));
	/* An error before a later -j is still an answer in JSON. */
	if (has_word(argc, argv, 1, "-j", "--json"))
		fw_opts.json = true;
	err = parse_words(&p, argc, argv, 1);
	/* "fwctl block --frob --help": the help asked for wins. */
	if (err == -FW_EUSAGE && has_word(argc, argv, 1, "-h", "--help")) {
		fw_err_clear();
		g.help = true;
		err = 0;
	}
	cli->cmd = p.cmd;
	cli->args = p.args;
	cli->help = g.help;
	cli->version = g.version;
	fw_opts.netns = g.netns;
	fw_opts.json = fw_opts.json || g.json;
	fw_opts.quiet = g.quiet;
	fw_opts.verbose = g.verbose;
	if (err || cli->help || cli->version)
		return err;
	if (g.quiet && g.verbose)
		return fw_usage("-q and -v do not go together");
	if (!p.cmd)
		return fw_usage("no command given, see 'fwctl help'");
	if (fw_opts.json && (p.cmd->flags & FW_CMD_NO_JSON))
		return fw_usage("%s: has no JSON output, drop -j", p.cmd->name);
	return 0;
}

int fw_cmd_parse(const struct fw_cmd *cmd, int argc, char **argv, void *args)
{
	struct parse p = { .cmd = cmd, .args = args };

	if (cmd->init)
		cmd->init(args);
	return parse_words(&p, argc, argv, 0);
}

/* --- help ------------------------------------------------------------------ */

/* text from column col, wrapped at 80 with lines after the first indented. */
static void wrapped(FILE *f, const char *text, int col, int indent)
{
	const char *s = text;

	while (*s) {
		size_t w = strcspn(s, " ");

		if (col > indent && col + 1 + (int)w > 80) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (s != text) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, s);
		col += w;
		s += w;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

static void option_lines(FILE *f, const struct fw_opt *t)
{
	char head[96], mv[128];

	for (const struct fw_opt *o = t; o && o->name; o++) {
		const char *arg = metavar(o, mv, sizeof(mv));

		if (is_pos(o))
			continue;
		snprintf(head, sizeof(head), "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 arg ? " " : "", arg ? arg : "");
		fprintf(f, "%-28s", head);
		wrapped(f, o->help, strlen(head) < 28 ? 28 : 80, 28);
	}
}

/* Each form of the synopsis ("\n" separates them), one usage line each. */
static void forms(FILE *f, const struct fw_cmd *c)
{
	const char *s = c->synopsis;

	do {
		size_t n = strcspn(s, "\n");

		char head[64], form[512];

		snprintf(head, sizeof(head), "usage: fwctl %s", c->name);
		snprintf(form, sizeof(form), "%s%s%.*s", head, n ? " " : "", (int)n, s);
		wrapped(f, form, 0, strlen(head) + 1);
		s += n;
	} while (*s && *s++);
}

void fw_help_print(FILE *f, const struct fw_cmd *cmd)
{
	if (fw_opts.json) {
		json_t *doc = fw_help_json(cmd);

		fw_json_print(doc);
		json_decref(doc);
		return;
	}
	if (cmd) {
		forms(f, cmd);
		fprintf(f, "  %s%s\n\n", cmd->what,
			cmd->flags & FW_CMD_ROOT ? " (needs root)" : "");
		option_lines(f, cmd->opts);
		fprintf(f, "  -h, --help                this help\n");
		fprintf(f, "global options, before or after the command: -n NETNS, -j, -q, -v\n");
		return;
	}
	fputs("usage: fwctl [-n NETNS] [-j] [-q|-v] COMMAND [ARGS]\n\n", f);
	option_lines(f, global_opts);
	fputs("\ncommands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct fw_cmd *c = commands[i];
		const char *s = c->synopsis;
		bool first = true;

		do {
			size_t n = strcspn(s, "\n");
			char form[512];

			snprintf(form, sizeof(form), "%.*s", (int)n, s);
			if (!n) {
				fprintf(f, "  %s\n", c->name);
				break;
			}
			fprintf(f, "  %-8s ", first ? c->name : "");
			if (!first)
				fputs("| ", f);
			wrapped(f, form, first ? 11 : 13, 14);
			first = false;
			s += n;
		} while (*s && *s++);
		fprintf(f, "           ");
		wrapped(f, c->what, 11, 11);
	}
	fputs(usage_tail, f);
}

static json_t *options_json(const struct fw_opt *t, bool positional)
{
	json_t *arr = json_array();
	char mv[128], name[64], sh[3];

	for (const struct fw_opt *o = t; o && o->name; o++) {
		json_t *vals = json_null();

		if (is_pos(o) != positional)
			continue;
		if (positional) {
			json_array_append_new(arr,
					      json_pack("{s:s, s:b}", "name", o->name, "required",
							!!(o->flags & FW_OPT_REQUIRED)));
			continue;
		}
		if (o->type == FW_OPT_ENUM) {
			vals = json_array();
			for (const struct fw_opt_value *v = o->values; v->name; v++)
				if (!v->alias)
					json_array_append_new(vals, json_string(v->name));
		}
		snprintf(name, sizeof(name), "--%s", o->name);
		snprintf(sh, sizeof(sh), "-%c", o->short_name);
		json_array_append_new(
			arr, json_pack("{s:s, s:o, s:o, s:o, s:b, s:s}", "name", name, "short",
				       o->short_name ? json_string(sh) : json_null(), "arg",
				       metavar(o, mv, sizeof(mv))
					       ? json_string(metavar(o, mv, sizeof(mv)))
					       : json_null(),
				       "values", vals, "repeatable", o->type == FW_OPT_STRS, "help",
				       o->help));
	}
	return arr;
}

static json_t *command_json(const struct fw_cmd *c)
{
	json_t *forms = json_array();
	const char *s = c->synopsis;

	do {
		size_t n = strcspn(s, "\n");

		json_array_append_new(forms, json_stringn(s, n));
		s += n;
	} while (*s && *s++);
	return json_pack("{s:s, s:o, s:s, s:b, s:b, s:o, s:o}", "name", c->name, "synopsis", forms,
			 "what", c->what, "root", !!(c->flags & FW_CMD_ROOT), "json",
			 !(c->flags & FW_CMD_NO_JSON), "arguments", options_json(c->opts, true),
			 "options", options_json(c->opts, false));
}

/* One command's entry, or the whole table with the global options. */
json_t *fw_help_json(const struct fw_cmd *cmd)
{
	json_t *arr;

	if (cmd)
		return command_json(cmd);
	arr = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		json_array_append_new(arr, command_json(commands[i]));
	return json_pack("{s:s, s:o, s:o}", "usage", "fwctl [-n NETNS] [-j] [-q|-v] COMMAND [ARGS]",
			 "global_options", options_json(global_opts, false), "commands", arr);
}

/* --- help as a command ----------------------------------------------------- */

struct help_args {
	const char *command;
};

static int help_check(void *args, const struct fw_given *given)
{
	struct help_args *a = args;
	const char *cands[ARRAY_SIZE(commands)];
	char dym[160];

	(void)given;
	if (!a->command || fw_cmd_find(a->command))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		cands[i] = commands[i]->name;
	return fw_usage("help: unknown command '%s'%s", a->command,
			fw_did_you_mean(fw_suggest(a->command, cands, ARRAY_SIZE(commands)), dym,
					sizeof(dym)));
}

static int cmd_help(const void *args)
{
	const struct help_args *a = args;

	fw_help_print(stdout, a->command ? fw_cmd_find(a->command) : NULL);
	return 0;
}

static const struct fw_opt help_opts[] = {
	FW_POSITIONAL("COMMAND", offsetof(struct help_args, command), 0), {}
};

const struct fw_cmd fw_cmd_help = {
	.name = "help",
	.run = cmd_help,
	.size = sizeof(struct help_args),
	.opts = help_opts,
	.check = help_check,
	.synopsis = "[COMMAND]",
	.what = "this text, or one command's (-j: the command table as JSON)",
};
