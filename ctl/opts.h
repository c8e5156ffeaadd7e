/* SPDX-License-Identifier: GPL-2.0 */
/*
 * opts.h - one option parser for every command. Each command declares a
 * table of its options and positional arguments (name, short letter, value,
 * help, where the value goes in the command's own struct); opts.c parses a
 * command line against it, global options before or after the command,
 * and prints help from it. Completion and docs/usage.md are checked against
 * the same tables (`fwctl -j help`).
 */
#ifndef FW_OPTS_H
#define FW_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

enum fw_opt_type {
	FW_OPT_FLAG,  /* bool */
	FW_OPT_STR,   /* const char * */
	FW_OPT_STRS,  /* struct fw_strs: repeatable, at most max */
	FW_OPT_ENUM,  /* int, one of ->values, case-insensitive */
	FW_OPT_SECS,  /* double from min to max */
	FW_OPT_COUNT, /* long from min to max */
};

/* A positional argument rather than an option; in the table's order. */
#define FW_OPT_POS	0x1
#define FW_OPT_REQUIRED 0x2 /* positional: must be given */

struct fw_opt_value {
	const char *name;
	int value;
	bool alias; /* accepted, not listed ("skb" for generic) */
};

struct fw_opt {
	const char *name; /* long name without "--"; a positional's metavar */
	char short_name;  /* 0: none */
	enum fw_opt_type type;
	const char *arg;		   /* the value's metavar; NULL for a flag */
	const char *help;		   /* one line */
	size_t off;			   /* offsetof() in the command's struct */
	const struct fw_opt_value *values; /* FW_OPT_ENUM: ends with a NULL name */
	double min, max;		   /* SECS, COUNT; STRS: max only */
	unsigned int flags;
};

/* Table entries, each field named (a table reads as what it declares). */
#define FW_FLAG(l, s, h, o)                                                                        \
	{                                                                                          \
		.name = (l), .short_name = (s), .type = FW_OPT_FLAG, .help = (h), .off = (o)       \
	}
#define FW_STRING(l, s, a, h, o)                                                                   \
	{                                                                                          \
		.name = (l), .short_name = (s), .type = FW_OPT_STR, .arg = (a), .help = (h),       \
		.off = (o)                                                                         \
	}
#define FW_STRINGS(l, s, a, h, o, n)                                                               \
	{                                                                                          \
		.name = (l), .short_name = (s), .type = FW_OPT_STRS, .arg = (a), .help = (h),      \
		.off = (o), .max = (n)                                                             \
	}
#define FW_ENUM(l, s, h, o, v)                                                                     \
	{                                                                                          \
		.name = (l), .short_name = (s), .type = FW_OPT_ENUM, .help = (h), .off = (o),      \
		.values = (v)                                                                      \
	}
#define FW_RANGE(t, l, s, a, h, o, lo, hi)                                                         \
	{                                                                                          \
		.name = (l), .short_name = (s), .type = (t), .arg = (a), .help = (h), .off = (o),  \
		.min = (lo), .max = (hi)                                                           \
	}
#define FW_POSITIONAL(n, o, f)                                                                     \
	{                                                                                          \
		.name = (n), .type = FW_OPT_STR, .off = (o), .flags = FW_OPT_POS | (f)             \
	}

#define FW_STRS_MAX 64
struct fw_strs {
	const char *v[FW_STRS_MAX];
	int n;
};

/* Needs BPF and network admin capabilities. */
#define FW_CMD_ROOT 0x1
/* Has no JSON output: -j is refused (exit 2). */
#define FW_CMD_NO_JSON 0x2

/* Which of a command's options the words gave, for its check(): a value
 * equal to the default was still given. */
struct fw_given;
bool fw_opt_given(const struct fw_given *given, const char *name);

struct fw_cmd {
	const char *name;
	int (*run)(const void *args);
	size_t size;		   /* of the command's struct */
	const struct fw_opt *opts; /* ends with a NULL name */
	void (*init)(void *args);  /* defaults, before parsing; may be NULL */
	/* How options go together; may be NULL. */
	int (*check)(void *args, const struct fw_given *given);
	const char *synopsis; /* everything after "fwctl NAME" */
	const char *what;
	unsigned int flags;
};

/* What a whole command line asks for. args: the command's struct (free it). */
struct fw_cli {
	const struct fw_cmd *cmd;
	void *args;
	bool help;    /* -h/--help: print cmd's help (or the usage) */
	bool version; /* -V/--version */
};

/* argv[0] is the program. Sets fw_opts (the globals), fills *cli; returns 0
 * or -FW_EUSAGE with the reason in fw_err(). */
int fw_cli_parse(int argc, char **argv, struct fw_cli *cli);
/* One command's words (argv[0] the first after its name), no global
 * options, no --help: a ruleset line. */
int fw_cmd_parse(const struct fw_cmd *cmd, int argc, char **argv, void *args);
const struct fw_cmd *fw_cmd_find(const char *name);
/* Usage (cmd NULL) or one command's help, from the tables; JSON under -j. */
void fw_help_print(FILE *f, const struct fw_cmd *cmd);
json_t *fw_help_json(const struct fw_cmd *cmd);

/* The candidate closest to word (case-insensitive, transpositions count
 * one), when close enough to be a typo; else NULL. */
const char *fw_suggest(const char *word, const char *const *cands, int n);
int fw_edit_distance(const char *a, const char *b);
/* " (did you mean X?)" or "", for a message. */
const char *fw_did_you_mean(const char *suggestion, char *buf, size_t len);

/* The commands, in the order help lists them. */
extern const struct fw_cmd fw_cmd_attach, fw_cmd_detach, fw_cmd_block, fw_cmd_unblock, fw_cmd_stats,
	fw_cmd_status, fw_cmd_save, fw_cmd_restore, fw_cmd_watch, fw_cmd_monitor, fw_cmd_doctor,
	fw_cmd_help;

#endif /* FW_OPTS_H */
