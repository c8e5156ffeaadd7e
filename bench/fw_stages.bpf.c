// SPDX-License-Identifier: GPL-2.0
/*
 * fw_stages - fwctl's XDP program cut short after each step of its hot path,
 * for `prog_cost -a`: what each step adds over a program that only returns.
 * The steps are the shared code itself (fw_bpf.h, fw_parse.h), in the order
 * fw_xdp runs them; the whole program is fw_xdp, measured beside these.
 * Only for the benchmark: fwctl never loads this object.
 */
#include "../xdp/fw_bpf.h"

/* Reads the receiving interface's index: three loads (rxq, dev, ifindex). */
SEC("xdp")
int st_ifindex(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex ? XDP_PASS : XDP_ABORTED;
}

/* ... and finds its slot: fw_slots[ifindex]. */
SEC("xdp")
int st_slot(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex, *found;

	found = bpf_map_lookup_elem(&fw_slots, &ifindex);
	return found && *found ? XDP_PASS : XDP_ABORTED;
}

/* ... and the slot's policy and counters: fw_lookup() as fw_xdp calls it. */
SEC("xdp")
int st_lookups(struct xdp_md *ctx)
{
	struct fw_compiled *pol;
	struct fw_counters *cnt;

	return fw_lookup(ctx->ingress_ifindex, FW_DIR_IN, &pol, &cnt) ? XDP_PASS : XDP_ABORTED;
}

/* ... and parses the frame and decides: everything but the counting. */
SEC("xdp")
int st_decide(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct fw_compiled *pol;
	struct fw_counters *cnt;
	const __u8 *l4;
	__u32 idx;

	if (!fw_lookup(ctx->ingress_ifindex, FW_DIR_IN, &pol, &cnt))
		return XDP_ABORTED;
	idx = fw_parse(data, data_end, &l4);
	return XDP_PASS - (fw_act(pol, idx, l4, data_end) >> 7);
}

/* The parser alone, with no lookup at all: what reading the headers costs. */
SEC("xdp")
int st_parse(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	const __u8 *l4;

	return fw_parse(data, data_end, &l4) == FW_IDX_MALFORMED ? XDP_ABORTED : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
