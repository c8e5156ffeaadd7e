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
#include <bpf/bpf_endian.h>

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

/*
 * lower-bound+: the same, plus what any correct program must also do on
 * such a frame, and what fwctl's counters hold: it checks that the frame is
 * IPv4 without options (ethertype, version and header length) and counts
 * bytes beside packets. Still no other frame, no uncovered interface, no
 * exemption: the bound for a program that keeps fwctl's counts.
 */
struct lbc_cell {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_SLOTS * 2);
	__type(key, __u32);
	__type(value, struct lbc_cell);
} lbc_count SEC(".maps");

static __always_inline int lbc_decide(__u32 ifindex, const __u8 *data, const __u8 *end)
{
	__u32 slot = lb_slot[ifindex & (LB_IFINDEXES - 1)], key;
	struct lbc_cell *c;
	__u8 drop;

	if (data + 14 + 20 > end)
		return -1;
	if (*(const __u16 *)(data + 12) != bpf_htons(0x0800) || data[14] != 0x45)
		return -1;
	slot = (slot - 1) & (LB_SLOTS - 1);
	drop = lb_policy[slot][data[14 + 9]] & 1;
	key = slot * 2 + drop;
	c = bpf_map_lookup_elem(&lbc_count, &key);
	if (c) {
		c->packets += 1;
		c->bytes += end - data;
	}
	return drop;
}

SEC("xdp")
int lbc_xdp(struct xdp_md *ctx)
{
	int drop = lbc_decide(ctx->ingress_ifindex, (void *)(long)ctx->data,
			      (void *)(long)ctx->data_end);

	return drop ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int lbc_tc(struct __sk_buff *skb)
{
	int drop = lbc_decide(skb->ifindex, (void *)(long)skb->data, (void *)(long)skb->data_end);

	return drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

/* IPv6 extension headers any parser must step over (hop-by-hop, routing,
 * fragment, AH, destination options): all numbered below 64. */
#define LB_EXT ((1ULL << 0) | (1ULL << 43) | (1ULL << 44) | (1ULL << 51) | (1ULL << 60))

/*
 * The same for untagged IPv6 (the lb6 programs), after the one walk no
 * parser can skip: each extension header's length sits in the header
 * before it, so every step is a dependent byte load and an add. Up to six
 * headers, the fragment header's fixed 8 bytes and AH's 4-byte units
 * heeded; nothing else (no later-fragment test, no truncation policy).
 */
/* One header: 1 stepped over, 0 not an extension header, -1 too short. */
static __always_inline int lb6_step(const __u8 **pp, __u8 *nhp, const __u8 *end)
{
	const __u8 *p = *pp, *q = p + 8;
	__u8 nh = *nhp;
	__u32 len;

	if (nh >= 64 || !((LB_EXT >> nh) & 1))
		return 0;
	if (q > end)
		return -1;
	*nhp = p[0];
	if (nh == 44) {
		*pp = q;
		return 1;
	}
	len = (__u32)p[1] << (nh == 51 ? 2 : 3);
	barrier_var(q); /* q + len: the +8 off the chain of loads */
	*pp = q + len;
	return 1;
}

static __always_inline int lb6_decide(__u32 ifindex, const __u8 *data, const __u8 *end)
{
	__u32 slot = lb_slot[ifindex & (LB_IFINDEXES - 1)], key;
	const __u8 *p = data + 14 + 40;
	__u64 *count;
	__u8 nh, drop;
	int r;

	if (p > end)
		return -1;
	nh = data[14 + 6];
	/* Six steps, written out: a loop with the barrier is not unrolled. */
	r = lb6_step(&p, &nh, end);
	if (r > 0)
		r = lb6_step(&p, &nh, end);
	if (r > 0)
		r = lb6_step(&p, &nh, end);
	if (r > 0)
		r = lb6_step(&p, &nh, end);
	if (r > 0)
		r = lb6_step(&p, &nh, end);
	if (r > 0)
		r = lb6_step(&p, &nh, end);
	if (r < 0)
		return -1;
	slot = (slot - 1) & (LB_SLOTS - 1);
	drop = lb_policy[slot][nh] & 1;
	key = slot * 2 + drop;
	count = bpf_map_lookup_elem(&lb_count, &key);
	if (count)
		*count += 1;
	return drop;
}

SEC("xdp")
int lb6_xdp(struct xdp_md *ctx)
{
	int drop = lb6_decide(ctx->ingress_ifindex, (void *)(long)ctx->data,
			      (void *)(long)ctx->data_end);

	return drop ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int lb6_tc(struct __sk_buff *skb)
{
	int drop = lb6_decide(skb->ifindex, (void *)(long)skb->data, (void *)(long)skb->data_end);

	return drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
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
