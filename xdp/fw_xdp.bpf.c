// SPDX-License-Identifier: GPL-2.0
/* fw_xdp - what an interface receives, at the earliest hook. */
#include "fw_bpf.h"

SEC("xdp")
int fw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const __u8 *l4;
	__u32 idx = fw_parse(data, data_end, &l4);

#ifdef FW_TEST_REFUSED
	/* tests/e2e_refused.sh builds this: a read past the packet, unchecked,
	 * which the verifier must refuse. */
	if (*(volatile __u8 *)data_end)
		return XDP_ABORTED;
#endif

	return fw_account(ctx->ingress_ifindex, FW_DIR_IN, idx, l4, data_end, data_end - data) ==
			       FW_DROP
		       ? XDP_DROP
		       : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
