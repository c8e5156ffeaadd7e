// SPDX-License-Identifier: GPL-2.0
/* links.c - the interfaces of the current network namespace, from rtnetlink.
 * Not sysfs: after `nsenter --net` /sys still shows the old namespace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <stddef.h>
#include <net/if_arp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include "fwctl.h"

/* IFLA_XDP of one link: what is attached, in which mode. With programs in
 * both modes (MULTI), the native one runs first and is the one reported;
 * other_id then names the generic one. */
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
		info->other_id = attached == XDP_ATTACHED_MULTI ? id[IFLA_XDP_SKB_PROG_ID] : 0;
	} else if (attached == XDP_ATTACHED_SKB || attached == XDP_ATTACHED_MULTI) {
		info->mode = FW_XDP_GENERIC;
		info->prog_id = attached == XDP_ATTACHED_SKB ? id[IFLA_XDP_PROG_ID]
							     : id[IFLA_XDP_SKB_PROG_ID];
	}
}

static void link_kind(struct rtattr *info, int len, struct fw_link *l)
{
	for (struct rtattr *a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_INFO_KIND)
			snprintf(l->kind, sizeof(l->kind), "%.*s", (int)RTA_PAYLOAD(a),
				 (char *)RTA_DATA(a));
}

/* One RTM_NEWLINK message: name, master, kind, veth peer and XDP state. */
static void link_parse(const struct nlmsghdr *nh, struct fw_link *l)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	int alen = IFLA_PAYLOAD(nh);

	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->peer_nsid = -1;
	strcpy(l->kind, ifi->ifi_type == ARPHRD_LOOPBACK ? "loopback" : "device");
	for (struct rtattr *a = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		void *d = RTA_DATA(a);

		switch (a->rta_type & NLA_TYPE_MASK) {
		case IFLA_IFNAME:
			snprintf(l->name, sizeof(l->name), "%.*s", (int)RTA_PAYLOAD(a), (char *)d);
			break;
		case IFLA_MASTER:
			l->master = *(__u32 *)d;
			break;
		case IFLA_LINK:
			l->peer = *(__u32 *)d;
			break;
		case IFLA_LINK_NETNSID:
			l->peer_nsid = *(__s32 *)d;
			break;
		case IFLA_LINKINFO:
			link_kind(a, RTA_PAYLOAD(a), l);
			break;
		case IFLA_XDP:
			xdp_attrs(a, RTA_PAYLOAD(a), &l->xdp);
			break;
		}
	}
	/* A veth whose peer sits in this namespace names no netnsid. */
	if (l->peer == l->ifindex)
		l->peer = 0;
}

/*
 * Every interface of the namespace, with its XDP state, from one
 * RTM_GETLINK dump without statistics: what every command needs to know of
 * the topology and of what the kernel runs, in one round of reads.
 */
/* Sends a dump request on the namespace's kept socket and hands every reply
 * of type `type` to fn: the one dump loop of links, qdiscs and filters. */
int fw_nl_dump(void *req, size_t len, __u16 type, void (*fn)(const struct nlmsghdr *nh, void *arg),
	       void *arg)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *rq = req;
	static __u32 seq;
	int fd = fw_nl_route(), n, err = 0;
	bool done = false;

	if (fd < 0)
		return fd;
	rq->nlmsg_seq = ++seq;
	if (send(fd, req, len, 0) < 0)
		return -errno;
	while (!err && !done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return n ? -errno : -EIO;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				done = true;
				break;
			}
			if (nh->nlmsg_type == type)
				fn(nh, arg);
		}
	}
	return err;
}

struct link_list {
	struct fw_link *out;
	int n, cap, err;
};

static void link_add(const struct nlmsghdr *nh, void *arg)
{
	struct link_list *l = arg;
	struct fw_link *grown;

	if (l->err)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		grown = realloc(l->out, (l->cap + 1) * sizeof(*grown));
		if (!grown) {
			l->err = -ENOMEM;
			return;
		}
		l->out = grown;
	}
	link_parse(nh, &l->out[l->n++]);
}

static int links_dump(int master, struct fw_link **links, int *n)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		__u32 mask;
		struct rtattr master_attr;
		__u32 master;
	} req = {
		.nh = { .nlmsg_len = master ? sizeof(req) : offsetof(typeof(req), master_attr),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC },
		.ext = { .rta_len = RTA_LENGTH(sizeof(__u32)), .rta_type = IFLA_EXT_MASK },
		.mask = RTEXT_FILTER_SKIP_STATS,
		/* The kernel fills only the links of this master (a filtered
		 * dump): the others cost it no namespace-id scan. */
		.master_attr = { .rta_len = RTA_LENGTH(sizeof(__u32)), .rta_type = IFLA_MASTER },
		.master = master,
	};
	struct link_list l = {};
	int err = fw_nl_dump(&req, req.nh.nlmsg_len, RTM_NEWLINK, link_add, &l);

	if (!err)
		err = l.err;
	if (!err && !l.out)
		l.out = calloc(1, sizeof(*l.out));
	if (err || !l.out) {
		free(l.out);
		return fw_fail(err ? err : -ENOMEM, "cannot list interfaces: %s",
			       strerror(err ? -err : ENOMEM));
	}
	*links = l.out;
	*n = l.n;
	return 0;
}

int fw_links_load(struct fw_link **links, int *n)
{
	return links_dump(0, links, n);
}

/*
 * The links one change can touch, for a change of an interface's rule: the
 * interface and its bridge, or a bridge and its ports; with siblings, a
 * port's bridge and all of the bridge's ports (where a port's exception
 * shapes the bridge's own policy). Returns 1 with them in *links, or 0
 * where only every link will do (no such interface: its rule may still
 * cover what is gone), or -errno.
 */
int fw_links_around(const char *name, bool siblings, struct fw_link **links, int *n)
{
	struct fw_link t, up, *ports = NULL, *all;
	int np = 0, err;

	err = fw_link_get(name, 0, &t);
	if (err)
		return err == -ENODEV ? 0 : err;
	if (!strcmp(t.kind, "bridge")) {
		err = links_dump(t.ifindex, &ports, &np);
		if (err)
			return err;
	} else if (t.master && !fw_link_get(NULL, t.master, &up)) {
		if (siblings && !strcmp(up.kind, "bridge")) {
			err = fw_links_around(up.name, false, links, n);
			return err; /* the bridge and its ports, t among them */
		}
		ports = &up;
		np = 1;
	}
	all = calloc(np + 1, sizeof(*all));
	if (all) {
		all[0] = t;
		memcpy(all + 1, ports, np * sizeof(*all));
	}
	if (ports != &up)
		free(ports);
	if (!all)
		return -ENOMEM;
	*links = all;
	*n = np + 1;
	return 1;
}

/* Is there an interface with this index? SIOCGIFNAME on the namespace's
 * kept socket: no socket per question (if_indextoname makes one each). */
bool fw_ifindex_exists(int ifindex)
{
	struct ifreq ifr = { .ifr_ifindex = ifindex };
	int fd = fw_nl_route();

	return fd < 0 || !ioctl(fd, SIOCGIFNAME, &ifr) || errno != ENODEV;
}

/* One interface, by name (name set) or index: one RTM_GETLINK, not a dump
 * of them all. -ENODEV when there is none. */
int fw_link_get(const char *name, int ifindex, struct fw_link *out)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		__u32 mask;
		struct rtattr name_attr;
		char name[IFNAMSIZ];
	} req = {
		.nh = { .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = name ? 0 : ifindex },
		.ext = { .rta_len = RTA_LENGTH(sizeof(__u32)), .rta_type = IFLA_EXT_MASK },
		.mask = RTEXT_FILTER_SKIP_STATS,
		.name_attr = { .rta_len = RTA_LENGTH(IFNAMSIZ), .rta_type = IFLA_IFNAME },
	};
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	static __u32 seq;
	int fd = fw_nl_route(), len;

	if (name && strlen(name) >= IFNAMSIZ)
		return -ENODEV;
	if (name)
		snprintf(req.name, sizeof(req.name), "%s", name);
	req.nh.nlmsg_len = name ? sizeof(req) : offsetof(typeof(req), name_attr);
	req.nh.nlmsg_seq = ++seq;
	if (fd < 0)
		return fd;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	do
		len = recv(fd, buf, sizeof(buf), 0);
	while (len > 0 && NLMSG_OK(nh, (unsigned)len) && nh->nlmsg_seq != seq);
	if (len <= 0 || !NLMSG_OK(nh, (unsigned)len))
		return len < 0 ? -errno : -EIO;
	if (nh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(nh))->error ?: -EIO;
	if (nh->nlmsg_type != RTM_NEWLINK)
		return -EIO;
	link_parse(nh, out);
	return 0;
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

/*
 * A NETLINK_ROUTE socket of the current network namespace, kept for the
 * whole call: a status of a thousand ports asks hundreds of small questions.
 * A socket answers for the namespace it was made in, so a thread that moved
 * (watch visits several) gets a new one.
 */
int fw_nl_route(void)
{
	static unsigned int made_at;
	static int fd = -1;

	if (fd >= 0 && made_at == fw_netns_moves)
		return fd;
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	made_at = fw_netns_moves;
	return fd;
}

/* The id the current namespace gives the namespace behind nsfd (what a
 * veth's IFLA_LINK_NETNSID says), or -1 if it gave it none. */
int fw_netns_id(int nsfd)
{
	struct {
		struct nlmsghdr nh;
		struct rtgenmsg g;
		char pad[3];
		struct rtattr fd_attr;
		__u32 fd;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETNSID,
			.nlmsg_flags = NLM_F_REQUEST },
		.g = { .rtgen_family = AF_UNSPEC },
		.fd_attr = { .rta_len = RTA_LENGTH(sizeof(__u32)), .rta_type = NETNSA_FD },
		.fd = nsfd,
	};
	char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	static __u32 seq;
	int fd = fw_nl_route(), len, alen;

	_Static_assert(offsetof(typeof(req), fd_attr) ==
			       NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct rtgenmsg))),
		       "attributes start aligned");
	if (fd < 0)
		return -1;
	req.nh.nlmsg_seq = ++seq;
	if (send(fd, &req, sizeof(req), 0) < 0)
		return -1;
	do
		len = recv(fd, buf, sizeof(buf), 0);
	while (len > 0 && NLMSG_OK(nh, (unsigned)len) && nh->nlmsg_seq != seq);
	if (len <= 0 || !NLMSG_OK(nh, (unsigned)len) || nh->nlmsg_type != RTM_NEWNSID)
		return -1;
	alen = nh->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	for (struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(nh) +
						  NLMSG_ALIGN(sizeof(struct rtgenmsg)));
	     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == NETNSA_NSID)
			return *(__s32 *)RTA_DATA(a);
	return -1;
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
