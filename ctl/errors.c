// SPDX-License-Identifier: GPL-2.0
/* errors.c - one reason per failed command, and the libraries kept quiet. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fwctl.h"

static char reason[512];

static int vfail(int err, const char *fmt, va_list ap)
{
	/* The first reason wins: it is the cause, later ones are fallout. */
	if (!reason[0])
		vsnprintf(reason, sizeof(reason), fmt, ap);
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

static void vsay(const char *fmt, va_list ap)
{
	fputs("fwctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Something the user should know (a fallback taken): hidden by -q. */
void fw_warn(const char *fmt, ...)
{
	va_list ap;

	if (fw_opts.quiet)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* What fwctl is doing: shown by -v. */
void fw_info(const char *fmt, ...)
{
	va_list ap;

	if (!fw_opts.verbose)
		return;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* libbpf and libxdp talk a lot (the verifier log among it); their words
 * matter only under -v. */
static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (fw_opts.verbose)
		return vfprintf(stderr, fmt, ap);
	return 0;
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
