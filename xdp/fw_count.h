/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_count.h - the counter cells of struct fw_counters (fw_abi.h): how a
 * program counts a frame in its CPU's copy, and how a reader adds the copies
 * up. Plain C with no BPF helpers, like fw_parse.h, so the tests run on the
 * host the very code the programs run.
 *
 * Cells go to kinds as their first packet shows up on a CPU, so each CPU's
 * table fills independently; a reader attributes a cell by its owner, never
 * by the cell[] index, which is only the program's shortcut.
 */
#ifndef FW_COUNT_H
#define FW_COUNT_H

#include "fw_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The cell for kind idx, whose first packet got verdict: the next one not
 * given out yet (the last FW_CELLS_DROP for drops only), or FW_CELLS
 * ("other") when none is left. Runs once per kind and CPU. */
static __always_inline __u32 fw_cell_new(struct fw_counters *cnt, __u32 idx, __u64 verdict)
{
	__u32 c = cnt->used;

	if (c >= (verdict == FW_DROP ? FW_CELLS : FW_CELLS - FW_CELLS_DROP))
		return FW_CELLS;
	cnt->used = c + 1;
	/* Still owned: a reset raced us and lowered used. This packet goes
	 * to "other", the kind's next one takes the next cell. */
	if (cnt->owner[c])
		return FW_CELLS;
	/* Whatever a reset orphaned here counted before the reset. */
	__builtin_memset(&cnt->cells[c], 0, sizeof(cnt->cells[c]));
	cnt->owner[c] = idx + 1;
	cnt->cell[idx] = c;
	return c;
}

/* Counts one frame of kind idx (< FW_IDX_SLOTS) in this CPU's copy. */
static __always_inline void fw_count(struct fw_counters *cnt, __u32 idx, __u64 verdict, __u64 bytes)
{
	struct fw_counter *cell;
	__u32 c;

	if (idx >= FW_IDX_SLOTS)
		return;
	c = cnt->cell[idx];
	if (c >= FW_CELLS || cnt->owner[c] != idx + 1)
		c = fw_cell_new(cnt, idx, verdict);
	cell = &cnt->cells[c];
	cell->packets[verdict]++;
	cell->bytes[verdict] += bytes;
}

/* Readers: adds one CPU's copy to sums, by kind (FW_IDX_OTHER: no cell).
 * A free cell, or one a reset orphaned, counts for nothing. */
static inline void fw_counters_add(struct fw_counter sums[FW_IDX_SUMS], const struct fw_counters *c)
{
	for (unsigned int i = 0; i <= FW_CELLS; i++) {
		unsigned int k = FW_IDX_OTHER;

		if (i < FW_CELLS) {
			if (!c->owner[i] || c->owner[i] > FW_IDX_SLOTS)
				continue;
			k = c->owner[i] - 1U;
		}
		for (unsigned int v = 0; v < FW_VERDICTS; v++) {
			sums[k].packets[v] += c->cells[i].packets[v];
			sums[k].bytes[v] += c->cells[i].bytes[v];
		}
	}
}

#endif /* FW_COUNT_H */
