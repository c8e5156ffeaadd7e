/* SPDX-License-Identifier: GPL-2.0 */
/*
 * view_stats.h - the typed rows of stats (one snapshot of a namespace's
 * counters and enforcement), shared by the command that takes them
 * (cmd_stats.c) and the printers that render them (view_stats.c).
 */
#ifndef FW_VIEW_STATS_H
#define FW_VIEW_STATS_H

#include <time.h>
#include "fwctl.h"

/* One row: an interface, a direction, a kind of packet. */
struct srow {
	int ifindex;
	char ifname[FW_IFNAME_LEN];
	char container[FW_TARGET_LEN]; /* "" when none is known */
	__u32 idx;		       /* protocol number or FW_IDX_* */
	__u32 dir;
	__u64 packets[FW_VERDICTS];
	__u64 bytes[FW_VERDICTS];
	/* Per second since the previous snapshot (--watch only). */
	double pps[FW_VERDICTS];
	double bps[FW_VERDICTS];
};

/* fwctl_enforced: each covered interface and direction, checked against
 * the kernel as status does. */
struct erow {
	char ifname[FW_IFNAME_LEN];
	__u32 dir;
	bool enforced;
};

struct fw_stats_snap {
	char netns[256];
	struct srow *rows;
	int n;
	struct erow *enf;
	int nenf;
	double mono; /* CLOCK_MONOTONIC when read */
	struct timespec real;
};

/* A row's direction as the user names it: a container's port in the
 * container's terms ("from", "to"). */
static inline const char *dir_label(const struct srow *r)
{
	return fw_dir_label(r->dir, r->container[0]);
}

/* view_stats.c: stats as JSON, as tables, as Prometheus text. */
json_t *fw_stats_json(const struct fw_stats_snap *s, bool with_rates);
void fw_stats_print_totals(const struct fw_stats_snap *s, bool human);
void fw_stats_print_rates(const struct fw_stats_snap *s, double every, bool all, bool human,
			  int max_rows, int width, const char *eol);

#endif /* FW_VIEW_STATS_H */
