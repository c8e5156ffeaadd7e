// SPDX-License-Identifier: GPL-2.0
/* cmd_doctor.c - what this host supports and what fwctl will do about it.
 * Attach probes run in a throwaway network namespace of a child process, so
 * no real interface is touched. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include "fwctl.h"
#include "opts.h"

#define FW_BPF_TCX_EGRESS 47

#define OK	 FW_CHECK_OK
#define DEGRADED FW_CHECK_DEGRADED
#define MISSING	 FW_CHECK_MISSING
/* Checks doctor makes, at most. */
#define MAX_CHECKS 16

/* What the child finds in its scratch namespace. */
struct probe {
	int veth_native; /* 0 or -errno */
	int bridge_native;
	int clsbpf; /* 0 or -errno */
	int tcx;
	int dispatcher; /* 1: libxdp's dispatcher loaded, 0: single-program fallback */
	int setup;	/* nonzero: the scratch namespace could not be built */
};

struct checks {
	struct fw_check c[MAX_CHECKS];
	int n;
};

static void report(struct checks *cs, const char *name, enum fw_check_status v, const char *detail,
		   const char *consequence)
{
	struct fw_check *c = &cs->c[cs->n++];

	c->name = name;
	c->status = v;
	snprintf(c->detail, sizeof(c->detail), "%s", detail);
	c->consequence = consequence;
}

static int trivial_prog(enum bpf_prog_type type, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, "fw_doctor", "GPL", insns, 2, NULL);
}

static int make_links(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;

	if (!err)
		err = rtnl_link_veth_add(sk, "fwdoc0", "fwdoc1", getpid());
	if (!err)
		err = rtnl_link_bridge_add(sk, "fwdocbr");
	nl_socket_free(sk);
	return err;
}

static void run_probe(struct probe *p)
{
	int xdp = trivial_prog(BPF_PROG_TYPE_XDP, XDP_PASS), tc, veth, br;
	struct xdp_program *xp;

	if (unshare(CLONE_NEWNET) || make_links() || xdp < 0) {
		p->setup = errno ? errno : EIO;
		return;
	}
	veth = if_nametoindex("fwdoc0");
	br = if_nametoindex("fwdocbr");
	p->veth_native = bpf_xdp_attach(veth, xdp, XDP_FLAGS_DRV_MODE, NULL) ? -errno : 0;
	bpf_xdp_detach(veth, XDP_FLAGS_DRV_MODE, NULL);
	p->bridge_native = bpf_xdp_attach(br, xdp, XDP_FLAGS_DRV_MODE, NULL) ? -errno : 0;

	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = FW_BPF_TCX_EGRESS);
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	tc = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fw_doctor", "GPL", insns, 2, &o);
	p->tcx = tc < 0							  ? -errno
		 : bpf_link_create(tc, veth, FW_BPF_TCX_EGRESS, NULL) < 0 ? -errno
									  : 0;
	{
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = br, .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = tc);
		int e = bpf_tc_hook_create(&hook);

		p->clsbpf = tc < 0			? -EINVAL
			    : e && e != -EEXIST		? e
			    : bpf_tc_attach(&hook, &to) ? -errno
							: 0;
	}

	xp = xdp_program__from_fd(xdp);
	if (!libxdp_get_error(xp) && !xdp_program__attach(xp, veth, XDP_MODE_SKB, 0)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		int fd;

		if (!bpf_xdp_query(veth, 0, &q) &&
		    (fd = bpf_prog_get_fd_by_id(q.skb_prog_id)) >= 0 &&
		    !bpf_obj_get_info_by_fd(fd, &info, &len))
			p->dispatcher = !strcmp(info.name, "xdp_dispatcher");
	}
	if (!libxdp_get_error(xp))
		xdp_program__close(xp);
}

static int probe(struct probe *p)
{
	int pipefd[2];
	pid_t pid;

	memset(p, 0, sizeof(*p));
	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct probe r = {};

		close(pipefd[0]);
		run_probe(&r);
		_exit(write(pipefd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], p, sizeof(*p)) != sizeof(*p))
		p->setup = EIO;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

static bool fs_is(const char *path, long magic)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == magic;
}

/* Exits 1 when something fwctl needs is missing, after the whole report;
 * degraded is not missing: fwctl works, in a lesser way it names. */
static int cmd_doctor(const void *args)
{
	static struct checks cs;
	char detail[256], lockdown[128] = "", missing[128] = "";
	struct fw_netns ns = {};
	struct utsname u;
	struct probe p;
	bool privileged;
	FILE *f;

	uname(&u);
	snprintf(detail, sizeof(detail), "Linux %s %s", u.release, u.machine);
	report(&cs, "kernel", OK, detail, "fwctl needs 5.9+ for TC links, 6.6+ for TCX");

	privileged = !fw_check_privileges();
	fw_err_clear();
	report(&cs, "privileges", privileged ? OK : MISSING,
	       privileged ? "BPF and network admin capabilities held"
			  : "CAP_BPF/CAP_SYS_ADMIN or CAP_NET_ADMIN missing",
	       privileged ? "fwctl can load and attach"
			  : "fwctl cannot change anything; run as root");

	if (fs_is("/sys/fs/bpf", 0xcafe4a11))
		report(&cs, "bpffs", OK, "mounted at /sys/fs/bpf",
		       "state is pinned under /sys/fs/bpf/fwctl");
	else if (privileged)
		report(&cs, "bpffs", DEGRADED, "not mounted at /sys/fs/bpf",
		       "fwctl mounts it on first change (or refuses under 'ip netns exec')");
	else
		report(&cs, "bpffs", MISSING, "not mounted at /sys/fs/bpf",
		       "fwctl cannot mount it without privileges; nothing can be pinned");

	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		report(&cs, "btf", OK, "/sys/kernel/btf/vmlinux present", "kernel types available");
	else
		report(&cs, "btf", DEGRADED, "/sys/kernel/btf/vmlinux missing",
		       "fwctl does not need CO-RE; bpftool shows less");

	f = fopen("/sys/kernel/security/lockdown", "r");
	if (f && fgets(lockdown, sizeof(lockdown), f))
		lockdown[strcspn(lockdown, "\n")] = '\0';
	if (f)
		fclose(f);
	if (!lockdown[0] || strstr(lockdown, "[none]"))
		report(&cs, "lockdown", OK, lockdown[0] ? lockdown : "not enabled",
		       "BPF unrestricted");
	else
		report(&cs, "lockdown", strstr(lockdown, "[integrity]") ? DEGRADED : MISSING,
		       lockdown, "some BPF features are restricted; attach may fail");

	if (probe(&p) || p.setup) {
		snprintf(detail, sizeof(detail), "scratch namespace failed: %s", strerror(p.setup));
		report(&cs, "probes", MISSING, detail, "attach support unknown");
	} else {
		report(&cs, "xdp-veth", p.veth_native ? DEGRADED : OK,
		       p.veth_native ? strerror(-p.veth_native) : "native XDP works on veth",
		       p.veth_native ? "veth ports use generic XDP"
				     : "container ports get native XDP");
		report(&cs, "xdp-bridge", p.bridge_native ? DEGRADED : OK,
		       p.bridge_native ? "bridges have no native XDP"
				       : "native XDP works on bridges",
		       p.bridge_native ? "bridges use generic XDP; their ports carry the rule too"
				       : "bridges get native XDP");
		report(&cs, "tc", p.clsbpf ? MISSING : OK,
		       p.clsbpf ? "cls_bpf filters cannot be attached" : "cls_bpf filters work",
		       p.clsbpf ? "fwctl cannot filter what interfaces send"
				: "TC programs are cls_bpf filters on clsact");
		report(&cs, "tcx", p.tcx ? DEGRADED : OK,
		       p.tcx ? "TCX links unavailable" : "TCX links work",
		       p.tcx ? "FWCTL_TC=tcx falls back to cls_bpf"
			     : "FWCTL_TC=tcx makes TC programs pinned TCX links");
		report(&cs, "xdp-dispatcher", p.dispatcher ? OK : DEGRADED,
		       p.dispatcher ? "libxdp dispatcher loads"
				    : "libxdp dispatcher cannot load here",
		       p.dispatcher ? "other XDP programs can share an interface"
				    : "one XDP program per interface; fwctl refuses to replace "
				      "others without --force");
	}
	if (fw_netns_self(&ns))
		snprintf(ns.name, sizeof(ns.name), "unknown");
	fw_err_clear();
	fw_checks_print(ns.name, cs.c, cs.n);
	for (int i = 0; i < cs.n; i++)
		if (cs.c[i].status == MISSING)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s", missing[0] ? ", " : "", cs.c[i].name);
	if (missing[0] && fw_opts.json)
		return -FW_EREPORTED; /* the document's "missing" says it */
	if (missing[0])
		return fw_fail(-ENOENT, "doctor: missing: %s", missing);
	return 0;
}

static const struct fw_opt doctor_opts[] = { {} };

const struct fw_cmd fw_cmd_doctor = {
	.name = "doctor",
	.run = cmd_doctor,
	.opts = doctor_opts,
	.synopsis = "",
	.what = "what this host supports and what fwctl will do about it",
};
