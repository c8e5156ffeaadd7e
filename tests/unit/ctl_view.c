// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_view.c - status as text, without root: realistic rows (docker0,
 * veth1234567, container names of 20 characters, long protocol sets, the
 * longest reasons) print in lines of at most 80 columns, each interface's
 * first line starts with its name and carries its state, and nothing is
 * lost to the wrapping (every blocked protocol, whole, and every word of a
 * reason is still there). Prints `ok NAME` or `FAIL NAME: WHY`.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl_check.h"

static char *capture(const struct fw_status_doc *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *saved = stdout;

	stdout = mem;
	fw_status_print(d);
	stdout = saved;
	fclose(mem);
	return buf;
}

static int widest(const char *text, char *which, size_t len)
{
	int max = 0;

	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		int w = nl ? nl - l : (int)strlen(l);

		if (w > max) {
			max = w;
			snprintf(which, len, "%.*s", w, l);
		}
		l = nl ? nl + 1 : l + w;
	}
	return max;
}

/* The words of s, in order, each found in text after the one before. */
static bool words_in(const char *text, const char *s)
{
	char *dup = strdup(s), *save = NULL;
	const char *at = text;
	bool ok = true;

	for (char *w = strtok_r(dup, " ", &save); w && ok; w = strtok_r(NULL, " ", &save)) {
		at = strstr(at, w);
		ok = at != NULL;
		if (ok)
			at += strlen(w);
	}
	free(dup);
	return ok;
}

/* Every protocol of [from, to) named in text, whole, in a list. */
static bool all_protocols(const char *text, unsigned int from, unsigned int to)
{
	for (unsigned int p = from; p < to; p++) {
		char name[32];
		const char *at = text;
		size_t n;
		bool found = false;

		fw_proto_name(p, name, sizeof(name));
		n = strlen(name);
		while (!found && (at = strstr(at, name))) {
			found = (at[-1] == ' ' || at[-1] == ',') &&
				(at[n] == ',' || at[n] == '\n' || at[n] == ' ');
			at += n;
		}
		if (!found)
			return false;
	}
	return true;
}

int main(void)
{
	static const char long_reason[] =
		"cannot attach: XDP program 'xdp_dispatcher' (id 4294967295) of another tool "
		"is attached; --force replaces it";
	static struct fw_status_item it[3];
	static struct fw_rule rules[FW_MAX_RULES];
	struct fw_status_doc d = { .netns = "host", .items = it, .n = 3, .rules = rules };
	char which[512], *out;
	int w;

	snprintf(it[0].ifname, sizeof(it[0].ifname), "docker0");
	snprintf(it[0].kind, sizeof(it[0].kind), "bridge");
	it[0].xdp = true;
	it[0].xdp_mode = FW_XDP_GENERIC;
	it[0].prog_id = 4294967295U;
	it[0].tc[FW_DIR_OUT] = true;
	it[0].tc_kind = FW_TC_CLSBPF;
	fw_policy_set(&it[0].blocked[FW_DIR_IN], 1);
	it[0].e[FW_DIR_IN].state = FW_DEGRADED;
	snprintf(it[0].e[FW_DIR_IN].reason, sizeof(it[0].e[0].reason),
		 "generic XDP: driver has no native XDP");

	snprintf(it[1].ifname, sizeof(it[1].ifname), "veth1234567");
	snprintf(it[1].kind, sizeof(it[1].kind), "veth");
	snprintf(it[1].container, sizeof(it[1].container), "web-frontend-prod-01");
	it[1].tc_hook = true;
	it[1].tc[FW_DIR_IN] = it[1].tc[FW_DIR_OUT] = true;
	it[1].tc_kind = FW_TC_TCX;
	for (unsigned int p = 0; p < 40; p++) {
		fw_policy_set(&it[1].blocked[FW_DIR_IN], p);
		fw_policy_set(&it[1].blocked[FW_DIR_OUT], p + 100);
	}
	for (int dir = 0; dir < FW_DIRS; dir++) {
		it[1].e[dir].state = FW_NOT_ENFORCED;
		snprintf(it[1].e[dir].reason, sizeof(it[1].e[dir].reason), "%s", long_reason);
	}

	snprintf(it[2].ifname, sizeof(it[2].ifname), "vethabcdefghijk");
	snprintf(it[2].kind, sizeof(it[2].kind), "veth");
	snprintf(it[2].container, sizeof(it[2].container), "payments-worker-0001");
	it[2].e[FW_DIR_OUT].state = FW_NOT_ENFORCED;
	snprintf(it[2].e[FW_DIR_OUT].reason, sizeof(it[2].e[0].reason),
		 "vethabcdefghijk out: the programs' act[] in fw_policy passes icmp, "
		 "tcp, udp and 5 more though blocked");
	snprintf(rules[0].target, sizeof(rules[0].target), "container:payments-worker-0001");
	fw_policy_set(&rules[0].excepted[FW_DIR_IN], 1);
	fw_policy_set(&rules[0].excepted[FW_DIR_OUT], 1);

	out = capture(&d);
	w = widest(out, which, sizeof(which));
	CHECK("status_text/fits_80_columns", w <= 80, "widest line %d columns: '%s'\n%s", w, which,
	      out);
	CHECK("status_text/rows_start_with_name",
	      strstr(out, "\ndocker0 ") && strstr(out, "\nveth1234567 ") &&
		      strstr(out, "\nvethabcdefghijk "),
	      "%s", out);
	CHECK("status_text/state_on_the_row",
	      words_in(out, "veth1234567 veth web-frontend-prod-01 tc not-enforced"), "%s", out);
	CHECK("status_text/blocked_kept",
	      words_in(out, "blocked from: blocked to:") && all_protocols(out, 0, 40) &&
		      all_protocols(out, 100, 140),
	      "%s", out);
	CHECK("status_text/reason_kept",
	      words_in(out, "veth1234567: not-enforced:") && words_in(out, long_reason), "%s", out);
	CHECK("status_text/exception_kept",
	      words_in(out, "container:payments-worker-0001: excepted from its bridge's rule: "
			    "to: icmp from: icmp"),
	      "%s", out);
	free(out);
	return fails ? 1 : 0;
}
