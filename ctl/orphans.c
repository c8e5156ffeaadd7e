// SPDX-License-Identifier: GPL-2.0
/* orphans.c - fwctl's programs that no state records: left when the state
 * was removed (by hand, or by an older fwctl that thought the namespace
 * gone) while the programs stayed attached, still dropping. Found by name
 * and handle on the interfaces no slot holds; status shows them, detach
 * removes them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include "fwctl.h"

static bool named(__u32 id, const char *prefix)
{
	char name[32];

	fw_prog_name(id, name, sizeof(name));
	return !strncmp(name, prefix, strlen(prefix));
}

static bool listed(const int *idx, int n, int ifindex)
{
	for (int i = 0; i < n; i++)
		if (idx[i] == ifindex)
			return true;
	return false;
}

/* The orphans among links (those of `only`, if set). Returns how many, and
 * an array the caller frees, or -errno. */
int fw_orphans_find(const struct fw_state *st, const struct fw_link *links, int n, const char *only,
		    struct fw_orphan **out)
{
	struct fw_orphan *o = calloc(n + 1, sizeof(*o));
	int nclsact, *clsact = NULL, cnt = 0;

	if (!o)
		return fw_fail(-ENOMEM, "out of memory");
	nclsact = fw_clsact_list(&clsact);
	if (nclsact < 0)
		nclsact = 0;
	for (int i = 0; i < n; i++) {
		const struct fw_link *l = &links[i];
		struct fw_orphan *r = &o[cnt];

		if ((only && strcmp(only, l->name)) ||
		    (st->exists && fw_slot_of(st, l->ifindex) >= 0))
			continue;
		memset(r, 0, sizeof(*r));
		if (l->xdp.prog_id && named(l->xdp.prog_id, "fw_xdp"))
			r->xdp = l->xdp.prog_id;
		for (__u32 d = 0; d < FW_DIRS && listed(clsact, nclsact, l->ifindex); d++) {
			struct fw_tc_hook h;

			if (!fw_tc_hook_read(l->ifindex, d, true, 0, &h) && h.prog_id &&
			    named(h.prog_id, "fw_tc_"))
				r->tc[d] = h.prog_id;
		}
		if (r->xdp || r->tc[FW_DIR_IN] || r->tc[FW_DIR_OUT]) {
			r->link = l;
			cnt++;
		}
	}
	free(clsact);
	*out = o;
	return cnt;
}

static int remove_one(const struct fw_orphan *o)
{
	const struct fw_link *l = o->link;
	int err = 0;

	if (o->xdp &&
	    bpf_xdp_detach(l->ifindex,
			   l->xdp.mode == FW_XDP_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE,
			   NULL))
		err = fw_fail(-errno, "cannot remove orphaned XDP program from '%s': %s", l->name,
			      strerror(errno));
	for (__u32 d = 0; d < FW_DIRS; d++)
		if (o->tc[d]) {
			int e = fw_tc_remove_ours(l->ifindex, d);

			if (e && !err)
				err = fw_fail(e, "cannot remove orphaned tc filter from '%s': %s",
					      l->name, strerror(-e));
		}
	if (!err)
		fw_warn("%s: removed fwctl programs no state recorded (orphans)", l->name);
	return err;
}

/* Removes them: bridges first, since the kernel allows no XDP change below
 * a device that has XDP. */
int fw_orphans_remove(const struct fw_orphan *o, int n)
{
	int err = 0, e;

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < n; i++) {
			if ((strcmp(o[i].link->kind, "bridge") != 0) != pass)
				continue;
			e = remove_one(&o[i]);
			err = err ? err : e;
		}
	return err;
}
