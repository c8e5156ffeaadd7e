// SPDX-License-Identifier: GPL-2.0
/* view.c - what status and stats look at: the attached interfaces a target
 * selects, and the container (or netns) behind each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

int fw_view_open(struct fw_view *v, struct fw_state *st, const char *target)
{
	bool container;
	int err;

	memset(v, 0, sizeof(*v));
	err = fw_links_load(&v->links, &v->n);
	if (err)
		return err;
	v->sel = calloc(v->n + 1, sizeof(*v->sel));
	v->names = calloc(v->n + 1, sizeof(*v->names));
	if (!v->sel || !v->names)
		return fw_fail(-ENOMEM, "out of memory");
	v->all = !target;
	if (target) {
		/* A rule's target may be gone; anything else must be there. */
		if (!(st->exists && fw_rule_find(st, target))) {
			err = fw_target_check(target, v->links, v->n);
			if (err)
				return err;
		}
		err = fw_target_resolve(target, v->links, v->n, v->sel, v->n, &container);
		if (err < 0)
			return err;
		v->nsel = err;
	}
	if (st->exists)
		fw_container_names(v->links, v->n, v->names);
	return 0;
}

void fw_view_close(struct fw_view *v)
{
	free(v->links);
	free(v->sel);
	free(v->names);
	memset(v, 0, sizeof(*v));
}

bool fw_view_selects(const struct fw_view *v, int ifindex)
{
	if (v->all)
		return true;
	for (int i = 0; i < v->nsel; i++)
		if (v->sel[i] == ifindex)
			return true;
	return false;
}

/* JSON null where no container is known. */
json_t *fw_view_container(const struct fw_view *v, int ifindex)
{
	for (int i = 0; i < v->n; i++)
		if (v->links[i].ifindex == ifindex && v->names[i][0])
			return fw_name_json(v->names[i]);
	return json_null();
}

const struct fw_link *fw_view_link(const struct fw_view *v, int ifindex)
{
	return fw_link_by_index(v->links, v->n, ifindex);
}
