// SPDX-License-Identifier: GPL-2.0
/* fw_xdp - what an interface receives, at the earliest hook. */
#include "fw_bpf.h"
#include "fw_sample.h"

_Static_assert(XDP_PASS - FW_PASS == XDP_PASS && XDP_PASS - FW_DROP == XDP_DROP,
	       "the verdict maps onto XDP actions by subtraction");

/* A dropped frame for a listener (fw_sample.h): out of the hot path. The
 * kind is the parser's again, found only for a sample the rate admits. */
static __noinline void fw_xdp_sample(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct fw_sample_rate *r = fw_sample_admit(ctx->ingress_ifindex);
	struct fw_sample *s;
	const __u8 *l4;
	__u32 len;

	if (!r)
		return;
	len = bpf_xdp_get_buff_len(ctx);
	s = fw_sample_reserve(r, ctx->ingress_ifindex, FW_DIR_IN, fw_parse(data, data_end, &l4),
			      len);
	if (s)
		fw_sample_submit(s, bpf_xdp_load_bytes(ctx, 0, s->data, fw_sample_len(len)));
}

SEC("xdp")
int fw_xdp(struct xdp_md *ctx)
{
	struct fw_compiled *pol;
	struct fw_counters *cnt;
	void *data, *data_end;
	const __u8 *l4;
	__u64 verdict;
	__u32 idx;

	if (!fw_lookup(ctx->ingress_ifindex, FW_DIR_IN, &pol, &cnt))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (!fw_fast(pol, cnt, data, data_end, data_end - data, &verdict)) {
		idx = fw_parse(data, data_end, &l4);

#ifdef FW_TEST_REFUSED
		/* tests/e2e_refused.sh builds this: a read past the packet,
		 * unchecked, which the verifier must refuse. */
		if (*(volatile __u8 *)data_end)
			return XDP_ABORTED;
#endif
		verdict = fw_account(pol, cnt, idx, l4, data_end, data_end - data);
	}
	if (fw_sample_wanted(verdict))
		fw_xdp_sample(ctx);
	/* XDP_PASS - FW_PASS, XDP_PASS - FW_DROP: no select. */
	return XDP_PASS - verdict;
}

char LICENSE[] SEC("license") = "GPL";
