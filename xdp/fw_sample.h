/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fw_sample.h - drop samples for `fwctl monitor --packets`. With no one
 * listening, a frame costs one load of fw_sample_ctl.on, ANDed with its
 * verdict, and one branch (about 1 ns, make bench). With a listener, each
 * CPU sends at most fw_sample_ctl.rate samples a second through the ring
 * and counts the rest, so a flood costs each drop the rate check (a
 * lookup, the coarse clock, a count) and never more memory than the ring.
 */
#ifndef FW_SAMPLE_H
#define FW_SAMPLE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fw_abi.h"

/* A global: libbpf makes .data a one-entry array (fw_xdp.data) that fwctl
 * pins as fw_sample_ctl and shares between the XDP and TC objects, and the
 * programs read it at a fixed address, with no lookup. Nothing else may
 * live in .data, or the two objects' would differ. */
#ifdef FW_SAMPLE_ON_AT_LOAD /* bench/fw_*_listen.bpf.c: as if one listened */
struct fw_sample_ctl fw_sample_ctl SEC(".data") = { .on = 1, .rate = 100 };
#else
struct fw_sample_ctl fw_sample_ctl SEC(".data");
#endif

/* Whether a frame with this verdict (FW_PASS 0, FW_DROP 1) goes to the
 * listener: one load, one and, one branch, with no branch of its own on the
 * verdict (prog_cost measured this form the cheapest of four: +0.8 ns a
 * frame against a build without it, bench/fw_*_nosample.bpf.c). */
#ifdef FW_NO_SAMPLE
#define fw_sample_wanted(verdict) 0
#else
#define fw_sample_wanted(verdict) ((verdict)&fw_sample_ctl.on)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FW_SAMPLE_RING);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fw_sample_rate);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_sample_rate SEC(".maps");

/* The listener's interfaces, by ifindex, when it named a target. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FW_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} fw_sample_if SEC(".maps");

#define FW_NS_PER_S 1000000000ULL

/* The rate state of this CPU where a drop on ifindex may be sampled: the
 * listener's target, and under its rate (the window runs on the coarse
 * clock, a tick's precision is plenty for a second, and it costs less);
 * NULL where not, with the drop counted as missed. Checked before anything
 * else is done for the sample, so a flood costs this much a drop. */
static __always_inline struct fw_sample_rate *fw_sample_admit(__u32 ifindex)
{
	struct fw_sample_rate *r;
	__u32 zero = 0;
	__u64 now;

	if (fw_sample_ctl.filter && !bpf_map_lookup_elem(&fw_sample_if, &ifindex))
		return NULL;
	r = bpf_map_lookup_elem(&fw_sample_rate, &zero);
	if (!r)
		return NULL;
	now = bpf_ktime_get_coarse_ns();
	if (now - r->window >= FW_NS_PER_S) {
		r->window = now;
		r->taken = 0;
	}
	if (r->taken >= fw_sample_ctl.rate) {
		r->missed++;
		return NULL;
	}
	return r;
}

/* A ring entry for an admitted drop of len bytes on ifindex, filled but
 * for its bytes, or NULL with the ring full (counted as lost). The
 * sample's time is the precise clock's. */
static __always_inline struct fw_sample *fw_sample_reserve(struct fw_sample_rate *r, __u32 ifindex,
							   __u32 dir, __u32 kind, __u32 len)
{
	struct fw_sample *s = bpf_ringbuf_reserve(&fw_samples, sizeof(*s), 0);

	if (!s) {
		r->lost++;
		return NULL;
	}
	r->taken++;
	s->ns = bpf_ktime_get_ns();
	s->ifindex = ifindex;
	s->len = len;
	s->kind = (__u16)kind;
	s->dir = (__u8)dir;
	s->pad = 0;
	s->pad2 = 0;
	s->caplen = (__u16)(len < FW_SAMPLE_SNAP ? len : FW_SAMPLE_SNAP);
	return s;
}

/* How many of a frame's len bytes a sample copies: 1 to FW_SAMPLE_SNAP
 * (for an empty frame the copy fails, and the sample keeps none). The
 * barriers keep the clamps where the verifier sees them: it wants the
 * copy's length bounded, and not zero, in the register it is passed in. */
static __always_inline __u64 fw_sample_len(__u64 len)
{
	__u64 n = len;

	asm volatile("" : "+r"(n));
	if (n > FW_SAMPLE_SNAP)
		n = FW_SAMPLE_SNAP;
	asm volatile("" : "+r"(n));
	if (n < 1)
		n = 1;
	asm volatile("" : "+r"(n));
	return n;
}

/* The bytes are copied with the hook's own helper (frags included);
 * where the copy fails, the sample keeps none. */
static __always_inline void fw_sample_submit(struct fw_sample *s, long copy_err)
{
	if (copy_err)
		s->caplen = 0;
	bpf_ringbuf_submit(s, 0);
}

#endif /* FW_SAMPLE_H */
