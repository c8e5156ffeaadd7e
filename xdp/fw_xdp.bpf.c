// SPDX-License-Identifier: GPL-2.0
/* fw_xdp - what an interface receives, at the earliest hook. */
#include "fw_bpf.h"

SEC("xdp")
int fw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 idx = fw_parse(data, data_end);

	return fw_account(FW_DIR_IN, idx, data_end - data) == FW_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
