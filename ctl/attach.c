// SPDX-License-Identifier: GPL-2.0
/* attach.c - one program instance per interface: XDP (libxdp, native with a
 * fallback to generic) or TC ingress for what it receives, TC egress for what
 * it sends (a cls_bpf filter, or a pinned TCX link with FWCTL_TC=tcx). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "fwctl.h"
#include "fw_xdp.skel.h"
#include "fw_tc.skel.h"

/* Newer than the uapi headers of libbpf 1.1; the kernel has them. */
#define FW_BPF_TCX_INGRESS 46
#define FW_BPF_TCX_EGRESS  47
#define FW_BPF_F_BEFORE	   (1U << 3)

static const char *dir_name[FW_DIRS] = { "in", "out" };

static void link_pin_path(struct fw_state *st, __u32 slot, __u32 dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/fw_tcx_%s_%u", st->dir, dir_name[dir], slot);
}

static const char *xdp_reason(int err)
{
	switch (err) {
	case -EOPNOTSUPP:
		return "driver has no native XDP";
	case -E2BIG:
	case -ERANGE:
		return "MTU too large for native XDP";
	case -EBUSY:
		return "another XDP program is attached in the other mode";
	default:
		return strerror(-err);
	}
}

static int xdp_detach_id(int ifindex, __u32 prog_id, __u8 mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	__u32 flags = XDP_FLAGS_REPLACE |
		      (mode == FW_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	struct fw_xdp_info cur;
	int fd, err = 0;

	/* Gone already (another tool removed it): nothing to move. */
	if (!fw_xdp_query(ifindex, &cur) && cur.prog_id != prog_id && cur.other_id != prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0 && errno == EPERM) {
		/* Getting an fd by id wants CAP_SYS_ADMIN: check the id by query
		 * instead, then detach without REPLACE (a small race, no more). */
		if (fw_xdp_query(ifindex, &cur) || cur.prog_id != prog_id)
			return 0;
		if (bpf_xdp_detach(ifindex, flags & ~XDP_FLAGS_REPLACE, NULL) && errno != ENODEV)
			return -errno;
		return 0;
	}
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	o.old_prog_fd = fd;
	/* REPLACE with the old fd: removes it only if it is still there. */
	if (bpf_xdp_detach(ifindex, flags, &o) && errno != ENODEV)
		err = -errno;
	close(fd);
	return err;
}

/* Anything already on the interface that is not ours is kept unless --force;
 * a leftover fw_xdp (state lost, program still attached) is replaced. */
static int xdp_make_room(const struct fw_link *link, __u32 ours, bool force)
{
	struct fw_xdp_info cur;
	char name[32];
	int err;

	err = fw_xdp_query(link->ifindex, &cur);
	if (err)
		return fw_fail(err, "cannot query XDP on '%s': %s", link->name, strerror(-err));
	if (!cur.prog_id || cur.prog_id == ours)
		return 0;
	fw_prog_name(cur.prog_id, name, sizeof(name));
	if (!force && strcmp(name, "fw_xdp"))
		return fw_fail(-EBUSY,
			       "cannot attach to '%s': XDP program '%s' (id %u) is "
			       "already attached; use --force to replace it",
			       link->name, name, cur.prog_id);
	err = xdp_detach_id(link->ifindex, cur.prog_id, cur.mode);
	if (err)
		return fw_fail(err, "cannot remove XDP program '%s' from '%s': %s", name,
			       link->name, strerror(-err));
	return 0;
}

static bool dispatcher_failed;

static int xdp_attach_mode(int prog_fd, int ifindex, enum xdp_attach_mode mode)
{
	struct xdp_program *xp;
	int err;

	/* libxdp tries its dispatcher first; where that cannot load (freplace
	 * refused) it attaches the single program itself. fwctl never shares an
	 * interface's XDP, so once the dispatcher has failed, the same single
	 * attach is made directly for the other interfaces: libxdp's attempt
	 * costs tens of milliseconds each. */
	/* Without CAP_SYS_ADMIN libxdp cannot read the program's BTF and
	 * crashes in its fallback: attach directly. */
	if (!dispatcher_failed && !fw_has_sys_admin())
		dispatcher_failed = true;
	if (dispatcher_failed)
		return bpf_xdp_attach(ifindex, prog_fd,
				      XDP_FLAGS_UPDATE_IF_NOEXIST |
					      (mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
								       : XDP_FLAGS_SKB_MODE),
				      NULL)
			       ? -errno
			       : 0;
	xp = xdp_program__from_fd(prog_fd);
	err = libxdp_get_error(xp);
	if (err)
		return err;
	err = xdp_program__attach(xp, ifindex, mode, 0);
	if (!err && !dispatcher_failed) {
		struct fw_xdp_info now;
		char name[32] = "";

		if (!fw_xdp_query(ifindex, &now) && now.prog_id)
			fw_prog_name(now.prog_id, name, sizeof(name));
		dispatcher_failed = strcmp(name, "xdp_dispatcher") != 0;
	}
	xdp_program__close(xp);
	return err;
}

enum fw_prog {
	FW_PROG_XDP,
	FW_PROG_TC_IN,
	FW_PROG_TC_OUT,
};
static const char *const prog_pin[] = { "fw_prog_xdp", "fw_prog_tc_in", "fw_prog_tc_out" };
static const char *const prog_name[] = { "fw_xdp", "fw_tc_in", "fw_tc_out" };

/*
 * cls_bpf by default: every TCX link attach or detach waits out an RCU grace
 * period under RTNL (~11 ms here), which made covering a 200-port bridge take
 * 2.7 s, against 0.3 s with cls_bpf; and bpftool 7.1's `net show` lists
 * cls_bpf filters, not TCX links. FWCTL_TC=tcx picks pinned TCX links.
 */
static bool want_tcx(void)
{
	const char *e = getenv("FWCTL_TC");

	return e && !strcmp(e, "tcx");
}

/* The skeleton lifecycle, in one place: open with the namespace's pinned
 * maps, find slots by ifindex, load. Returns the program's fd. */
static int load_prog(struct fw_state *st, enum fw_prog which)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = st->dir);
	struct bpf_program *prog = NULL;
	struct fw_xdp *xdp = NULL;
	struct fw_tc *tc = NULL;
	int err, fd;

	if (which == FW_PROG_XDP) {
		xdp = fw_xdp__open_opts(&oo);
		if (xdp) {
			xdp->rodata->fw_slot = FW_SLOT_BY_IFINDEX;
			prog = xdp->progs.fw_xdp;
		}
	} else {
		tc = fw_tc__open_opts(&oo);
		if (tc) {
			tc->rodata->fw_slot = FW_SLOT_BY_IFINDEX;
			prog = which == FW_PROG_TC_IN ? tc->progs.fw_tc_in : tc->progs.fw_tc_out;
			bpf_program__set_autoload(which == FW_PROG_TC_IN ? tc->progs.fw_tc_out
									 : tc->progs.fw_tc_in,
						  false);
			if (want_tcx())
				bpf_program__set_expected_attach_type(
					prog, which == FW_PROG_TC_IN ? FW_BPF_TCX_INGRESS
								     : FW_BPF_TCX_EGRESS);
		}
	}
	if (!prog)
		return fw_fail(-errno, "cannot open BPF object: %s", strerror(errno));
	err = fw_state_share_globals(st, xdp ? xdp->obj : tc->obj);
	if (err)
		goto out;
	err = xdp ? fw_xdp__load(xdp) : fw_tc__load(tc);
	if (err) {
		const char *why = fw_verifier_reason();

		err = fw_fail(err, "kernel refused program %s: %s (fwctl -v shows the %s)",
			      prog_name[which], why ? why : strerror(-err),
			      why ? "whole verifier log" : "verifier log");
		goto out;
	}
	fd = dup(bpf_program__fd(prog));
	err = fd < 0 ? -errno : fd;
out:
	fw_xdp__destroy(xdp);
	fw_tc__destroy(tc);
	return err;
}

/* Pinned: every later fwctl call attaches this very instance. Pinned
 * under a side name and renamed over the old pin: there is always one. */
static int pin_prog(struct fw_state *st, enum fw_prog which, int fd)
{
	char pin[600], tmp[610];

	snprintf(pin, sizeof(pin), "%s/%s", st->dir, prog_pin[which]);
	snprintf(tmp, sizeof(tmp), "%s_new", pin);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) || rename(tmp, pin)) {
		int err = fw_fail(-errno, "cannot pin %s: %s", pin, strerror(errno));

		unlink(tmp);
		return err;
	}
	return 0;
}

static __u32 prog_id(int fd);

/* The namespace's one instance of a program: loaded and verified once, not
 * once per interface. */
static int shared_prog(struct fw_state *st, enum fw_prog which)
{
	char pin[600];
	int fd, err;

	snprintf(pin, sizeof(pin), "%s/%s", st->dir, prog_pin[which]);
	fd = bpf_obj_get(pin);
	/* One that does not read this state's maps (its pin or theirs was
	 * replaced) is not the namespace's instance: a fresh one replaces it. */
	if (fd >= 0 && fw_prog_reads_state(st, prog_id(fd)))
		return fd;
	if (fd >= 0)
		close(fd);
	fd = load_prog(st, which);
	if (fd < 0)
		return fd;
	err = pin_prog(st, which, fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Every program an attach may need, loaded now if it is not yet: the watcher
 * calls this so that the first new port waits for no verification (the TC
 * ingress program, loaded when a bridge first steps aside, took 120 ms). */
int fw_programs_ready(struct fw_state *st)
{
	for (int w = FW_PROG_XDP; w <= FW_PROG_TC_OUT; w++) {
		int fd = shared_prog(st, w);

		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static int attach_xdp(struct fw_state *st, __u32 slot, const struct fw_link *link,
		      const struct fw_attach_req *req)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	struct fw_xdp_info now;
	int err, prog_fd;

	err = xdp_make_room(link, 0, req->force);
	if (err)
		return err;
	prog_fd = shared_prog(st, FW_PROG_XDP);
	if (prog_fd < 0)
		return prog_fd;

	err = -EOPNOTSUPP;
	if (req->mode != FW_MODE_GENERIC)
		err = xdp_attach_mode(prog_fd, link->ifindex, XDP_MODE_NATIVE);
	if (err && req->mode == FW_MODE_NATIVE) {
		err = fw_fail(err, "cannot attach native XDP to '%s': %s", link->name,
			      xdp_reason(err));
		goto out;
	}
	if (err) {
		if (req->mode == FW_MODE_AUTO)
			fw_warn("%s: native XDP unavailable (%s), using generic mode", link->name,
				xdp_reason(err));
		err = xdp_attach_mode(prog_fd, link->ifindex, XDP_MODE_SKB);
		if (err) {
			err = fw_fail(err, "cannot attach XDP to '%s': %s", link->name,
				      strerror(-err));
			goto out;
		}
	}
	err = fw_xdp_query(link->ifindex, &now);
	if (err) {
		err = fw_fail(err, "cannot query XDP on '%s': %s", link->name, strerror(-err));
		goto out;
	}
	ifc->xdp_prog_id = now.prog_id;
	ifc->xdp_mode = now.mode;
out:
	close(prog_fd);
	return err;
}

static int tc_attach_clsbpf_handle(int prog_fd, int ifindex, __u32 dir, __u32 handle)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == FW_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = handle, .priority = FW_TC_PRIO, .prog_fd = prog_fd,
		    .flags = BPF_TC_F_REPLACE);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &o);
}

/* Before ABI 3's filters moved to priority 1, fwctl's sat at this one. */
#define FW_TC_PRIO_OLD 0xf17e

static int tc_detach_clsbpf_prio(int ifindex, __u32 dir, __u32 handle, __u32 prio)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == FW_DIR_IN ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = handle, .priority = prio);
	int err = bpf_tc_detach(&hook, &o);

	return err == -ENOENT || err == -ENODEV || err == -EINVAL ? 0 : err;
}

static int tc_detach_clsbpf_handle(int ifindex, __u32 dir, __u32 handle)
{
	return tc_detach_clsbpf_prio(ifindex, dir, handle, FW_TC_PRIO);
}

/* Our filter under whichever of its handles it has (FW_TC_HANDLE when new):
 * replaced in place, so the hook is never without it. One left by an older
 * fwctl at its old priority goes once ours is in place. */
static int tc_attach_clsbpf(int prog_fd, int ifindex, __u32 dir)
{
	struct fw_tc_hook h;
	__u32 handle = FW_TC_HANDLE;
	int err;

	if (!fw_tc_hook_read(ifindex, dir, true, 0, &h) && h.prog_id && h.prio == FW_TC_PRIO)
		handle = h.handle;
	/* Ours re-added for one protocol: the kernel holds a priority to one
	 * protocol, so that one goes before ours for all can take its place. */
	if (h.prog_id && h.prio == FW_TC_PRIO && h.protocol != ETH_P_ALL)
		fw_tc_filter_del(ifindex, dir, FW_TC_PRIO, h.protocol, h.handle);
	err = tc_attach_clsbpf_handle(prog_fd, ifindex, dir, handle);
	if (!err && h.prog_id && h.prio == FW_TC_PRIO_OLD)
		err = tc_detach_clsbpf_prio(ifindex, dir, FW_TC_HANDLE, FW_TC_PRIO_OLD);
	return err;
}

/* Either handle (a fwctl killed mid-overtake may leave both), and the old
 * priority's. */
static int tc_detach_clsbpf(int ifindex, __u32 dir)
{
	int err = tc_detach_clsbpf_handle(ifindex, dir, FW_TC_HANDLE);

	if (!err)
		err = tc_detach_clsbpf_handle(ifindex, dir, FW_TC_HANDLE + 1);
	return err ? err : tc_detach_clsbpf_prio(ifindex, dir, FW_TC_HANDLE, FW_TC_PRIO_OLD);
}

/*
 * A cls_bpf filter that joined our priority runs before ours (the kernel
 * adds a priority's filters at its head). Ours is added again under its
 * other handle, which puts it at the head, and only then is the old one
 * removed: the hook is never without it.
 */
static int tc_overtake(int prog_fd, int ifindex, __u32 dir)
{
	struct fw_tc_hook h;
	__u32 old, fresh;
	int err;

	err = fw_tc_hook_read(ifindex, dir, true, 0, &h);
	if (err || !h.prog_id)
		return err ? err : -ENOENT;
	old = h.handle;
	fresh = old == FW_TC_HANDLE ? FW_TC_HANDLE + 1 : FW_TC_HANDLE;
	err = tc_attach_clsbpf_handle(prog_fd, ifindex, dir, fresh);
	if (!err)
		err = tc_detach_clsbpf_handle(ifindex, dir, old);
	return err;
}

/* The clsact qdisc goes with our last filter, unless others still use it:
 * detach leaves the interface as fwctl found it. */
static void tc_drop_empty_clsact(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct fw_tc_hook in, out;

	/* Unreadable counts as in use: the qdisc stays. */
	if (!fw_tc_hook_read(ifindex, FW_DIR_IN, true, 0, &in) && !in.filters &&
	    !fw_tc_hook_read(ifindex, FW_DIR_OUT, true, 0, &out) && !out.filters)
		bpf_tc_hook_destroy(&hook);
}

/*
 * TC ingress or egress of one interface. A TCX link is made ahead of every
 * other TCX program (BPF_F_BEFORE with no anchor: the front) and pinned over
 * the old one, which goes only then; a cls_bpf filter is made or replaced
 * in place, or with `overtake`, moved ahead of a filter that got in front.
 */
/* fwctl's filter off one hook, and the clsact qdisc with it if it was the
 * last filter: what an orphan sweep does without any record. */
int fw_tc_remove_ours(int ifindex, __u32 dir)
{
	int err = tc_detach_clsbpf(ifindex, dir);

	if (!err)
		tc_drop_empty_clsact(ifindex);
	return err;
}

static int attach_tc_how(struct fw_state *st, __u32 slot, const struct fw_link *link, __u32 dir,
			 bool overtake)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = FW_BPF_F_BEFORE);
	struct fw_iface *ifc = &st->ifaces[slot];
	struct fw_tc_hook h;
	bool tcx = ifc->tc_kind == FW_TC_TCX || (ifc->tc_kind == FW_TC_NONE && want_tcx());
	char pin[600], tmp[610];
	int err = 0, link_fd = -1;
	int prog_fd = shared_prog(st, dir == FW_DIR_IN ? FW_PROG_TC_IN : FW_PROG_TC_OUT);

	if (prog_fd < 0)
		return prog_fd;

	if (tcx) {
		link_fd = bpf_link_create(prog_fd, link->ifindex,
					  dir == FW_DIR_IN ? FW_BPF_TCX_INGRESS : FW_BPF_TCX_EGRESS,
					  &lo);
		if (link_fd < 0)
			fw_info("%s: TCX unavailable (%s), using cls_bpf", link->name,
				strerror(errno));
	}
	if (link_fd >= 0) {
		link_pin_path(st, slot, dir, pin, sizeof(pin));
		snprintf(tmp, sizeof(tmp), "%s_new", pin);
		unlink(tmp);
		if (bpf_obj_pin(link_fd, tmp) || rename(tmp, pin)) {
			err = fw_fail(-errno, "cannot pin %s: %s", pin, strerror(errno));
			unlink(tmp);
			goto out;
		}
		ifc->tc_kind = FW_TC_TCX;
	} else {
		err = overtake ? tc_overtake(prog_fd, link->ifindex, dir)
			       : tc_attach_clsbpf(prog_fd, link->ifindex, dir);
		if (err && !fw_tc_hook_read(link->ifindex, dir, true, 0, &h) && h.holder[0]) {
			err = fw_fail(err,
				      "cannot attach TC %s to '%s': another tool's %s holds "
				      "priority %d there, which fwctl's filter needs for every "
				      "protocol; remove it, or set FWCTL_TC=tcx",
				      dir == FW_DIR_IN ? "ingress" : "egress", link->name, h.holder,
				      FW_TC_PRIO);
			goto out;
		}
		if (err) {
			err = fw_fail(err, "cannot attach TC %s to '%s': %s",
				      dir == FW_DIR_IN ? "ingress" : "egress", link->name,
				      strerror(-err));
			goto out;
		}
		ifc->tc_kind = FW_TC_CLSBPF;
	}
	if (dir == FW_DIR_IN)
		ifc->tc_in_prog_id = prog_id(prog_fd);
	else
		ifc->tc_out_prog_id = prog_id(prog_fd);
out:
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	return err;
}

static int attach_tc(struct fw_state *st, __u32 slot, const struct fw_link *link, __u32 dir)
{
	return attach_tc_how(st, slot, link, dir, false);
}

static int detach_tc(struct fw_state *st, __u32 slot, __u32 dir)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	char pin[600];
	int err;

	/* Both kinds, whatever the record says: a fwctl killed between an
	 * attach and its record leaves a filter or link the record lacks. */
	err = tc_detach_clsbpf(ifc->ifindex, dir);
	if (err)
		return err;
	/* The pin is the link's last reference: unpinning detaches it. */
	link_pin_path(st, slot, dir, pin, sizeof(pin));
	if (unlink(pin) && errno != ENOENT)
		return fw_fail(-errno, "cannot remove %s: %s", pin, strerror(errno));
	return 0;
}

/* The id of the namespace's pinned instance of a program, 0 if none. */
static __u32 shared_prog_id(struct fw_state *st, enum fw_prog which)
{
	char pin[600];
	__u32 id;
	int fd;

	snprintf(pin, sizeof(pin), "%s/%s", st->dir, prog_pin[which]);
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return 0;
	id = prog_id(fd);
	close(fd);
	return id;
}

bool fw_tc_present(struct fw_state *st, __u32 slot, __u32 dir)
{
	const struct fw_iface *ifc = &st->ifaces[slot];

	return dir == FW_DIR_IN ? ifc->tc_in_prog_id : ifc->tc_out_prog_id;
}

void fw_ours_read(struct fw_state *st, struct fw_ours *o)
{
	o->xdp = shared_prog_id(st, FW_PROG_XDP);
	o->tc_in = shared_prog_id(st, FW_PROG_TC_IN);
	o->tc_out = shared_prog_id(st, FW_PROG_TC_OUT);
}

/*
 * Repairs one direction of an attached interface, in place, from what
 * fw_verify() found: the missing program attached again, a filter that got
 * ahead overtaken, another tool's XDP program replaced only with --force.
 * The caller has moved a bridge's XDP aside for a port's XDP change.
 */
int fw_repair(struct fw_state *st, __u32 slot, const struct fw_link *link, int gap, __u32 dir,
	      const struct fw_attach_req *req)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	char name[32];
	int err;

	switch (gap) {
	case FW_GAP_XDP_FOREIGN:
		if (!req->force) {
			fw_prog_name(link->xdp.prog_id, name, sizeof(name));
			return fw_fail(-EBUSY,
				       "cannot enforce on '%s': XDP program '%s' (id %u) "
				       "replaced fwctl's; --force replaces it",
				       link->name, name, link->xdp.prog_id);
		}
		/* fall through */
	case FW_GAP_XDP:
		err = xdp_make_room(link, ifc->xdp_prog_id, req->force);
		if (!err) {
			struct fw_attach_req r = *req;

			/* The mode it had: an XDP change may not widen it. */
			if (r.mode == FW_MODE_AUTO && ifc->xdp_mode == FW_XDP_GENERIC)
				r.mode = FW_MODE_GENERIC;
			err = attach_xdp(st, slot, link, &r);
		}
		break;
	case FW_GAP_TC:
		err = attach_tc(st, slot, link, dir);
		break;
	case FW_GAP_TC_ORDER:
		err = attach_tc_how(st, slot, link, dir, true);
		if (err)
			err = fw_fail(err, "cannot put fwctl's filter first on '%s': %s",
				      link->name, fw_err());
		break;
	case FW_GAP_TCX_AHEAD:
		return fw_fail(-EBUSY,
			       "cannot enforce on '%s': a TCX program runs before fwctl's "
			       "cls_bpf filter on tc %s (FWCTL_TC=tcx attaches ahead of it)",
			       link->name, dir == FW_DIR_IN ? "ingress" : "egress");
	default:
		return 0;
	}
	if (!err)
		err = fw_state_save_iface(st, slot);
	return err;
}

static bool upper_has_xdp(const struct fw_link *link)
{
	struct fw_xdp_info up;

	return link->master && !fw_xdp_query(link->master, &up) && up.prog_id;
}

/* Policy for the slot must be in place before this runs: the first packet
 * the new program sees is already filtered. On failure, undoes itself. */
int fw_attach(struct fw_state *st, __u32 slot, const struct fw_link *link,
	      const struct fw_attach_req *req)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	int err;

	memset(ifc, 0, sizeof(*ifc));
	ifc->ifindex = link->ifindex;
	ifc->hook = req->hook;
	snprintf(ifc->name, sizeof(ifc->name), "%s", link->name);
	/* Recorded first, so a crash mid-attach leaves something to clean up;
	 * then the shared programs learn which slot serves this interface. */
	err = fw_state_save_iface(st, slot);
	if (!err)
		err = fw_state_map_slot(st, link->ifindex, slot + 1, 0);
	if (!err && req->hook == FW_HOOK_XDP && upper_has_xdp(link)) {
		/* The kernel allows no XDP below a device that has a program. */
		if (req->mode == FW_MODE_NATIVE)
			err = fw_fail(-EEXIST,
				      "cannot attach XDP to '%s': its bridge has an XDP "
				      "program, and the kernel allows none below it",
				      link->name);
		else
			fw_warn("%s: XDP not allowed below a bridge with an XDP program, "
				"using tc ingress",
				link->name);
	}
	if (!err)
		err = req->hook == FW_HOOK_TC || upper_has_xdp(link)
			      ? attach_tc(st, slot, link, FW_DIR_IN)
			      : attach_xdp(st, slot, link, req);
	if (!err)
		err = attach_tc(st, slot, link, FW_DIR_OUT);
	if (!err)
		err = fw_state_save_iface(st, slot);
	if (err)
		fw_detach(st, slot);
	return err;
}

int fw_detach(struct fw_state *st, __u32 slot)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	struct fw_policy none[FW_DIRS] = {};
	struct fw_xdp_info cur;
	int err = 0, e;

	/* Not recorded but ours: a fwctl killed between attach and record. */
	if (!ifc->xdp_prog_id && !fw_xdp_query(ifc->ifindex, &cur) && cur.prog_id &&
	    cur.prog_id == shared_prog_id(st, FW_PROG_XDP))
		ifc->xdp_prog_id = cur.prog_id;
	if (ifc->xdp_prog_id && !fw_xdp_query(ifc->ifindex, &cur) &&
	    cur.prog_id == ifc->xdp_prog_id) {
		e = xdp_detach_id(ifc->ifindex, cur.prog_id, cur.mode);
		if (e)
			err = fw_fail(e, "cannot detach XDP from '%s': %s", ifc->name,
				      strerror(-e));
	}
	for (__u32 dir = 0; dir < FW_DIRS; dir++) {
		e = detach_tc(st, slot, dir);
		if (e && !err)
			err = fw_fail(e, "cannot detach TC from '%s': %s", ifc->name, strerror(-e));
	}
	if (ifc->tc_kind != FW_TC_TCX)
		tc_drop_empty_clsact(ifc->ifindex);
	fw_state_map_slot(st, ifc->ifindex, 0, slot + 1);
	/* A reused slot starts clean. */
	fw_state_set_policy(st, slot, none);
	fw_state_reset_counters(st, slot);
	memset(ifc, 0, sizeof(*ifc));
	e = fw_state_save_iface(st, slot);
	return err ? err : e;
}

/* Replaces one TC program in place: a TCX link is updated, a cls_bpf filter
 * replaced under the same handle; either way atomically. */
static int upgrade_tc(struct fw_state *st, __u32 slot, __u32 dir)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	__u32 *id = dir == FW_DIR_IN ? &ifc->tc_in_prog_id : &ifc->tc_out_prog_id;
	char pin[600];
	int err = 0, link_fd, prog_fd;

	if (!*id)
		return 0;
	prog_fd = shared_prog(st, dir == FW_DIR_IN ? FW_PROG_TC_IN : FW_PROG_TC_OUT);
	if (prog_fd < 0)
		return prog_fd;
	if (ifc->tc_kind == FW_TC_TCX) {
		link_pin_path(st, slot, dir, pin, sizeof(pin));
		link_fd = bpf_obj_get(pin);
		err = link_fd < 0 ? -errno : 0;
		if (!err && bpf_link_update(link_fd, prog_fd, NULL))
			err = -errno;
		if (link_fd >= 0)
			close(link_fd);
	} else {
		err = tc_attach_clsbpf(prog_fd, ifc->ifindex, dir);
	}
	if (err)
		err = fw_fail(err, "cannot replace TC program on '%s': %s", ifc->name,
			      strerror(-err));
	else
		*id = prog_id(prog_fd);
	close(prog_fd);
	return err;
}

/* Swaps in this build's programs for one slot's: XDP through a REPLACE of
 * the exact old program, TC through a link update (or cls_bpf replace). */
static int upgrade_slot(struct fw_state *st, __u32 slot)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	struct fw_iface *ifc = &st->ifaces[slot];
	struct fw_xdp_info now;
	int err = 0, old_fd, prog_fd;

	if (ifc->xdp_prog_id) {
		prog_fd = shared_prog(st, FW_PROG_XDP);
		if (prog_fd < 0)
			return prog_fd;
		old_fd = bpf_prog_get_fd_by_id(ifc->xdp_prog_id);
		o.old_prog_fd = old_fd;
		if (old_fd < 0 || bpf_xdp_attach(ifc->ifindex, prog_fd,
						 XDP_FLAGS_REPLACE | (ifc->xdp_mode == FW_XDP_NATIVE
									      ? XDP_FLAGS_DRV_MODE
									      : XDP_FLAGS_SKB_MODE),
						 &o))
			err = fw_fail(-errno, "cannot replace XDP program on '%s': %s", ifc->name,
				      strerror(errno));
		if (old_fd >= 0)
			close(old_fd);
		close(prog_fd);
		if (!err && !fw_xdp_query(ifc->ifindex, &now))
			ifc->xdp_prog_id = now.prog_id;
	}
	if (!err)
		err = upgrade_tc(st, slot, FW_DIR_IN);
	if (!err)
		err = upgrade_tc(st, slot, FW_DIR_OUT);
	fw_state_save_iface(st, slot);
	return err;
}

/*
 * Swaps in this build's programs on the given slots with no gap; the maps
 * are the pinned ones, so every rule and counter carries over. The kernel
 * refuses any XDP change below a device that has XDP, so a bridge's own XDP
 * steps aside for its ports' swap, with the new TC ingress program standing
 * in for it meanwhile (passed packets on the bridge may count twice in
 * those milliseconds; none passes unfiltered).
 */
/*
 * A bridge's XDP steps aside so the kernel lets its ports' XDP change: its
 * new TC ingress program stands in for it meanwhile (passed packets may
 * count twice in those milliseconds; none passes unfiltered).
 */
int fw_xdp_suspend(struct fw_state *st, __u32 slot, const struct fw_link *link)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	int err;

	if (!ifc->xdp_prog_id || ifc->tc_in_prog_id)
		return 0;
	err = attach_tc(st, slot, link, FW_DIR_IN);
	if (!err)
		err = xdp_detach_id(ifc->ifindex, ifc->xdp_prog_id, ifc->xdp_mode);
	if (err)
		return fw_fail(err, "cannot move '%s' aside: %s", link->name, strerror(-err));
	ifc->xdp_prog_id = 0;
	ifc->suspended = 1;
	return fw_state_save_iface(st, slot);
}

/* Back on XDP, in the mode it had; the stand-in goes. */
int fw_xdp_resume(struct fw_state *st, __u32 slot, const struct fw_link *link)
{
	struct fw_iface *ifc = &st->ifaces[slot];
	struct fw_attach_req req = {
		.mode = ifc->xdp_mode == FW_XDP_NATIVE ? FW_MODE_NATIVE : FW_MODE_GENERIC,
	};
	int err;

	if (!ifc->suspended)
		return 0;
	err = attach_xdp(st, slot, link, &req);
	if (!err)
		err = detach_tc(st, slot, FW_DIR_IN);
	if (!err) {
		ifc->tc_in_prog_id = 0;
		ifc->suspended = 0;
	}
	fw_state_save_iface(st, slot);
	return err;
}

/* Swaps in this build's programs on the given slots with no gap; the maps
 * are the pinned ones, so every rule and counter carries over. */
int fw_upgrade(struct fw_state *st, const __u32 *slots, int n, const struct fw_link *links,
	       int nlinks)
{
	int err = 0;

	/* This build's programs, all three verified before any is pinned in
	 * place of the old: a refused one changes nothing. */
	int fds[] = { -1, -1, -1 };

	for (int w = FW_PROG_XDP; w <= FW_PROG_TC_OUT && !err && n; w++) {
		fds[w] = load_prog(st, w);
		err = fds[w] < 0 ? fds[w] : 0;
	}
	/* From here a kill leaves a mix of builds: the next fwctl repairs. */
	if (!err && n)
		err = fw_state_mark(st, true);
	for (int w = FW_PROG_XDP; w <= FW_PROG_TC_OUT && !err && n; w++)
		err = pin_prog(st, w, fds[w]);
	for (int w = FW_PROG_XDP; w <= FW_PROG_TC_OUT; w++)
		if (fds[w] >= 0)
			close(fds[w]);
	for (int i = 0; i < n && !err; i++) {
		const struct fw_link *l =
			fw_link_by_index(links, nlinks, st->ifaces[slots[i]].ifindex);

		for (int j = 0; l && j < nlinks && !err; j++)
			if (links[j].master == l->ifindex)
				err = fw_xdp_suspend(st, slots[i], l);
	}
	for (int i = 0; i < n && !err; i++)
		if (!st->ifaces[slots[i]].suspended)
			err = upgrade_slot(st, slots[i]);
	/* Put every bridge back on XDP, even after an error above. */
	for (int i = 0; i < n; i++) {
		struct fw_iface *ifc = &st->ifaces[slots[i]];
		const struct fw_link *l = fw_link_by_index(links, nlinks, ifc->ifindex);
		int e = 0;

		if (!ifc->suspended || !l)
			continue;
		e = fw_xdp_resume(st, slots[i], l);
		if (!e)
			e = upgrade_tc(st, slots[i], FW_DIR_OUT);
		err = err ? err : e;
	}
	return err;
}
