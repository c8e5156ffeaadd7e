// SPDX-License-Identifier: GPL-2.0
/* fw_tc_nosample - fwctl's TC program with the drop-sample test compiled
 * out: what that one test costs. For prog_cost -X. */
#define FW_NO_SAMPLE
#include "../tc/fw_tc.bpf.c"
