// SPDX-License-Identifier: GPL-2.0
/* fw_tc - what an interface sends (egress), and what it receives where XDP
 * is not wanted (ingress). Same parser, same decision as fw_xdp. */
#include <linux/pkt_cls.h>
#include "../xdp/fw_bpf.h"
#include "../xdp/fw_sample.h"

_Static_assert(3 * FW_PASS - 1 == TC_ACT_UNSPEC && 3 * FW_DROP - 1 == TC_ACT_SHOT,
	       "the verdict maps onto TC actions by 3v - 1");

/* A frame of up to FW_COPY_MAX bytes whose headers sit past the linear area
 * is copied here and parsed in place of the packet, as nft's
 * skb_header_pointer() does, and leaves the skb as it is: pulling it into
 * the linear area cost 0.03 us more per frame in one A/B (trafgen's frames,
 * all in page fragments, over a veth: 2.02 against 1.99 us). The parser may step as far as six extension headers of 2 KiB reach,
 * so the verifier wants the buffer that long; only the frame's own bytes are
 * filled, and the parser reads none past them. */
#define FW_COPY_SPAN                                                                               \
	(FW_ETH_HLEN + FW_MAX_VLAN * FW_VLAN_HLEN + FW_IPV6_HLEN + FW_MAX_EXTHDR * 2048 + 8)

struct fw_hdr_copy {
	__u8 b[FW_COPY_SPAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_hdr_copy);
} fw_hdr_copy SEC(".maps");

/* The parser could not finish in [data, data_end): the headers, or the ICMP
 * type the decision reads (l4), run past it. */
static __always_inline int fw_unread(__u32 idx, const __u8 *l4, const void *data_end)
{
	return idx == FW_IDX_MALFORMED || (l4 && (const void *)(l4 + 2) > data_end);
}

/* What the frame counts as, found by the parser in the packet, or where
 * its headers sit past the linear area (trafgen frames, GSO/GRO) in a copy
 * of a short frame or in a longer one pulled in: never decided on a frame
 * half read. data and data_end are where the parser read. */
static __always_inline __u32 fw_tc_parse(struct __sk_buff *skb, void **data, void **data_end,
					 const __u8 **l4)
{
	struct fw_hdr_copy *copy = NULL;
	__u32 idx = fw_parse(*data, *data_end, l4), n = skb->len, zero = 0;

	if (!fw_unread(idx, *l4, *data_end) || n <= (__u32)(*data_end - *data))
		return idx;
	if (n && n <= FW_COPY_MAX)
		copy = bpf_map_lookup_elem(&fw_hdr_copy, &zero);
	if (copy && !bpf_skb_load_bytes(skb, 0, copy->b, n)) {
		*data = copy->b;
		*data_end = copy->b + n;
	} else {
		bpf_skb_pull_data(skb, n < FW_PULL_MAX ? n : FW_PULL_MAX);
		*data = (void *)(long)skb->data;
		*data_end = (void *)(long)skb->data_end;
	}
	return fw_parse(*data, *data_end, l4);
}

/* A dropped frame for a listener (fw_sample.h): out of the hot path, which
 * keeps nothing live for it but skb. The kind is found again as it was,
 * only for a sample the rate admits. */
static __noinline void fw_tc_sample(struct __sk_buff *skb, __u32 dir)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct fw_sample_rate *r = fw_sample_admit(skb->ifindex);
	struct fw_sample *s;
	const __u8 *l4;
	__u32 kind;

	if (!r)
		return;
	kind = fw_tc_parse(skb, &data, &data_end, &l4);
	s = fw_sample_reserve(r, skb->ifindex, dir, kind, skb->len);
	if (s)
		fw_sample_submit(s, bpf_skb_load_bytes(skb, 0, s->data, fw_sample_len(skb->len)));
}

/* Pass is TC_ACT_UNSPEC so programs after ours still run (TCX_NEXT). */
static __always_inline int fw_tc(struct __sk_buff *skb, __u32 dir)
{
	struct fw_compiled *pol;
	struct fw_counters *cnt;
	void *data, *data_end;
	const __u8 *l4;
	__u64 verdict;
	__u32 idx;

	if (!fw_lookup(skb->ifindex, dir, &pol, &cnt))
		return TC_ACT_UNSPEC;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (!fw_fast(pol, cnt, data, data_end, skb->len, &verdict)) {
		idx = fw_tc_parse(skb, &data, &data_end, &l4);
		verdict = fw_account(pol, cnt, idx, l4, data_end, skb->len);
	}
	if (fw_sample_wanted(verdict))
		fw_tc_sample(skb, dir);
	/* FW_PASS -> TC_ACT_UNSPEC (-1), FW_DROP -> TC_ACT_SHOT (2): 3v - 1. */
	return 3 * (int)verdict - 1;
}

SEC("tc")
int fw_tc_in(struct __sk_buff *skb)
{
	return fw_tc(skb, FW_DIR_IN);
}

SEC("tc")
int fw_tc_out(struct __sk_buff *skb)
{
	return fw_tc(skb, FW_DIR_OUT);
}

char LICENSE[] SEC("license") = "GPL";
