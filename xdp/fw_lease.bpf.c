// SPDX-License-Identifier: GPL-2.0
/*
 * fw_lease.bpf.c - the lease a namespace's state holds on the namespace: a
 * netns bpf_link of this program, pinned in the state directory, reads
 * netns_ino 0 once the namespace is destroyed. That, not a search of
 * /run/netns or /proc, is what lets one fwctl remove another namespace's
 * state. The program decides nothing: every socket lookup goes on as usual.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sk_lookup")
int fw_lease(struct bpf_sk_lookup *ctx __attribute__((unused)))
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
