// SPDX-License-Identifier: GPL-2.0
/* output.c - numbers for people, JSON for programs. */
#include <stdio.h>
#include "fwctl.h"

void fw_json_print(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	fflush(stdout);
}

/* 1234567 -> "1.23M": three significant digits, SI steps. */
static const char *human(__u64 v, const char *unit, char *buf, size_t len)
{
	static const char *prefix[] = { "", "k", "M", "G", "T", "P" };
	double d = v;
	int i = 0;

	if (v < 1000) {
		snprintf(buf, len, "%llu%s%s", (unsigned long long)v, unit[0] ? " " : "", unit);
		return buf;
	}
	while (d >= 1000 && i < 5) {
		d /= 1000;
		i++;
	}
	snprintf(buf, len, "%.*f%s%s%s",
		 d < 10	   ? 2
		 : d < 100 ? 1
			   : 0,
		 d, unit[0] ? " " : "", prefix[i], unit);
	return buf;
}

const char *fw_human_count(__u64 v, char *buf, size_t len)
{
	return human(v, "", buf, len);
}

const char *fw_human_bytes(__u64 v, char *buf, size_t len)
{
	return human(v, "B", buf, len);
}
