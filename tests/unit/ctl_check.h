/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl_check.h - what every tests/unit/ctl_*.c program needs: the two
 * symbol fwctl's main.c would define (these programs link every other
 * object of fwctl), and one check that prints `ok NAME` or `FAIL NAME: WHY`
 * with expected and got. Each test program includes it once.
 */
#ifndef CTL_CHECK_H
#define CTL_CHECK_H

#include <stdio.h>
#include "../../ctl/fwctl.h"

struct fw_opts fw_opts = { .quiet = true };

static int fails;

#define CHECK(name, cond, fmt, ...)                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok %s\n", name);                                                   \
		} else {                                                                           \
			printf("FAIL %s: " fmt "\n", name, __VA_ARGS__);                           \
			fails++;                                                                   \
		}                                                                                  \
	} while (0)

#endif /* CTL_CHECK_H */
