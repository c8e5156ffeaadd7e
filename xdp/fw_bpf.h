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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_MAX_IFACES *FW_DIRS);
	__type(key, __u32);
	__type(value, struct fw_policy);
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

/* Decide and count one frame of `bytes` L2 bytes on interface ifindex,
 * counted as idx, with its upper-layer header at l4 (or none); returns
 * FW_PASS/FW_DROP. */
static __always_inline int fw_account(__u32 ifindex, __u32 dir, __u32 idx, const __u8 *l4,
				      const void *end, __u64 bytes)
{
	__u32 slot = fw_slot, key, *found;
	struct fw_policy *pol;
	struct fw_counters *cnt;
	int verdict = FW_PASS;

	if (slot == FW_SLOT_BY_IFINDEX) {
		found = bpf_map_lookup_elem(&fw_slots, &ifindex);
		if (!found || !*found)
			return FW_PASS; /* not ours (yet, or any more) */
		slot = *found - 1;
	}
	key = fw_key(slot, dir);

	pol = bpf_map_lookup_elem(&fw_policy, &key);
	if (pol)
		verdict = fw_decide(pol, idx, l4, end);
	cnt = bpf_map_lookup_elem(&fw_counters, &key);
	if (cnt && idx < FW_IDX_SLOTS) {
		cnt->idx[idx].packets[verdict]++;
		cnt->idx[idx].bytes[verdict] += bytes;
	}
	return verdict;
}

#endif /* FW_BPF_H */
