// SPDX-License-Identifier: GPL-2.0
/*
 * lower_bound - only the work no per-interface protocol filter can skip, for
 * `prog_cost`: find the interface's slot by its ifindex, read the frame's
 * protocol byte, read that protocol's policy byte, add one to a per-CPU
 * count, return the verdict. No parser: the protocol byte is read where an
 * untagged IPv4 header without options has it, so this is a bound on what
 * fwctl's programs can cost on such frames, not a usable program.
 * Self-contained on purpose (no fwctl header): it measures the floor of the
 * work whatever fwctl's data path looks like. Only for the benchmark.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define LB_IFINDEXES 1024 /* a power of two: the mask bounds the index */
#define LB_SLOTS     16

/* lb_slot[ifindex]: slot + 1 of a covered interface, 0 if none. */
__u32 lb_slot[LB_IFINDEXES];
/* lb_policy[slot][protocol]: 1 drops. */
__u8 lb_policy[LB_SLOTS][256];

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_SLOTS * 2);
	__type(key, __u32);
	__type(value, __u64);
} lb_count SEC(".maps");

/* The verdict bit (1: drop) of a frame on ifindex; -1: too short. */
static __always_inline int lb_decide(__u32 ifindex, const __u8 *data, const __u8 *end)
{
	__u32 slot = lb_slot[ifindex & (LB_IFINDEXES - 1)], key;
	__u64 *count;
	__u8 drop;

	if (data + 14 + 20 > end)
		return -1;
	slot = (slot - 1) & (LB_SLOTS - 1); /* 0 (not covered) lands on the last */
	drop = lb_policy[slot][data[14 + 9]] & 1;
	key = slot * 2 + drop;
	count = bpf_map_lookup_elem(&lb_count, &key);
	if (count)
		*count += 1;
	return drop;
}

SEC("xdp")
int lb_xdp(struct xdp_md *ctx)
{
	int drop = lb_decide(ctx->ingress_ifindex, (void *)(long)ctx->data,
			     (void *)(long)ctx->data_end);

	return drop ? XDP_DROP : XDP_PASS; /* -1: short, dropped too */
}

SEC("tc")
int lb_tc(struct __sk_buff *skb)
{
	int drop = lb_decide(skb->ifindex, (void *)(long)skb->data, (void *)(long)skb->data_end);

	return drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "GPL";
