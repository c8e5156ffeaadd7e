/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_abi.h - everything the BPF programs and fwctl both see: limits, enums,
 * map keys and values. Nothing here may depend on which side includes it.
 */
#ifndef FW_ABI_H
#define FW_ABI_H

#include <linux/types.h>

/* Bumped whenever a pinned map's layout changes; fwctl refuses older state. */
#define FW_ABI_VERSION 4

/* Interfaces one network namespace can cover. Each one costs two
 * struct fw_counters (2 x 1992 bytes) per possible CPU and two struct
 * fw_policy, allocated for every slot when the namespace's state is made. */
#ifndef FW_MAX_IFACES
#define FW_MAX_IFACES 1024
#endif
/* Interface indexes fw_slots maps directly (1 MiB of map), the fast path.
 * A higher index (a namespace that has made this many interfaces over its
 * life, or a port created with `ip link add ... index N`) is found in
 * fw_slots_hi, a hash of at most FW_MAX_IFACES entries: every ifindex the
 * kernel hands out can be covered. */
#define FW_MAX_IFINDEX (1 << 18)
/* fw_slot value for the one shared instance: find the slot by ifindex (the
 * programs test its top bit; fixed slots are far below). */
#define FW_SLOT_BY_IFINDEX 0xffffffffU

/* Rules (as stated by the user) per network namespace. */
#define FW_MAX_RULES 128
/* VLAN tags walked (802.1Q and 802.1ad, any order); a third is malformed. */
#define FW_MAX_VLAN 2
/* IPv6 extension headers walked; a longer chain is malformed. */
#define FW_MAX_EXTHDR 6
/* TC, where headers sit in fragments: a frame up to FW_COPY_MAX bytes is
 * parsed from a copy; a longer one has FW_PULL_MAX bytes pulled in. */
#define FW_COPY_MAX   256
#define FW_PULL_MAX   1024
#define FW_TARGET_LEN 64
#define FW_IFNAME_LEN 16

enum fw_dir {
	FW_DIR_IN,  /* received by the interface */
	FW_DIR_OUT, /* sent by the interface */
	FW_DIRS,
};

enum fw_verdict {
	FW_PASS,
	FW_DROP,
	FW_VERDICTS,
};

/* What a frame is counted as (its kind): its IP protocol number 0-255, or
 * one of these. */
enum fw_idx {
	FW_IDX_NONIP = 256, /* ARP, LLDP, ...: always passed */
	FW_IDX_MALFORMED,   /* headers unreadable: dropped where anything is blocked */
	FW_IDX_SLOTS,	    /* kinds the parser returns */
	/* Readers only: the kinds that found no cell, counted together. */
	FW_IDX_OTHER = FW_IDX_SLOTS,
	FW_IDX_SUMS,
};

/* fw_policy[fw_key(slot, dir)]: bit n set drops IP protocol n. */
struct fw_policy {
	__u64 blocked[4];
	__u64 flags; /* FW_POLICY_* */
};

/* No anti-lockout exemptions: blocked ICMP/ICMPv6 is dropped whatever its type. */
#define FW_POLICY_STRICT (1ULL << 0)

struct fw_counter {
	__u64 packets[FW_VERDICTS];
	__u64 bytes[FW_VERDICTS];
};

/* Counter cells per interface, direction and CPU. An interface sees a handful
 * of kinds (TCP, UDP, ICMP, ...), not 258: cells go to kinds as they first
 * show up on a CPU, which keeps an interface under 4 KiB per CPU (and all
 * FW_MAX_IFACES of them, with fw_slots, under 256 MiB on 64 CPUs). */
#define FW_CELLS 50
/* The last cells are kept for kinds whose first packet is dropped, so a scan
 * of passed protocols cannot leave a blocked one without its own counter. */
#define FW_CELLS_DROP 16

/*
 * fw_counters[fw_key(slot, dir)], per CPU: one lookup finds the interface's
 * cells, and a reader gets a whole interface and direction in one call.
 * cell[kind] names the kind's cell, valid only while owner[cell] == kind + 1:
 * all-zero is an empty table, and a reset that races the program (a reader
 * zeroing one CPU's copy while that CPU writes it) can orphan a cell but
 * never make two kinds share one. A kind that finds no free cell counts in
 * cells[FW_CELLS], "other": nothing is ever lost, only its kind.
 */
struct fw_counters {
	__u8 cell[FW_IDX_SLOTS];
	__u8 used; /* cells [0, used) have been given out (a hint) */
	__u8 pad;
	__u16 owner[FW_CELLS]; /* kind + 1; 0: free */
	struct fw_counter cells[FW_CELLS + 1];
};

_Static_assert(sizeof(struct fw_counters) <= 2000, "an interface's two directions fit in 4000 B");
_Static_assert(__builtin_offsetof(struct fw_counters, cells) % 8 == 0,
	       "no padding: the cells align");
/* The kernel lays per-CPU values 8-byte aligned: readers index a lookup's
 * copies by sizeof(struct fw_counters). */
_Static_assert(sizeof(struct fw_counters) % 8 == 0, "per-CPU copies sit sizeof apart");

static inline __u32 fw_key(__u32 slot, __u32 dir)
{
	return slot * FW_DIRS + dir;
}

/* The rest is fwctl's own state, kept in pinned maps next to the data plane. */

enum fw_xdp_mode {
	FW_XDP_NONE,
	FW_XDP_NATIVE,
	FW_XDP_GENERIC,
};

enum fw_tc_kind {
	FW_TC_NONE,
	FW_TC_TCX,    /* bpf_link, pinned */
	FW_TC_CLSBPF, /* netlink cls_bpf filter on clsact */
};

enum fw_mode_pref {
	FW_MODE_AUTO,
	FW_MODE_NATIVE,
	FW_MODE_GENERIC,
};

enum fw_hook {
	FW_HOOK_XDP, /* what an interface receives goes through XDP */
	FW_HOOK_TC,  /* ... or through TC ingress */
};

/* fw_ifaces[slot]: what fwctl attached where. */
struct fw_iface {
	__u32 ifindex; /* 0: slot free */
	__u32 xdp_prog_id;
	__u32 tc_in_prog_id;
	__u32 tc_out_prog_id;
	__u8 xdp_mode;	/* enum fw_xdp_mode */
	__u8 tc_kind;	/* enum fw_tc_kind */
	__u8 hook;	/* enum fw_hook */
	__u8 suspended; /* XDP moved aside for a port's sake, TC ingress stands in */
	__u8 pad[4];
	char name[FW_IFNAME_LEN];
};

/* One target's rule, as the user stated it. */
struct fw_rule {
	char target[FW_TARGET_LEN]; /* "": entry free */
	struct fw_policy blocked[FW_DIRS];
	__u8 mode; /* enum fw_mode_pref */
	__u8 hook; /* enum fw_hook */
	__u8 pad[6];
};

/* fw_rules[0]: every rule of the namespace in one value, so that replacing
 * the ruleset is one map update: a killed fwctl leaves the old or the new. */
struct fw_ruleset {
	struct fw_rule rule[FW_MAX_RULES];
};

/* fw_meta[0]: whose state this is, so a recycled netns inode is not confused
 * with the namespace that made it; and whether a change is under way. */
struct fw_meta {
	__u32 version;
	__u32 flags; /* FW_META_* */
	__u64 netns_cookie;
	__u64 netns_ino;
};

/* Set while a change is under way; found set, the change was interrupted
 * and the next fwctl makes the kernel enforce the stored rules again. */
#define FW_META_DIRTY (1U << 0)

#endif /* FW_ABI_H */
