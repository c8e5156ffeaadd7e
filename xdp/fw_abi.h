/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_abi.h - everything the BPF programs and fwctl both see: limits, enums,
 * map keys and values. Nothing here may depend on which side includes it.
 */
#ifndef FW_ABI_H
#define FW_ABI_H

#include <linux/types.h>

/* Bumped whenever a pinned map's layout changes; fwctl refuses older state. */
#define FW_ABI_VERSION 5

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

/*
 * Counter cells per interface, direction and CPU: 16 bytes each, the packets
 * and bytes of one kind and verdict (a row of `stats`). fwctl gives them out
 * when it writes a policy, never the program: TCP, UDP, ICMP, ICMPv6, non-IP,
 * malformed and "other" have fixed cells, each blocked protocol gets one of
 * its own from the rest. 128 cells keep an interface's two directions at
 * 4 KiB per CPU.
 */
#define FW_CELLS 128

/* Fixed cells. The exempt-checked ICMP/ICMPv6 drop cells are the last two,
 * so "check the exemption" is one compare of the act byte (>= FW_ACT_CHECK),
 * and an exempt packet moves two cells down, to its pass cell. */
enum fw_cell_fixed {
	FW_CELL_OTHER_PASS,
	FW_CELL_OTHER_DROP, /* blocked protocols that found no free cell */
	FW_CELL_NONIP_PASS,
	FW_CELL_MALFORMED_PASS,
	FW_CELL_MALFORMED_DROP,
	FW_CELL_TCP_PASS,
	FW_CELL_TCP_DROP,
	FW_CELL_UDP_PASS,
	FW_CELL_UDP_DROP,
	FW_CELL_ICMP_DROP_STRICT,
	FW_CELL_ICMPV6_DROP_STRICT,
	FW_CELL_DYN_FIRST, /* cells given to other blocked protocols */
	FW_CELL_ICMP_PASS = FW_CELLS - 4,
	FW_CELL_ICMPV6_PASS,
	FW_CELL_ICMP_DROP,
	FW_CELL_ICMPV6_DROP,
};

/* One byte per kind: the verdict (FW_ACT_DROP) and the counter cell. */
#define FW_ACT_DROP  0x80
#define FW_ACT_CELL  0x7f
#define FW_ACT_CHECK (FW_ACT_DROP | FW_CELL_ICMP_DROP)
/* From a checked ICMP/ICMPv6 drop to its pass cell, for an exempt packet. */
#define FW_ACT_EXEMPT (FW_ACT_DROP | (FW_CELL_ICMP_DROP - FW_CELL_ICMP_PASS))
#define FW_ACT_LEN    264 /* FW_IDX_SLOTS, rounded up to 8 */

/* owner[cell]: (kind + 1) | verdict << 15, whose counts the cell holds; 0:
 * free. A cell keeps its owner while it may hold counts: after its kind is
 * unblocked it is no longer counted in, and is freed only by a reset. */
#define FW_OWNER_DROP 0x8000
#define FW_OWNER_KIND 0x7fff

/* A set of blocked protocols: bit n set drops IP protocol n. */
struct fw_policy {
	__u64 blocked[4];
	__u64 flags; /* FW_POLICY_* */
};

/*
 * fw_policy[fw_key(slot, dir)]: the set as stated, and what fwctl compiled
 * from it (fw_policy_compile, fw_count.h) when it wrote the entry. The
 * programs read only act[]; readers attribute counter cells by owner[].
 */
struct fw_compiled {
	struct fw_policy set;
	__u8 act[FW_ACT_LEN];
	__u16 owner[FW_CELLS];
};

/* No anti-lockout exemptions: blocked ICMP/ICMPv6 is dropped whatever its type. */
#define FW_POLICY_STRICT (1ULL << 0)

struct fw_counter {
	__u64 packets[FW_VERDICTS];
	__u64 bytes[FW_VERDICTS];
};

struct fw_cell {
	__u64 packets;
	__u64 bytes;
};

/* fw_counters[fw_key(slot, dir)], per CPU: the cells fw_policy's act[] and
 * owner[] name. A reader gets a whole interface and direction in one call. */
struct fw_counters {
	struct fw_cell cells[FW_CELLS];
};

_Static_assert(FW_ACT_LEN >= FW_IDX_SLOTS && FW_ACT_LEN % 8 == 0, "a byte per kind");
_Static_assert(FW_CELL_DYN_FIRST <= FW_CELL_ICMP_PASS, "fixed cells fit");
_Static_assert(FW_CELLS - 1 <= FW_ACT_CELL, "a cell fits in the act byte");
_Static_assert(sizeof(struct fw_counters) * FW_DIRS <= 4096,
	       "an interface's two directions fit in 4 KiB per CPU");
/* The kernel lays per-CPU values 8-byte aligned: readers index a lookup's
 * copies by sizeof(struct fw_counters). */
_Static_assert(sizeof(struct fw_counters) % 8 == 0, "per-CPU copies sit sizeof apart");

static inline __u32 fw_key(__u32 slot, __u32 dir)
{
	return slot * FW_DIRS + dir;
}

/* Drop samples (`fwctl monitor --packets`): a dropped frame's first
 * FW_SAMPLE_SNAP bytes, through a ring of FW_SAMPLE_RING bytes per
 * namespace, at most fw_sample_ctl.rate a second per CPU. */
#define FW_SAMPLE_SNAP 256
#define FW_SAMPLE_RING (256 * 1024)

/* One sample, as the ring holds it. */
struct fw_sample {
	__u64 ns; /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	__u32 ifindex;
	__u32 len;  /* the frame's length */
	__u16 kind; /* what it counted as: IP protocol or FW_IDX_* */
	__u8 dir;   /* enum fw_dir */
	__u8 pad;
	__u16 caplen; /* bytes in data[]: min(len, FW_SAMPLE_SNAP) */
	__u16 pad2;
	__u8 data[FW_SAMPLE_SNAP];
};

/* The programs' one flag and its settings, a global read with one load on
 * the drop path (pinned as fw_sample_ctl); written by the listener. */
struct fw_sample_ctl {
	__u32 on;     /* 1 (just 1: ANDed with the verdict) while a listener runs */
	__u32 rate;   /* samples a second per CPU */
	__u32 filter; /* 1: only interfaces in fw_sample_if */
	__u32 pid;    /* the listener, and its start time (/proc/PID/stat), */
	__u64 start;  /* so a dead one's flag can be taken over */
};

/* fw_sample_rate[0], per CPU: the rate limit's window and what it left out. */
struct fw_sample_rate {
	__u64 window; /* start of the current second, coarse clock */
	__u64 taken;  /* samples in it */
	__u64 missed; /* drops over the rate, not sampled */
	__u64 lost;   /* drops sampled with the ring full */
};

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

/* One target's rule, as the user stated it. excepted[] holds exceptions
 * (`unblock` on a port or container its bridge's rule covers): protocols
 * the bridge's rule blocks that this target passes; the most specific
 * target wins. For a container target both are in the container's terms. */
struct fw_rule {
	char target[FW_TARGET_LEN]; /* "": entry free */
	struct fw_policy blocked[FW_DIRS];
	struct fw_policy excepted[FW_DIRS];
	__u8 mode;  /* enum fw_mode_pref */
	__u8 hook;  /* enum fw_hook */
	__u8 flags; /* FW_RULE_* */
	__u8 pad[5];
};

/* The rule was made by attach or block, so its mode and hook are the
 * target's own; a rule of exceptions only leaves them to the bridge's. */
#define FW_RULE_OWN_HOOK (1U << 0)

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
