// SPDX-License-Identifier: GPL-2.0
/* fw_xdp_nosample - fwctl's XDP program with the drop-sample test compiled
 * out: what that one test costs. For prog_cost -X. */
#define FW_NO_SAMPLE
#include "../xdp/fw_xdp.bpf.c"
