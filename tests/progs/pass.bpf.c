// SPDX-License-Identifier: GPL-2.0
/*
 * pass.bpf.c - "another tool's" programs for the trust tests: an XDP program
 * and a TC classifier that let every packet through. They are not fwctl's
 * (not its programs, not in its state), so fwctl must notice them.
 *
 * No headers: the tests build it with a bare `clang -O2 -g -target bpf -c`,
 * which finds no <asm/types.h> on a multiarch Debian.
 */
#define SEC(name) __attribute__((section(name), used))

enum { XDP_PASS = 2 };	/* enum xdp_action, linux/bpf.h */
enum { TC_ACT_OK = 0 };	/* linux/pkt_cls.h */

SEC("xdp")
int pass_xdp(void *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int pass_tc(void *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
