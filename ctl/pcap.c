// SPDX-License-Identifier: GPL-2.0
/* pcap.c - the classic pcap format (what tcpdump -w writes and every
 * reader reads): a file header, then per frame a record header and the
 * bytes kept. Microsecond times, Ethernet link type, host byte order (the
 * magic number tells readers which). */
#include <stdio.h>
#include <time.h>
#include "fwctl.h"

#define PCAP_MAGIC_US	     0xa1b2c3d4U
#define PCAP_LINKTYPE_EN10MB 1

struct pcap_file_hdr {
	__u32 magic;
	__u16 major, minor;
	__s32 thiszone;
	__u32 sigfigs, snaplen, linktype;
};

struct pcap_rec_hdr {
	__u32 sec, usec, caplen, len;
};

int fw_pcap_header(FILE *f, __u32 snaplen)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_US,
		.major = 2,
		.minor = 4,
		.snaplen = snaplen,
		.linktype = PCAP_LINKTYPE_EN10MB,
	};

	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -1;
}

int fw_pcap_record(FILE *f, const struct timespec *ts, const void *data, __u32 caplen, __u32 len)
{
	struct pcap_rec_hdr r = {
		.sec = (__u32)ts->tv_sec,
		.usec = (__u32)(ts->tv_nsec / 1000),
		.caplen = caplen,
		.len = len,
	};

	if (fwrite(&r, sizeof(r), 1, f) != 1 || (caplen && fwrite(data, caplen, 1, f) != 1))
		return -1;
	return 0;
}
