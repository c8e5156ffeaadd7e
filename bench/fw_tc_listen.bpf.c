// SPDX-License-Identifier: GPL-2.0
/* fw_tc_listen - fwctl's TC program as if monitor --packets listened: the
 * sample flag is on from load (a flood's cost with a listener). For
 * prog_cost -X. */
#define FW_SAMPLE_ON_AT_LOAD
#include "../tc/fw_tc.bpf.c"
