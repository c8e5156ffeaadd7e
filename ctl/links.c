// SPDX-License-Identifier: GPL-2.0
/* links.c - the interfaces of the current network namespace, from rtnetlink.
 * Not sysfs: after `nsenter --net` /sys still shows the old namespace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include "fwctl.h"

static void link_fill(struct fw_link *l, struct rtnl_link *rl)
{
	const char *type = rtnl_link_get_type(rl);
	int32_t nsid;

	l->ifindex = rtnl_link_get_ifindex(rl);
	l->master = rtnl_link_get_master(rl);
	l->peer = rtnl_link_get_link(rl);
	l->peer_nsid = rtnl_link_get_link_netnsid(rl, &nsid) ? -1 : nsid;
	snprintf(l->name, sizeof(l->name), "%s", rtnl_link_get_name(rl));
	if (type)
		snprintf(l->kind, sizeof(l->kind), "%s", type);
	else if (rtnl_link_get_arptype(rl) == ARPHRD_LOOPBACK)
		strcpy(l->kind, "loopback");
	else
		strcpy(l->kind, "device");
}

int fw_links_load(struct fw_link **links, int *n)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	struct fw_link *out;
	int err, i = 0;

	if (!sk)
		return fw_fail(-ENOMEM, "out of memory");
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err) {
		nl_socket_free(sk);
		return fw_fail(-EIO, "cannot list interfaces: %s", nl_geterror(err));
	}
	out = calloc(nl_cache_nitems(cache) + 1, sizeof(*out));
	if (!out) {
		err = fw_fail(-ENOMEM, "out of memory");
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
		link_fill(&out[i++], (struct rtnl_link *)obj);
	*links = out;
	*n = i;
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return err;
}

const struct fw_link *fw_link_by_name(const struct fw_link *l, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			return &l[i];
	return NULL;
}

const struct fw_link *fw_link_by_index(const struct fw_link *l, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (l[i].ifindex == ifindex)
			return &l[i];
	return NULL;
}

static int nsid_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[NETNSA_MAX + 1];

	if (!nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) &&
	    tb[NETNSA_NSID])
		*(int *)arg = (int32_t)nla_get_u32(tb[NETNSA_NSID]);
	return NL_OK;
}

/* The id the current namespace gives the namespace behind nsfd (what a
 * veth's IFLA_LINK_NETNSID says), or -1 if it gave it none. */
int fw_netns_id(int nsfd)
{
	struct rtgenmsg hdr = { .rtgen_family = AF_UNSPEC };
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int nsid = -1;

	if (!sk || nl_connect(sk, NETLINK_ROUTE))
		goto out;
	msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
	if (!msg || nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO) ||
	    nla_put_u32(msg, NETNSA_FD, nsfd))
		goto out;
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, nsid_reply, &nsid);
	if (nl_send_auto(sk, msg) >= 0)
		nl_recvmsgs_default(sk);
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return nsid;
}
