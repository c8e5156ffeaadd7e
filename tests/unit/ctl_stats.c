// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_stats.c - what the live views print, without root: rates rounded to
 * the nearest whole number (5 pings over 1.002 s are 5 a second, not 4),
 * counts exact unless -H, times in ISO 8601 with the zone's offset. Linked
 * with fwctl's own objects (all but main.o). Prints `ok NAME` or
 * `FAIL NAME: WHY` with expected and got.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_check.h"

static void expect_str(const char *name, const char *want, const char *got)
{
	if (!strcmp(want, got)) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: expected '%s', got '%s'\n", name, want, got);
		fails++;
	}
}

static const struct {
	const char *name;
	double per_s;
	bool bytes, human;
	const char *want;
} rates[] = {
	{ "rate_5_pings_over_1002ms", 5 / 1.002, false, false, "5" },
	{ "rate_2_pings_over_1004ms", 2 / 1.004, false, false, "2" },
	{ "rate_half_up", 4.5, false, false, "5" },
	{ "rate_below_half_down", 4.49, false, false, "4" },
	{ "rate_zero", 0, false, false, "0" },
	{ "rate_never_negative", -3, false, false, "0" },
	{ "rate_exact_big", 1234567.4, false, false, "1234567" },
	{ "rate_human_count", 1189.6, false, true, "1.19k" },
	{ "rate_human_bytes", 490 / 0.998, true, true, "491 B" },
};

static const struct {
	const char *name;
	const char *tz;
	long sec, nsec;
	bool ms;
	const char *want;
} times[] = {
	{ "iso_utc", "UTC0", 1796442901, 123456789, true, "2026-12-05T03:55:01.123+00:00" },
	{ "iso_utc_no_ms", "UTC0", 1796442901, 0, false, "2026-12-05T03:55:01+00:00" },
	{ "iso_half_hour_east", "IST-5:30", 1796442901, 5000000, true,
	  "2026-12-05T09:25:01.005+05:30" },
	{ "iso_west", "EST5", 1796442901, 999999999, true, "2026-12-04T22:55:01.999-05:00" },
};

int main(void)
{
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(rates); i++)
		expect_str(rates[i].name, rates[i].want,
			   fw_fmt_rate(rates[i].per_s, rates[i].bytes, rates[i].human, buf,
				       sizeof(buf)));
	expect_str("count_exact", "1190", fw_fmt_count(1190, false, buf, sizeof(buf)));
	expect_str("count_human", "1.19k", fw_fmt_count(1190, true, buf, sizeof(buf)));
	expect_str("bytes_exact", "2350", fw_fmt_bytes(2350, false, buf, sizeof(buf)));
	expect_str("bytes_human", "2.35 kB", fw_fmt_bytes(2350, true, buf, sizeof(buf)));
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		struct timespec ts = { .tv_sec = times[i].sec, .tv_nsec = times[i].nsec };

		setenv("TZ", times[i].tz, 1);
		tzset();
		expect_str(times[i].name, times[i].want,
			   fw_iso8601(&ts, times[i].ms, buf, sizeof(buf)));
	}
	return fails ? 1 : 0;
}
