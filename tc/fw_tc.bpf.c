// SPDX-License-Identifier: GPL-2.0
/* fw_tc - what an interface sends (egress), and what it receives where XDP
 * is not wanted (ingress). Same parser, same decision as fw_xdp. */
#include <linux/pkt_cls.h>
#include "../xdp/fw_bpf.h"

static __always_inline __u32 fw_tc_parse(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 idx = fw_parse(data, data_end);
	__u32 linear = data_end - data;

	/* Headers past the linear area (trafgen frames, GSO/GRO): pull them
	 * in and look again rather than pass a frame unread. */
	if (idx == FW_IDX_MALFORMED && skb->len > linear) {
		bpf_skb_pull_data(skb, skb->len < FW_PULL_MAX ? skb->len : FW_PULL_MAX);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
		idx = fw_parse(data, data_end);
	}
	return idx;
}

/* Pass is TC_ACT_UNSPEC so programs after ours still run (TCX_NEXT). */
static __always_inline int fw_tc(struct __sk_buff *skb, __u32 dir)
{
	__u32 idx = fw_tc_parse(skb);

	return fw_account(dir, idx, skb->len) == FW_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
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
