// SPDX-License-Identifier: GPL-2.0
/* errors.c - one reason per failed command, and the libraries kept quiet. */
#define _GNU_SOURCE /* vasprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fwctl.h"

static char reason[512];

/* A message is one line of text: control bytes (a newline in an argument,
 * a terminal escape) and bytes that are not UTF-8 (or a character cut by
 * the length) become "\xNN", so that it stays one line on stderr and a
 * valid JSON string under -j. Cut at len. */
static void one_line(const char *raw, char *buf, size_t len)
{
	size_t off = 0, n;

	for (const char *s = raw; *s; s += n) {
		unsigned char c = *s;

		n = fw_utf8_char(s);
		if (!n || c < 0x20 || c == 0x7f) {
			if (off + 4 >= len)
				break;
			snprintf(buf + off, len - off, "\\x%02x", c);
			off += 4;
			n = 1;
			continue;
		}
		if (off + n >= len)
			break;
		memcpy(buf + off, s, n);
		off += n;
	}
	buf[off] = '\0';
}

static int vfail(int err, const char *fmt, va_list ap)
{
	char raw[sizeof(reason)];

	/* The first reason wins: it is the cause, later ones are fallout. */
	if (!reason[0]) {
		vsnprintf(raw, sizeof(raw), fmt, ap);
		one_line(raw, reason, sizeof(reason));
	}
	return err;
}

/* Records why a command failed; returns err (a -errno) for the caller. */
int fw_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, fmt, ap);
	va_end(ap);
	return err;
}

int fw_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(-FW_EUSAGE, fmt, ap);
	va_end(ap);
	return -FW_EUSAGE;
}

const char *fw_err(void)
{
	return reason;
}

/* For failures that were expected and handled (probing, best effort). */
void fw_err_clear(void)
{
	reason[0] = '\0';
}

static json_t *details;

/* Several findings behind one error (restore's bad lines): a JSON array
 * that main() puts under "errors" in -j's error document. Takes the
 * reference; the first array set wins, like the reason. */
void fw_err_details(json_t *errors)
{
	if (details)
		json_decref(errors);
	else
		details = errors;
}

json_t *fw_err_details_get(void)
{
	return details;
}

/* Whether a line at level is shown. Commands show warnings unless -q and
 * the rest under -v; `watch` logs: info unless -q, debug under -v, warnings
 * and errors always. */
static bool shown(int level)
{
	if (level <= FW_LOG_ERR)
		return true;
	if (fw_opts.log)
		return level == FW_LOG_WARNING || (level == FW_LOG_INFO && !fw_opts.quiet) ||
		       fw_opts.verbose;
	return level == FW_LOG_WARNING ? !fw_opts.quiet : fw_opts.verbose;
}

/* journald (and sd-daemon's convention) reads a leading "<N>" as the line's
 * priority: under systemd stderr is a stream with JOURNAL_STREAM set, under
 * other supervisors it is a pipe or a file. A person at a terminal gets the
 * plain line. */
static bool prefixed(void)
{
	static int journal = -1;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") || !isatty(STDERR_FILENO);
	return fw_opts.log && journal;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char raw[1024], line[1024];

	if (!shown(level))
		return;
	/* One write per line: lines of concurrent writers do not interleave. */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	one_line(raw, line, sizeof(line));
	if (prefixed())
		fprintf(stderr, "<%d>fwctl: %s\n", level, line);
	else
		fprintf(stderr, "fwctl: %s\n", line);
}

void fw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* Something the user should know (a fallback taken, a repair): hidden by -q
 * except in `watch`'s log. */
void fw_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(FW_LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* What fwctl is doing: shown by -v. */
void fw_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(FW_LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* What fwctl did to the kernel (attached, released) and what `watch` saw:
 * `watch` logs it, one line each, unless -q; other commands show it with -v. */
void fw_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(FW_LOG_INFO, fmt, ap);
	va_end(ap);
}

static char verifier_reason[256];

/* The verifier's reason in its log: the last line before its statistics
 * ("processed N insns ...", "verification time ...", "stack depth ..."). */
static void keep_verifier_reason(const char *log)
{
	static const char *const stats[] = { "processed ", "verification time", "stack depth",
					     "-- END PROG LOAD LOG --" };
	const char *end = log + strlen(log), *line;
	size_t i;

	while (end > log) {
		while (end > log && end[-1] == '\n')
			end--;
		for (line = end; line > log && line[-1] != '\n'; line--)
			;
		for (i = 0; i < ARRAY_SIZE(stats); i++)
			if (!strncmp(line, stats[i], strlen(stats[i])))
				break;
		if (line < end && i == ARRAY_SIZE(stats) && !strstr(line, "BEGIN PROG LOAD LOG")) {
			snprintf(verifier_reason, sizeof(verifier_reason), "%.*s",
				 (int)(end - line), line);
			return;
		}
		end = line;
	}
}

const char *fw_verifier_reason(void)
{
	return verifier_reason[0] ? verifier_reason : NULL;
}

/* libbpf and libxdp talk a lot (the verifier log among it); their words
 * matter only under -v, except the verifier's reason for a refusal. */
static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;
	va_list copy;
	int n = 0;

	va_copy(copy, ap);
	if (level == LIBBPF_WARN && strstr(fmt, "BEGIN PROG LOAD LOG") &&
	    vasprintf(&msg, fmt, copy) >= 0) {
		keep_verifier_reason(msg);
		free(msg);
	}
	va_end(copy);
	if (fw_opts.verbose)
		n = vfprintf(stderr, fmt, ap);
	return n;
}

static int xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (fw_opts.verbose && level != LIBXDP_DEBUG)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void fw_libs_quiet(void)
{
	libbpf_set_print(lib_print);
	libxdp_set_print(xdp_print);
}
