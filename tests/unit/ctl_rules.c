// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_rules.c - the control plane's decisions, without root: what the rules
 * ask of each interface (fw_wants: bridge expansion, merging, a port's own
 * mode and hook over its bridge's) and how fw_verify judges an interface's
 * XDP hook and policy from what the kernel reports. Linked with fwctl's own
 * objects (all but main.o); the link table is data, as a link dump gives it.
 * Prints `ok NAME` or `FAIL NAME: WHY` with expected and got.
 */
#include <stdlib.h>
#include <string.h>
#include "ctl_check.h"
#include "fw_count.h"

/*   br0 (2, bridge) --+-- p1 (3) --+-- p2 (4) --+-- p3 (5);  lo (1);  solo (6) */
static struct fw_link links[] = {
	{ .ifindex = 1, .name = "lo", .kind = "loopback", .peer_nsid = -1 },
	{ .ifindex = 2, .name = "br0", .kind = "bridge", .peer_nsid = -1 },
	{ .ifindex = 3, .name = "p1", .kind = "veth", .master = 2, .peer_nsid = -1 },
	{ .ifindex = 4, .name = "p2", .kind = "veth", .master = 2, .peer_nsid = -1 },
	{ .ifindex = 5, .name = "p3", .kind = "veth", .master = 2, .peer_nsid = -1 },
	{ .ifindex = 6, .name = "solo", .kind = "veth", .peer_nsid = -1 },
	{ .ifindex = 7, .name = "bond0", .kind = "bond", .peer_nsid = -1 },
	{ .ifindex = 8, .name = "s1", .kind = "veth", .master = 7, .peer_nsid = -1 },
};
#define NLINKS ((int)ARRAY_SIZE(links))

static void rule(struct fw_state *st, const char *target, int dir, int proto, int hook)
{
	struct fw_rule *r = fw_rule_add(st, target);

	if (dir != FW_DIR_OUT)
		fw_policy_set(&r->blocked[FW_DIR_IN], proto);
	if (dir != FW_DIR_IN)
		fw_policy_set(&r->blocked[FW_DIR_OUT], proto);
	r->hook = hook;
	r->flags = FW_RULE_OWN_HOOK;
}

static const struct fw_want *want_of(const struct fw_want *w, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].link->name, name))
			return &w[i];
	return NULL;
}

static void test_wants(struct fw_state *st)
{
	const struct fw_want *p1, *p2, *br;
	struct fw_want *w = NULL;
	bool held;
	int n;

	memset(st->rules, 0, sizeof(st->rules));
	rule(st, "br0", FW_DIRS, 1, FW_HOOK_XDP);    /* icmp, both ways */
	rule(st, "p2", FW_DIR_OUT, 17, FW_HOOK_TC);  /* udp out, tc hook */
	rule(st, "gone0", FW_DIRS, 47, FW_HOOK_XDP); /* not there: covers nothing */
	n = fw_wants(st, links, NLINKS, &w, &held);
	CHECK("wants/bridge_and_ports", n == 4, "expected 4 interfaces (br0 p1 p2 p3), got %d", n);
	CHECK("wants/not_held", !held, "expected no unresolvable rule, got held=%d", held);
	br = want_of(w, n, "br0");
	p1 = want_of(w, n, "p1");
	p2 = want_of(w, n, "p2");
	CHECK("wants/solo_untouched", !want_of(w, n, "solo") && !want_of(w, n, "lo"),
	      "expected solo and lo uncovered, got %s", "a want");
	CHECK("wants/port_inherits",
	      p1 && fw_policy_test(&p1->pol[FW_DIR_IN], 1) &&
		      fw_policy_test(&p1->pol[FW_DIR_OUT], 1) &&
		      !fw_policy_test(&p1->pol[FW_DIR_OUT], 17),
	      "expected p1 icmp both ways and no udp, got %s", p1 ? "other" : "nothing");
	CHECK("wants/merged",
	      p2 && fw_policy_test(&p2->pol[FW_DIR_OUT], 17) &&
		      fw_policy_test(&p2->pol[FW_DIR_OUT], 1) &&
		      !fw_policy_test(&p2->pol[FW_DIR_IN], 17),
	      "expected p2 out icmp+udp, in icmp only, got %s", p2 ? "other" : "nothing");
	CHECK("wants/own_hook_wins", p2 && p2->req.hook == FW_HOOK_TC && p2->direct,
	      "expected p2's own hook tc, got hook %d", p2 ? p2->req.hook : -1);
	CHECK("wants/bridge_direct", br && br->direct && br->req.hook == FW_HOOK_XDP,
	      "expected br0 direct with hook xdp, got %s", br ? "other" : "nothing");
	free(w);
}

/* Exceptions: the most specific target wins. br0 blocks icmp both ways and
 * udp in; p1 excepts icmp (only), p2 excepts icmp out and blocks gre in. */
static void test_exceptions(struct fw_state *st)
{
	const struct fw_want *p1, *p2, *p3, *br;
	struct fw_want *w = NULL;
	struct fw_rule *r;
	bool held;
	int n;

	memset(st->rules, 0, sizeof(st->rules));
	rule(st, "br0", FW_DIRS, 1, FW_HOOK_TC);
	fw_policy_set(&fw_rule_find(st, "br0")->blocked[FW_DIR_IN], 17);
	r = fw_rule_add(st, "p1");
	fw_policy_set(&r->excepted[FW_DIR_IN], 1);
	fw_policy_set(&r->excepted[FW_DIR_OUT], 1);
	rule(st, "p2", FW_DIR_IN, 47, FW_HOOK_XDP);
	fw_policy_set(&fw_rule_find(st, "p2")->excepted[FW_DIR_OUT], 1);
	n = fw_wants(st, links, NLINKS, &w, &held);
	br = want_of(w, n, "br0");
	p1 = want_of(w, n, "p1");
	p2 = want_of(w, n, "p2");
	p3 = want_of(w, n, "p3");
	CHECK("except/port_passes",
	      p1 && !fw_policy_test(&p1->pol[FW_DIR_IN], 1) &&
		      !fw_policy_test(&p1->pol[FW_DIR_OUT], 1) &&
		      fw_policy_test(&p1->pol[FW_DIR_IN], 17),
	      "expected p1: no icmp either way, udp in still, got %s", p1 ? "other" : "nothing");
	CHECK("except/others_still_block",
	      p3 && fw_policy_test(&p3->pol[FW_DIR_IN], 1) &&
		      fw_policy_test(&p3->pol[FW_DIR_OUT], 1),
	      "expected p3 icmp both ways, got %s", p3 ? "other" : "nothing");
	CHECK("except/one_direction",
	      p2 && fw_policy_test(&p2->pol[FW_DIR_IN], 1) &&
		      !fw_policy_test(&p2->pol[FW_DIR_OUT], 1) &&
		      fw_policy_test(&p2->pol[FW_DIR_IN], 47),
	      "expected p2: icmp and gre in, no icmp out, got %s", p2 ? "other" : "nothing");
	/* The host's traffic with p1 passes br0's own hooks; its traffic with
	 * p3 still meets p3's. udp, excepted nowhere, stays on br0. */
	CHECK("except/bridge_device_leaves_it_to_ports",
	      br && !fw_policy_test(&br->pol[FW_DIR_IN], 1) &&
		      !fw_policy_test(&br->pol[FW_DIR_OUT], 1) &&
		      fw_policy_test(&br->pol[FW_DIR_IN], 17),
	      "expected br0: no icmp, udp in, got %s", br ? "other" : "nothing");
	CHECK("except/hook_stays_the_bridges",
	      p1 && p1->req.hook == FW_HOOK_TC && !p1->direct && p2 && p2->req.hook == FW_HOOK_XDP,
	      "expected p1 on br0's tc hook, p2 on its own xdp, got %d %d", p1 ? p1->req.hook : -1,
	      p2 ? p2->req.hook : -1);
	free(w);

	/* Without the bridge's rule an exception is nothing: not even an
	 * attachment. */
	memset(fw_rule_find(st, "br0"), 0, sizeof(struct fw_rule));
	n = fw_wants(st, links, NLINKS, &w, &held);
	CHECK("except/alone_attaches_nothing", !want_of(w, n, "p1"),
	      "expected p1 not covered, got %s", "a want");
	free(w);

	/* --strict of the bridge's rule goes with what it still blocks: p1
	 * excepts icmp and blocks ipv6-icmp itself, not strictly. */
	memset(st->rules, 0, sizeof(st->rules));
	rule(st, "br0", FW_DIRS, 1, FW_HOOK_XDP);
	fw_rule_find(st, "br0")->blocked[FW_DIR_IN].flags = FW_POLICY_STRICT;
	rule(st, "p1", FW_DIR_IN, 58, FW_HOOK_XDP);
	fw_policy_set(&fw_rule_find(st, "p1")->excepted[FW_DIR_IN], 1);
	n = fw_wants(st, links, NLINKS, &w, &held);
	p1 = want_of(w, n, "p1");
	p3 = want_of(w, n, "p3");
	CHECK("except/strict_not_inherited",
	      p1 && fw_policy_test(&p1->pol[FW_DIR_IN], 58) &&
		      !fw_policy_test(&p1->pol[FW_DIR_IN], 1) &&
		      !(p1->pol[FW_DIR_IN].flags & FW_POLICY_STRICT) && p3 &&
		      (p3->pol[FW_DIR_IN].flags & FW_POLICY_STRICT),
	      "expected p1 ipv6-icmp not strict, p3 strict, got flags %llu %llu",
	      p1 ? (unsigned long long)p1->pol[FW_DIR_IN].flags : 9ULL,
	      p3 ? (unsigned long long)p3->pol[FW_DIR_IN].flags : 9ULL);
	free(w);

	/* A bond's rule covers the bond only: a slave's "exception" is none. */
	memset(st->rules, 0, sizeof(st->rules));
	rule(st, "bond0", FW_DIRS, 17, FW_HOOK_XDP);
	r = fw_rule_add(st, "s1");
	fw_policy_set(&r->excepted[FW_DIR_IN], 17);
	n = fw_wants(st, links, NLINKS, &w, &held);
	br = want_of(w, n, "bond0");
	CHECK("except/not_below_a_bond",
	      br && fw_policy_test(&br->pol[FW_DIR_IN], 17) && !want_of(w, n, "s1"),
	      "expected bond0 still blocking udp and s1 uncovered, got %s",
	      br ? "other" : "nothing");
	free(w);
}

static struct fw_enf judge(struct fw_state *st, struct fw_link *l, const struct fw_want *w,
			   const struct fw_compiled *pol)
{
	struct fw_ours ours = { .xdp = 10, .tc_in = 20, .tc_out = 30 };
	struct fw_enf e[FW_DIRS];

	fw_verify(st, 0, l, w, &ours, true, pol, e, NULL);
	return e[FW_DIR_IN];
}

static void test_verify(struct fw_state *st)
{
	/* An ifindex no interface has: its TC hooks read as empty. */
	struct fw_link l = { .ifindex = 0x7ffffff0, .name = "v", .kind = "veth" };
	struct fw_want w = { .link = &l, .req.mode = FW_MODE_AUTO };
	struct fw_compiled pol[FW_DIRS] = {};
	struct fw_enf in, out[FW_DIRS];
	struct fw_ours ours = { .xdp = 10 };

	memset(st->ifaces, 0, sizeof(st->ifaces));
	st->ifaces[0] = (struct fw_iface){ .ifindex = l.ifindex,
					   .xdp_prog_id = 10,
					   .tc_out_prog_id = 30,
					   .xdp_mode = FW_XDP_NATIVE,
					   .tc_kind = FW_TC_CLSBPF };
	fw_policy_set(&w.pol[FW_DIR_IN], 1);
	/* The entries as fwctl writes them (fw_policy_compile). */
	pol[FW_DIR_IN].set = w.pol[FW_DIR_IN];
	fw_policy_compile(&pol[FW_DIR_IN], 1);
	fw_policy_compile(&pol[FW_DIR_OUT], 1);

	l.xdp = (struct fw_xdp_info){ .prog_id = 10, .mode = FW_XDP_NATIVE };
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_ours_native", in.state == FW_ENFORCED, "expected enforced, got %s (%s)",
	      fw_enf_name(in.state), in.reason);

	l.xdp.mode = FW_XDP_GENERIC;
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_generic_degraded", in.state == FW_DEGRADED,
	      "expected degraded, got %s (%s)", fw_enf_name(in.state), in.reason);

	w.req.mode = FW_MODE_NATIVE;
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_generic_not_asked", in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_XDP,
	      "expected not-enforced, got %s (%s)", fw_enf_name(in.state), in.reason);
	w.req.mode = FW_MODE_AUTO;

	l.xdp = (struct fw_xdp_info){};
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_missing", in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_XDP,
	      "expected not-enforced (xdp missing), got %s (%s)", fw_enf_name(in.state), in.reason);

	l.xdp = (struct fw_xdp_info){ .prog_id = 11, .mode = FW_XDP_NATIVE };
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_replaced",
	      in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_XDP_FOREIGN &&
		      strstr(in.reason, "replaced"),
	      "expected not-enforced (replaced), got %s (%s)", fw_enf_name(in.state), in.reason);

	l.xdp = (struct fw_xdp_info){ .prog_id = 11, .mode = FW_XDP_NATIVE, .other_id = 10 };
	in = judge(st, &l, &w, pol);
	CHECK("verify/xdp_native_ahead",
	      in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_XDP_FOREIGN &&
		      strstr(in.reason, "runs before"),
	      "expected not-enforced (runs before), got %s (%s)", fw_enf_name(in.state), in.reason);

	l.xdp = (struct fw_xdp_info){ .prog_id = 10, .mode = FW_XDP_NATIVE };
	pol[FW_DIR_IN].set = (struct fw_policy){};
	in = judge(st, &l, &w, pol);
	CHECK("verify/policy_differs", in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_POLICY,
	      "expected not-enforced (policy), got %s (%s)", fw_enf_name(in.state), in.reason);
	pol[FW_DIR_IN].set = w.pol[FW_DIR_IN];

	/* The set as stated, but ICMP's act byte (what the program reads)
	 * flipped to pass behind fwctl's back. */
	pol[FW_DIR_IN].act[1] = FW_CELL_ICMP_PASS;
	in = judge(st, &l, &w, pol);
	CHECK("verify/act_differs",
	      in.state == FW_NOT_ENFORCED && in.gap == FW_GAP_POLICY &&
		      strstr(in.reason, "v in:") && strstr(in.reason, "passes icmp though blocked"),
	      "expected not-enforced (v in: passes icmp), got %s (%s)", fw_enf_name(in.state),
	      in.reason);
	fw_policy_compile(&pol[FW_DIR_IN], 1);

	fw_verify(st, 0, &l, &w, &ours, true, pol, out, NULL);
	CHECK("verify/tc_missing",
	      out[FW_DIR_OUT].state == FW_NOT_ENFORCED && out[FW_DIR_OUT].gap == FW_GAP_TC,
	      "expected not-enforced (tc missing), got %s (%s)", fw_enf_name(out[FW_DIR_OUT].state),
	      out[FW_DIR_OUT].reason);

	st->ifaces[0].suspended = 1;
	st->ifaces[0].xdp_prog_id = 0;
	fw_verify(st, 0, &l, &w, &ours, true, pol, out, NULL);
	CHECK("verify/standin_checks_tc", out[FW_DIR_IN].gap == FW_GAP_TC,
	      "expected the tc ingress stand-in checked (missing), got %s (%s)",
	      fw_enf_name(out[FW_DIR_IN].state), out[FW_DIR_IN].reason);
}

static void test_uncovered(struct fw_state *st)
{
	struct fw_link l = { .ifindex = 300000, .name = "vbad", .kind = "veth" };
	struct fw_want w = { .link = &l };
	struct fw_ours ours = { .xdp = 10 };
	struct fw_enf e[FW_DIRS];

	memset(st->ifaces, 0, sizeof(st->ifaces));
	fw_verify(st, -1, &l, &w, &ours, false, NULL, e, NULL);
	/* Any ifindex can be covered (fw_slots_hi beyond the direct table). */
	CHECK("uncovered/high_ifindex_coverable", e[FW_DIR_IN].gap == FW_GAP_UNCOVERED,
	      "expected not covered yet, got %s", e[FW_DIR_IN].reason);
	l.ifindex = 7;
	l.xdp.prog_id = 99;
	fw_verify(st, -1, &l, &w, &ours, false, NULL, e, NULL);
	CHECK("uncovered/foreign_xdp",
	      e[FW_DIR_OUT].gap == FW_GAP_CANNOT && strstr(e[FW_DIR_OUT].reason, "another tool"),
	      "expected cannot attach (another tool's XDP), got %s", e[FW_DIR_OUT].reason);
	l.xdp.prog_id = 0;
	fw_verify(st, -1, &l, &w, &ours, false, NULL, e, NULL);
	CHECK("uncovered/not_yet", e[FW_DIR_IN].gap == FW_GAP_UNCOVERED,
	      "expected not covered yet, got %s", e[FW_DIR_IN].reason);
}

int main(void)
{
	struct fw_state *st = calloc(1, sizeof(*st));

	if (!st)
		return 1;
	test_wants(st);
	test_exceptions(st);
	test_verify(st);
	test_uncovered(st);
	free(st);
	return fails ? 1 : 0;
}
