/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_bpf.h - the maps and the accounting step shared by the XDP and TC
 * programs. Maps are pinned by name under the namespace's state directory.
 */
#ifndef FW_BPF_H
#define FW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fw_parse.h"
#include "fw_count.h"

/* Set before load. fwctl loads one instance per namespace with
 * FW_SLOT_BY_IFINDEX, so a new interface costs a map write and an attach,
 * not a verification; a fixed slot (tests, benchmarks) is folded into the
 * code by the verifier and costs nothing. */
const volatile __u32 fw_slot = 0;

/* fw_slots[ifindex]: slot + 1 of an interface fwctl covers, 0 if none. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_slots SEC(".maps");

/* The same for an ifindex >= FW_MAX_IFINDEX, which fw_slots cannot hold: a
 * hash lookup, taken only where the direct table's bounds check fails. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_slots_hi SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_MAX_IFACES *FW_DIRS);
	__type(key, __u32);
	__type(value, struct fw_compiled);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_MAX_IFACES *FW_DIRS);
	__type(key, __u32);
	__type(value, struct fw_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_counters SEC(".maps");

/* fwctl's state; declared here so one load creates and pins every map. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fw_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_ruleset);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_meta SEC(".maps");

/* The interface's policy and counters for one direction. Nothing here
 * depends on the frame, so the programs look them up before reading it.
 * Returns 0 where the interface is not ours (yet, or any more): pass it. */
static __always_inline int fw_lookup(__u32 ifindex, __u32 dir, struct fw_compiled **pol,
				     struct fw_counters **cnt)
{
	__u32 key = fw_slot, *found;

	if ((__s32)key < 0) { /* FW_SLOT_BY_IFINDEX, in one compare */
		found = bpf_map_lookup_elem(&fw_slots, &ifindex);
		if (!found) /* beyond the direct table */
			found = bpf_map_lookup_elem(&fw_slots_hi, &ifindex);
		if (!found || !*found)
			return 0;
		key = *found - 1;
	}
	key = fw_key(key, dir);
	*pol = bpf_map_lookup_elem(&fw_policy, &key);
	*cnt = bpf_map_lookup_elem(&fw_counters, &key);
	return *pol && *cnt;
}

/* Decides and counts one frame of `bytes` L2 bytes, counted as idx, with
 * its upper-layer header (if any) at l4; returns FW_PASS/FW_DROP. */
static __always_inline __u64 fw_account(const struct fw_compiled *pol, struct fw_counters *cnt,
					__u32 idx, const __u8 *l4, const void *end, __u64 bytes)
{
	__u32 act = fw_act(pol, idx, l4, end);

	fw_count(cnt, act, bytes);
	return act >> 7; /* FW_ACT_DROP: 64 bits, an index with no extension */
}

/* The common frame decided on a straight line (fw_fast_act, fw_parse.h)
 * and counted: 1 with *verdict set, or 0 for the parser to take it. */
static __always_inline int fw_fast(const struct fw_compiled *pol, struct fw_counters *cnt,
				   const __u8 *p, const __u8 *end, __u64 bytes, __u64 *verdict)
{
	__u32 act;

	if (!fw_fast_act(pol, p, end, &act))
		return 0;
	fw_count(cnt, act, bytes);
	*verdict = act >> 7;
	return 1;
}

#endif /* FW_BPF_H */
