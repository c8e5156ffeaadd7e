// SPDX-License-Identifier: GPL-2.0
/*
 * proto_globals - a prototype for `prog_cost -X`, not part of fwctl: fwctl's
 * XDP program with the slot table and the policies in global arrays, read
 * directly (one bounds check and one load each), where fw_xdp looks them up
 * in maps through a key on the stack. The counters stay a per-CPU map
 * (fwctl's pinned fw_counters). prog_cost copies what fwctl wrote in
 * fw_slots and fw_policy into fw_gslots and fw_gpolicy after loading it.
 * Issue 15 asked what that is worth; fwctl's pinned-state model (maps
 * pinned by name, shared by every fwctl and the TC object) would need the
 * arrays pinned and written through mmap, which this does not do.
 */
#include "fw_bpf.h"

__u32 fw_gslots[FW_MAX_IFINDEX];
struct fw_compiled fw_gpolicy[FW_MAX_IFACES * FW_DIRS];

static __always_inline int fw_glookup(__u32 ifindex, __u32 dir, struct fw_compiled **pol,
				      struct fw_counters **cnt)
{
	__u32 s, key, *found;

	if (ifindex < FW_MAX_IFINDEX) {
		s = fw_gslots[ifindex];
	} else {
		found = bpf_map_lookup_elem(&fw_slots_hi, &ifindex);
		s = found ? *found : 0;
	}
	key = fw_key(s - 1, dir);
	if (!s || key >= FW_MAX_IFACES * FW_DIRS)
		return 0;
	*pol = &fw_gpolicy[key];
	*cnt = bpf_map_lookup_elem(&fw_counters, &key);
	return *cnt != 0;
}

SEC("xdp")
int fw_xdp_g(struct xdp_md *ctx)
{
	struct fw_compiled *pol;
	struct fw_counters *cnt;
	void *data, *data_end;
	const __u8 *l4;
	__u64 verdict;
	__u32 idx;

	if (!fw_glookup(ctx->ingress_ifindex, FW_DIR_IN, &pol, &cnt))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (fw_fast(pol, cnt, data, data_end, data_end - data, &verdict))
		return XDP_PASS - verdict;
	idx = fw_parse(data, data_end, &l4);
	return XDP_PASS - fw_account(pol, cnt, idx, l4, data_end, data_end - data);
}

char LICENSE[] SEC("license") = "GPL";
