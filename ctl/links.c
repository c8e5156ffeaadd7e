// SPDX-License-Identifier: GPL-2.0
/* links.c - the interfaces of the current network namespace, from rtnetlink.
 * Not sysfs: after `nsenter --net` /sys still shows the old namespace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <linux/if_link.h>
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

/* IFLA_XDP of one link: what is attached, in which mode. */
static void xdp_attrs(struct rtattr *xdp, int len, struct fw_xdp_info *info)
{
	__u32 id[IFLA_XDP_MAX + 1] = {};
	__u8 attached = XDP_ATTACHED_NONE;

	for (struct rtattr *a = RTA_DATA(xdp); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_XDP_ATTACHED)
			attached = *(__u8 *)RTA_DATA(a);
		else if (a->rta_type <= IFLA_XDP_MAX && RTA_PAYLOAD(a) >= sizeof(__u32))
			id[a->rta_type] = *(__u32 *)RTA_DATA(a);
	}
	if (attached == XDP_ATTACHED_DRV ||
	    (attached == XDP_ATTACHED_MULTI && id[IFLA_XDP_DRV_PROG_ID])) {
		info->mode = FW_XDP_NATIVE;
		info->prog_id = attached == XDP_ATTACHED_DRV ? id[IFLA_XDP_PROG_ID]
							     : id[IFLA_XDP_DRV_PROG_ID];
	} else if (attached == XDP_ATTACHED_SKB || attached == XDP_ATTACHED_MULTI) {
		info->mode = FW_XDP_GENERIC;
		info->prog_id = attached == XDP_ATTACHED_SKB ? id[IFLA_XDP_PROG_ID]
							     : id[IFLA_XDP_SKB_PROG_ID];
	}
}

/* The XDP state in one RTM_NEWLINK message. */
static void link_xdp(const struct nlmsghdr *nh, struct fw_xdp_info *info)
{
	int alen = IFLA_PAYLOAD(nh);

	for (struct rtattr *a = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if ((a->rta_type & NLA_TYPE_MASK) == IFLA_XDP)
			xdp_attrs(a, RTA_PAYLOAD(a), info);
}

/*
 * The XDP program on one interface. One RTM_GETLINK for that ifindex, not
 * bpf_xdp_query()'s dump of every link: with hundreds of ports, attaching
 * each one would otherwise cost a dump of them all.
 */
int fw_xdp_query(int ifindex, struct fw_xdp_info *info)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd, len, err = 0;

	memset(info, 0, sizeof(*info));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0 || (len = recv(fd, buf, sizeof(buf), 0)) < 0) {
		err = -errno;
		goto out;
	}
	if (!NLMSG_OK(nh, (unsigned)len)) {
		err = -EIO;
	} else if (nh->nlmsg_type == NLMSG_ERROR) {
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	} else if (nh->nlmsg_type == RTM_NEWLINK) {
		link_xdp(nh, info);
	}
out:
	close(fd);
	return err;
}

/*
 * The XDP programs of fwctl's n interface slots: one RTM_GETLINK dump,
 * without the statistics, for readers that look at every covered interface
 * (status) rather than one request each. info[i] is ifc[i]'s; zero for a
 * free slot or an interface that is gone.
 */
int fw_xdp_query_all(const struct fw_iface *ifc, int n, struct fw_xdp_info *info)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		__u32 mask;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
		.ext = { .rta_len = RTA_LENGTH(sizeof(__u32)), .rta_type = IFLA_EXT_MASK },
		.mask = RTEXT_FILTER_SKIP_STATS,
	};
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, len, err = 0;
	bool done = false;

	memset(info, 0, n * sizeof(*info));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0)
		err = -errno;
	while (!err && !done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			err = len ? -errno : -EIO;
			break;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned)len);
		     nh = NLMSG_NEXT(nh, len)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(nh);
			int i;

			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error ?: -EIO;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWLINK)
				continue;
			for (i = 0; i < n && (int)ifc[i].ifindex != ifi->ifi_index; i++)
				;
			if (i < n)
				link_xdp(nh, &info[i]);
		}
	}
	close(fd);
	return err;
}

static int count_reply(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(int *)arg)++;
	return NL_OK;
}

/* How many TC filters (anyone's) sit on ifindex under parent, or -errno. */
int fw_tc_filter_count(int ifindex, __u32 parent)
{
	struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent };
	struct nl_sock *sk = nl_socket_alloc();
	int n = 0, err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, count_reply, &n);
	if (!err)
		err = nl_send_simple(sk, RTM_GETTFILTER, NLM_F_DUMP, &t, sizeof(t));
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	return err < 0 ? -EIO : n;
}
