// SPDX-License-Identifier: GPL-2.0
/* progs.c - what the kernel says of a BPF program, by id: its name, for
 * messages and status ("another tool's XDP program 'xdp_foo' (id 12)"). */
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fwctl.h"

/* "?" when the program is gone or unreadable: only a message needs it. */
void fw_prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(name, len, "%s", info.name);
	if (fd >= 0)
		close(fd);
}
