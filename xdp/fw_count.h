/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_count.h - the counter cells of struct fw_counters (fw_abi.h): how a
 * program counts a frame in its CPU's copy, and how a reader adds the copies
 * up. Plain C with no BPF helpers, like fw_parse.h, so the tests run on the
 * host the very code the programs run.
 *
 * fwctl gives cells to kinds when it writes a policy (fw_policy_compile):
 * the program counts where the policy's act byte says, with no test of its
 * own; a reader attributes a cell by the policy's owner[].
 */
#ifndef FW_COUNT_H
#define FW_COUNT_H

#include "fw_abi.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* The kind and verdict a fixed cell counts, as owner[] holds it. */
static inline __u16 fw_owner(__u32 kind, __u32 verdict)
{
	return (__u16)((kind + 1) | (verdict == FW_DROP ? FW_OWNER_DROP : 0));
}

static inline int fw_policy_blocks(const struct fw_policy *p, __u32 proto)
{
	return (p->blocked[proto >> 6] >> (proto & 63)) & 1;
}

/*
 * Compiles p->set into p->act[] (what the programs read)
 * and p->owner[] (what readers attribute by), given the owners the entry
 * had. A cell never changes hands while it may hold counts: a kind keeps
 * its cell, and a cell whose kind is no longer blocked stays its own
 * (retired) unless keep is 0, which only a reset that zeroed the counters
 * may ask for. Kinds without a cell of their own that pass share "other".
 */
static inline void fw_policy_compile(struct fw_compiled *p, int keep)
{
	const struct fw_policy *set = &p->set;
	__u16 prev[FW_CELLS], *owner = p->owner;
	int strict = (set->flags & FW_POLICY_STRICT) != 0;
	int any = (set->blocked[0] | set->blocked[1] | set->blocked[2] | set->blocked[3]) != 0;
	__u8 had[FW_IDX_SLOTS]; /* kind -> the dynamic cell it had, 0: none */
	__u32 k, c, drop, cell, next;

	__builtin_memcpy(prev, owner, sizeof(prev));
	__builtin_memset(had, 0, sizeof(had));
	for (c = FW_CELL_DYN_FIRST; c < FW_CELL_ICMP_PASS; c++) {
		k = (prev[c] & FW_OWNER_KIND) - 1U;
		if ((prev[c] & FW_OWNER_DROP) && k < 256 && !had[k])
			had[k] = (__u8)c;
	}
	__builtin_memset(owner, 0, sizeof(prev));
	__builtin_memset(p->act, 0, sizeof(p->act));
	owner[FW_CELL_OTHER_PASS] = fw_owner(FW_IDX_OTHER, FW_PASS);
	owner[FW_CELL_OTHER_DROP] = fw_owner(FW_IDX_OTHER, FW_DROP);
	owner[FW_CELL_NONIP_PASS] = fw_owner(FW_IDX_NONIP, FW_PASS);
	owner[FW_CELL_MALFORMED_PASS] = fw_owner(FW_IDX_MALFORMED, FW_PASS);
	owner[FW_CELL_MALFORMED_DROP] = fw_owner(FW_IDX_MALFORMED, FW_DROP);
	owner[FW_CELL_TCP_PASS] = fw_owner(6, FW_PASS);
	owner[FW_CELL_TCP_DROP] = fw_owner(6, FW_DROP);
	owner[FW_CELL_UDP_PASS] = fw_owner(17, FW_PASS);
	owner[FW_CELL_UDP_DROP] = fw_owner(17, FW_DROP);
	owner[FW_CELL_ICMP_DROP_STRICT] = fw_owner(1, FW_DROP);
	owner[FW_CELL_ICMPV6_DROP_STRICT] = fw_owner(58, FW_DROP);
	owner[FW_CELL_ICMP_PASS] = fw_owner(1, FW_PASS);
	owner[FW_CELL_ICMPV6_PASS] = fw_owner(58, FW_PASS);
	owner[FW_CELL_ICMP_DROP] = fw_owner(1, FW_DROP);
	owner[FW_CELL_ICMPV6_DROP] = fw_owner(58, FW_DROP);

	for (k = 0; k < FW_IDX_SLOTS; k++) {
		drop = k < 256 ? fw_policy_blocks(set, k) : k == FW_IDX_MALFORMED && any;
		switch (k) {
		case 6:
			cell = drop ? FW_CELL_TCP_DROP : FW_CELL_TCP_PASS;
			break;
		case 17:
			cell = drop ? FW_CELL_UDP_DROP : FW_CELL_UDP_PASS;
			break;
		case 1:
			cell = !drop	? FW_CELL_ICMP_PASS
			       : strict ? FW_CELL_ICMP_DROP_STRICT
					: FW_CELL_ICMP_DROP;
			break;
		case 58:
			cell = !drop	? FW_CELL_ICMPV6_PASS
			       : strict ? FW_CELL_ICMPV6_DROP_STRICT
					: FW_CELL_ICMPV6_DROP;
			break;
		case FW_IDX_NONIP:
			cell = FW_CELL_NONIP_PASS;
			break;
		case FW_IDX_MALFORMED:
			cell = drop ? FW_CELL_MALFORMED_DROP : FW_CELL_MALFORMED_PASS;
			break;
		default:
			/* Kinds that keep a cell first, new ones after. */
			cell = drop ? FW_CELL_OTHER_DROP : FW_CELL_OTHER_PASS;
			if (drop && had[k]) {
				cell = had[k];
				owner[cell] = prev[cell];
			}
			break;
		}
		p->act[k] = (__u8)(cell | (drop ? FW_ACT_DROP : 0));
	}
	next = FW_CELL_DYN_FIRST;
	for (k = 0; k < 256; k++) {
		if (p->act[k] != (FW_ACT_DROP | FW_CELL_OTHER_DROP) || k == 6 || k == 17 ||
		    k == 1 || k == 58)
			continue;
		while (next < FW_CELL_ICMP_PASS && (owner[next] || (keep && prev[next])))
			next++;
		if (next == FW_CELL_ICMP_PASS)
			break; /* no cell left: the rest count as other */
		owner[next] = fw_owner(k, FW_DROP);
		p->act[k] = (__u8)(FW_ACT_DROP | next);
	}
	for (c = FW_CELL_DYN_FIRST; keep && c < FW_CELL_ICMP_PASS; c++)
		if (prev[c] && !owner[c])
			owner[c] = prev[c]; /* retired: may still hold counts */
}

/* Counts one frame in this CPU's copy, in the cell its act byte names. */
static __always_inline void fw_count(struct fw_counters *cnt, __u32 act, __u64 bytes)
{
	struct fw_cell *cell = &cnt->cells[act & FW_ACT_CELL];

	cell->packets++;
	cell->bytes += bytes;
}

/* Readers: adds one CPU's copy to sums, by kind and verdict, as the policy's
 * owner[] attributes its cells (FW_IDX_OTHER: the kinds that share). A free
 * cell counts for nothing. */
static inline void fw_counters_add(struct fw_counter sums[FW_IDX_SUMS], const __u16 owner[FW_CELLS],
				   const struct fw_counters *c)
{
	for (unsigned int i = 0; i < FW_CELLS; i++) {
		unsigned int k = (owner[i] & FW_OWNER_KIND) - 1U;
		unsigned int v = owner[i] & FW_OWNER_DROP ? FW_DROP : FW_PASS;

		if (!owner[i] || k >= FW_IDX_SUMS)
			continue;
		sums[k].packets[v] += c->cells[i].packets;
		sums[k].bytes[v] += c->cells[i].bytes;
	}
}

#endif /* FW_COUNT_H */
