// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_verify.c - fw_act_check, without root: the act bytes a fw_policy entry
 * holds (what the programs read) against what fwctl compiles from the rules.
 * A byte that passes a blocked kind, drops a passed one, or checks the ICMP
 * exemptions where strict was asked (or the reverse) is not enforced; a
 * wrong counter cell or owner is degraded; an entry as fwctl writes it, after
 * any history of changes, is enforced, and so is one after a repair.
 * Also what fw_verify judges from what it read of the kernel: an
 * interface's fw_slots entry against its slot, fwctl's cls_bpf filter's
 * direct-action flag and protocol, and a program's maps against the state's.
 * Prints `ok NAME` or `FAIL NAME: WHY` with expected and got.
 */
#include <stdlib.h>
#include <linux/if_ether.h>
#include <string.h>
#include "ctl_check.h"
#include "fw_count.h"

/* An entry as fwctl writes it: set compiled against the owners it had. */
static void write_entry(struct fw_compiled *c, const struct fw_policy *set)
{
	c->set = *set;
	fw_policy_compile(c, 1);
}

static void expect(const char *name, const struct fw_compiled *c, const struct fw_policy *want,
		   int state, const char *re)
{
	char why[128] = "";
	int got = fw_act_check(c, want, why, sizeof(why));

	CHECK(name, got == state && (!re || strstr(why, re)), "expected %s '%s', got %s '%s'",
	      fw_enf_name(state), re ? re : "", fw_enf_name(got), why);
}

static void slots_and_filters(void)
{
	struct fw_tc_hook h = { .prog_id = 7, .direct = true, .protocol = ETH_P_ALL };
	__u32 have[] = { 11, 12, 13, 14 }, need[] = { 14, 11, 12 }, other[] = { 11, 12, 99 };
	char why[160] = "";

	CHECK("slot/right", fw_slot_check(4, 5, why, sizeof(why)) == FW_ENFORCED, "%s", why);
	CHECK("slot/zeroed",
	      fw_slot_check(4, 0, why, sizeof(why)) == FW_NOT_ENFORCED &&
		      strstr(why, "no slot: the programs pass"),
	      "%s", why);
	CHECK("slot/other",
	      fw_slot_check(4, 1, why, sizeof(why)) == FW_NOT_ENFORCED &&
		      strstr(why, "slot 0, not 4"),
	      "%s", why);
	CHECK("slot/first_slot", fw_slot_check(0, 1, why, sizeof(why)) == FW_ENFORCED, "%s", why);

	CHECK("filter/as_attached",
	      fw_tc_filter_check(&h, "egress", why, sizeof(why)) == FW_ENFORCED, "%s", why);
	h.direct = false;
	CHECK("filter/no_direct_action",
	      fw_tc_filter_check(&h, "egress", why, sizeof(why)) == FW_NOT_ENFORCED &&
		      strstr(why, "tc egress filter runs without direct-action"),
	      "%s", why);
	h.direct = true;
	h.protocol = ETH_P_IPV6;
	CHECK("filter/one_protocol",
	      fw_tc_filter_check(&h, "ingress", why, sizeof(why)) == FW_NOT_ENFORCED &&
		      strstr(why, "ingress filter sees only protocol 0x86dd (IPv6)"),
	      "%s", why);

	CHECK("maps/all_read", fw_maps_include(have, 4, need, 3), "%s", "missed one");
	CHECK("maps/one_missing", !fw_maps_include(have, 4, other, 3), "%s", "took 99 as read");
	CHECK("maps/none_read", !fw_maps_include(have, 0, need, 3), "%s", "no maps, all read");
}

int main(void)
{
	slots_and_filters();
	static const unsigned int dyn[] = { 47, 50, 51, 132, 136, 200 };
	struct fw_policy want = {}, other = {};
	struct fw_compiled c = {}, t;

	fw_policy_set(&want, 1);
	write_entry(&c, &want);
	expect("act/as_written", &c, &want, FW_ENFORCED, NULL);

	/* A history: protocols with cells of their own blocked, some
	 * unblocked (retired cells), others blocked after them. */
	for (size_t i = 0; i < ARRAY_SIZE(dyn); i++)
		fw_policy_set(&other, dyn[i]);
	write_entry(&c, &other);
	write_entry(&c, &want);
	fw_policy_set(&want, 6);
	fw_policy_set(&want, 51);
	fw_policy_set(&want, 99);
	write_entry(&c, &want);
	expect("act/after_history", &c, &want, FW_ENFORCED, NULL);
	expect("act/other_rules", &c, &other, FW_NOT_ENFORCED, "passes ");

	t = c;
	t.act[1] = FW_CELL_ICMP_PASS;
	expect("act/icmp_flipped_to_pass", &t, &want, FW_NOT_ENFORCED,
	       "passes icmp though blocked");
	write_entry(&t, &want);
	expect("act/repaired_by_rewrite", &t, &want, FW_ENFORCED, NULL);

	t = c;
	t.act[17] |= FW_ACT_DROP;
	expect("act/udp_flipped_to_drop", &t, &want, FW_NOT_ENFORCED,
	       "drops udp though not blocked");
	t.act[6] &= FW_ACT_CELL;
	expect("act/both_ways", &t, &want, FW_NOT_ENFORCED,
	       "passes tcp though blocked; drops udp though not blocked");

	/* Strict asked, the byte checks the exemptions: some ICMP passes. */
	want.flags = FW_POLICY_STRICT;
	write_entry(&c, &want);
	expect("act/strict_as_written", &c, &want, FW_ENFORCED, NULL);
	t = c;
	t.act[1] = FW_ACT_DROP | FW_CELL_ICMP_DROP;
	expect("act/strict_checks_exemptions", &t, &want, FW_NOT_ENFORCED,
	       "passes icmp (exempt types) though blocked");
	/* ... and the reverse: exempt types dropped that the rules pass. */
	want.flags = 0;
	write_entry(&c, &want);
	t = c;
	t.act[1] = FW_ACT_DROP | FW_CELL_ICMP_DROP_STRICT;
	expect("act/exemptions_dropped", &t, &want, FW_NOT_ENFORCED,
	       "drops icmp (exempt types) though not blocked");
	/* A non-ICMP kind on an exemption-checked byte lets some through. */
	t = c;
	t.act[6] = FW_ACT_DROP | FW_CELL_ICMPV6_DROP;
	expect("act/tcp_exemption_checked", &t, &want, FW_NOT_ENFORCED, "passes tcp (exempt");

	/* Right verdict, wrong cell: enforced filtering, wrong counts. */
	t = c;
	t.act[6] = FW_ACT_DROP | FW_CELL_OTHER_DROP;
	expect("act/cell_only_degraded", &t, &want, FW_DEGRADED, "counts tcp in the wrong cells");
	t = c;
	t.owner[FW_CELL_TCP_DROP] = fw_owner(17, FW_DROP);
	expect("act/owner_only_degraded", &t, &want, FW_DEGRADED, "owner");

	/* Many kinds: three named, the rest counted. */
	t = c;
	memset(t.act, 0, sizeof(t.act));
	memset(&other, 0xff, sizeof(other.blocked));
	other.flags = 0;
	write_entry(&c, &other);
	t.set = c.set;
	memcpy(t.owner, c.owner, sizeof(t.owner));
	expect("act/many_named", &t, &other, FW_NOT_ENFORCED, " more though blocked");

	/* Non-IP always passes; malformed drops where anything is blocked. */
	t = c;
	t.act[FW_IDX_NONIP] |= FW_ACT_DROP;
	expect("act/nonip_dropped", &t, &other, FW_NOT_ENFORCED, "drops non-IP");
	t = c;
	t.act[FW_IDX_MALFORMED] &= FW_ACT_CELL;
	expect("act/malformed_passed", &t, &other, FW_NOT_ENFORCED, "passes malformed");

	/* Any history of writes, resets (keep 0) among them, leaves entries
	 * that check as enforced against the set last written. */
	srand(1);
	memset(&c, 0, sizeof(c));
	for (int i = 0, bad = -1; i < 2000 && bad < 0; i++) {
		struct fw_policy set = {};
		char why[128];
		int n = rand() % 140;

		for (int k = 0; k < n; k++)
			fw_policy_set(&set, rand() % 256);
		set.flags = rand() % 4 ? 0 : FW_POLICY_STRICT;
		c.set = set;
		fw_policy_compile(&c, rand() % 8 != 0);
		if (fw_act_check(&c, &set, why, sizeof(why)) != FW_ENFORCED)
			bad = i;
		if (bad >= 0 || i == 1999)
			CHECK("act/any_history_enforced", bad < 0, "write %d: %s", bad, why);
	}
	return fails ? 1 : 0;
}
