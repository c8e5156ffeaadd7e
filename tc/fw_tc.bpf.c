// SPDX-License-Identifier: GPL-2.0
/* fw_tc - what an interface sends (egress), and what it receives where XDP
 * is not wanted (ingress). Same parser, same decision as fw_xdp. */
#include <linux/pkt_cls.h>
#include "../xdp/fw_bpf.h"

_Static_assert(3 * FW_PASS - 1 == TC_ACT_UNSPEC && 3 * FW_DROP - 1 == TC_ACT_SHOT,
	       "the verdict maps onto TC actions by 3v - 1");

/* Pass is TC_ACT_UNSPEC so programs after ours still run (TCX_NEXT). */
static __always_inline int fw_tc(struct __sk_buff *skb, __u32 dir)
{
	struct fw_policy *pol;
	struct fw_counters *cnt;
	void *data, *data_end;
	const __u8 *l4;
	__u32 idx;

	if (!fw_lookup(skb->ifindex, dir, &pol, &cnt))
		return TC_ACT_UNSPEC;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	idx = fw_parse(data, data_end, &l4);

	/* Headers past the linear area (trafgen frames, GSO/GRO): pull them
	 * in and look again rather than decide on a frame half read (l4 is
	 * set where the decision reads the ICMP type). */
	if ((idx == FW_IDX_MALFORMED || (l4 && (void *)(l4 + 2) > data_end)) &&
	    skb->len > (__u32)(data_end - data)) {
		bpf_skb_pull_data(skb, skb->len < FW_PULL_MAX ? skb->len : FW_PULL_MAX);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		idx = fw_parse(data, data_end, &l4);
	}
	/* FW_PASS -> TC_ACT_UNSPEC (-1), FW_DROP -> TC_ACT_SHOT (2): 3v - 1. */
	return 3 * (int)fw_account(pol, cnt, idx, fw_icmp_exempt(idx, l4, data_end), skb->len) - 1;
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
