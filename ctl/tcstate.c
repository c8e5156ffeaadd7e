// SPDX-License-Identifier: GPL-2.0
/* tcstate.c - what the kernel runs on an interface's TC hooks, in the order
 * it runs them: TCX programs first, then the clsact qdisc's filters by
 * priority. The answer to "does fwctl's filter see every packet?". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include "fwctl.h"

#define FW_BPF_TCX_INGRESS 46
#define FW_BPF_TCX_EGRESS  47

struct clsact_set {
	int *idx;
	int n, cap;
};

static void clsact_one(const struct nlmsghdr *nh, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(nh);
	struct clsact_set *s = arg;
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*t));

	for (struct rtattr *a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != TCA_KIND || strcmp(RTA_DATA(a), "clsact"))
			continue;
		if (s->n == s->cap) {
			int *grown = realloc(s->idx, (s->cap * 2 + 16) * sizeof(int));

			if (!grown)
				return;
			s->idx = grown;
			s->cap = s->cap * 2 + 16;
		}
		s->idx[s->n++] = t->tcm_ifindex;
	}
}

/* Which interfaces have a clsact qdisc: one dump for all of them. Returns a
 * count and an array the caller frees, or -errno. */
int fw_clsact_list(int **ifindexes)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETQDISC,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.t = { .tcm_family = AF_UNSPEC },
	};
	struct clsact_set s = {};
	int err = fw_nl_dump(&req, sizeof(req), RTM_NEWQDISC, clsact_one, &s);

	if (err) {
		free(s.idx);
		return err;
	}
	*ifindexes = s.idx;
	return s.n;
}

/* A few EtherTypes by name, for reasons a person reads; NULL for others. */
const char *fw_ethertype_name(__u16 proto)
{
	return proto == ETH_P_ALL    ? "all"
	       : proto == ETH_P_IP   ? "IPv4"
	       : proto == ETH_P_IPV6 ? "IPv6"
	       : proto == ETH_P_ARP  ? "ARP"
				     : NULL;
}

struct filter_walk {
	struct fw_tc_hook *h;
	__u32 handle[2];
	bool seen_other; /* a filter that is not ours came first */
};

static void filter_one(const struct nlmsghdr *nh, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(nh);
	struct filter_walk *w = arg;
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	char kind[16] = "", name[64] = "", *p;
	__u32 chain = 0, id = 0, flags = 0, prio = TC_H_MAJ(t->tcm_info) >> 16;
	__u16 proto = ntohs(TC_H_MIN(t->tcm_info));

	for (struct rtattr *a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND) {
			snprintf(kind, sizeof(kind), "%s", (char *)RTA_DATA(a));
		} else if (a->rta_type == TCA_CHAIN) {
			chain = *(__u32 *)RTA_DATA(a);
		} else if (a->rta_type == TCA_OPTIONS) {
			int olen = RTA_PAYLOAD(a);

			for (struct rtattr *o = RTA_DATA(a); RTA_OK(o, olen); o = RTA_NEXT(o, olen))
				if (o->rta_type == TCA_BPF_ID)
					id = *(__u32 *)RTA_DATA(o);
				else if (o->rta_type == TCA_BPF_FLAGS)
					flags = *(__u32 *)RTA_DATA(o);
				else if (o->rta_type == TCA_BPF_NAME)
					snprintf(name, sizeof(name), "%s", (char *)RTA_DATA(o));
		}
	}
	/* Handle 0 announces a priority's classifier; chains other than 0 run
	 * only when a filter of chain 0 jumps there. */
	if (!t->tcm_handle || chain)
		return;
	w->h->filters++;
	if (!strcmp(kind, "bpf") &&
	    (t->tcm_handle == w->handle[0] || t->tcm_handle == w->handle[1]) && !w->h->prog_id) {
		w->h->prog_id = id;
		w->h->handle = t->tcm_handle;
		w->h->prio = prio;
		/* Without direct-action cls_bpf takes the program's verdict for
		 * a class id and runs the filter's actions instead (none: pass);
		 * a filter of one protocol never sees the others' frames. */
		w->h->direct = flags & TCA_BPF_FLAG_ACT_DIRECT;
		w->h->protocol = proto;
		w->h->first = !w->seen_other && !w->h->tcx_ahead;
		return;
	}
	/* cls_bpf names its program "file:[section]"; keep it short. */
	if ((p = strchr(name, ':')))
		*p = 0;
	if (!w->seen_other && !w->h->prog_id)
		snprintf(w->h->ahead, sizeof(w->h->ahead), "%s filter%s%s%s (prio %u)",
			 !strcmp(kind, "bpf") ? "cls_bpf" : kind, name[0] ? " '" : "", name,
			 name[0] ? "'" : "", prio);
	if (prio == FW_TC_PRIO && !w->h->holder[0] && (proto != ETH_P_ALL || strcmp(kind, "bpf"))) {
		char only[40] = "";

		if (proto != ETH_P_ALL && fw_ethertype_name(proto))
			snprintf(only, sizeof(only), " for %s only", fw_ethertype_name(proto));
		else if (proto != ETH_P_ALL)
			snprintf(only, sizeof(only), " for EtherType 0x%04x only", proto);
		snprintf(w->h->holder, sizeof(w->h->holder), "%s filter%s%s%s%s",
			 !strcmp(kind, "bpf") ? "cls_bpf" : kind, name[0] ? " '" : "", name,
			 name[0] ? "'" : "", only);
	}
	w->seen_other = true;
}

/* TCX programs on a hook, in the order they run: before any clsact filter.
 * Returns how many ids were stored (a kernel without TCX has none). */
static __u32 tcx_read(int ifindex, __u32 dir, __u32 *ids, __u32 max)
{
	__u32 cnt = max, flags = 0;

	if (bpf_prog_query(ifindex, dir == FW_DIR_IN ? FW_BPF_TCX_INGRESS : FW_BPF_TCX_EGRESS, 0,
			   &flags, ids, &cnt))
		return 0;
	return cnt < max ? cnt : max;
}

/*
 * One hook of one interface: fwctl's cls_bpf filter (either of its two
 * handles), whether it runs first, and if not, what runs ahead of it. With
 * tcx_ours set, fwctl's program is the TCX program with that id instead.
 */
int fw_tc_hook_read(int ifindex, __u32 dir, bool clsact, __u32 tcx_ours, struct fw_tc_hook *h)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.t = { .tcm_family = AF_UNSPEC,
		       .tcm_ifindex = ifindex,
		       .tcm_parent = TC_H_MAKE(TC_H_CLSACT, dir == FW_DIR_IN ? TC_H_MIN_INGRESS
									     : TC_H_MIN_EGRESS) },
	};
	struct filter_walk w = { .h = h, .handle = { FW_TC_HANDLE, FW_TC_HANDLE + 1 } };
	__u32 ids[64];
	int err = 0;

	memset(h, 0, sizeof(*h));
	h->clsact = clsact;
	h->tcx_count = tcx_read(ifindex, dir, ids, ARRAY_SIZE(ids));
	h->tcx_first = h->tcx_count ? ids[0] : 0;
	if (tcx_ours) {
		/* Ours is a TCX link: present, and first among the TCX programs? */
		for (__u32 i = 0; i < h->tcx_count && !h->prog_id; i++)
			if (ids[i] == tcx_ours) {
				h->prog_id = tcx_ours;
				h->first = i == 0;
				/* A TCX program's return is its verdict, for all. */
				h->direct = true;
				h->protocol = ETH_P_ALL;
			}
		if (h->prog_id && !h->first)
			snprintf(h->ahead, sizeof(h->ahead), "TCX program id %u", h->tcx_first);
		return 0;
	}
	if (h->tcx_count) {
		char name[32];

		fw_prog_name(h->tcx_first, name, sizeof(name));
		h->tcx_ahead = true;
		snprintf(h->ahead, sizeof(h->ahead), "TCX program '%s' (id %u)", name,
			 h->tcx_first);
	}
	if (clsact)
		err = fw_nl_dump(&req, sizeof(req), RTM_NEWTFILTER, filter_one, &w);
	return err == -ENODEV || err == -EINVAL || err == -ENOENT ? 0 : err;
}

static void ignore(const struct nlmsghdr *nh, void *arg)
{
	(void)nh;
	(void)arg;
}

/* Removes one cls_bpf filter by priority, protocol and handle: libbpf's
 * bpf_tc_detach names every protocol, which the kernel refuses for a filter
 * of one. */
int fw_tc_filter_del(int ifindex, __u32 dir, __u32 prio, __u16 protocol, __u32 handle)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg t;
		struct rtattr kind;
		char name[4];
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_DELTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.t = { .tcm_family = AF_UNSPEC,
		       .tcm_ifindex = ifindex,
		       .tcm_handle = handle,
		       .tcm_parent = TC_H_MAKE(TC_H_CLSACT, dir == FW_DIR_IN ? TC_H_MIN_INGRESS
									     : TC_H_MIN_EGRESS),
		       .tcm_info = TC_H_MAKE(prio << 16, htons(protocol)) },
		.kind = { .rta_len = RTA_LENGTH(4), .rta_type = TCA_KIND },
		.name = "bpf",
	};

	return fw_nl_dump(&req, sizeof(req), RTM_NEWTFILTER, ignore, NULL);
}
