// SPDX-License-Identifier: GPL-2.0
/*
 * udp_flood - what an application in a container sends: COUNT small UDP
 * datagrams through an ordinary socket (routing, neighbour, TC egress, the
 * veth), in sendmmsg() batches, from one CPU. bench/live.sh uses it for the
 * cases that drop a container's traffic before it crosses the veth: trafgen's
 * packet socket either skips TC egress (qdisc bypass) or, on the qdisc path,
 * resends a frame TC egress dropped forever.
 *
 * Usage: udp_flood [-c CPU] [-t SECONDS] ADDR PORT COUNT
 * Prints "sent N errors E seconds S" and exits 0 when all COUNT left the
 * socket, 1 when the time bound (default 60 s) or an error stopped it first.
 */
#define _GNU_SOURCE /* sendmmsg(), CPU_SET() */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	    64
/* 18 bytes of payload make a 60-byte frame, the same as trafgen's. */
#define PAYLOAD_LEN 18
/* Errors other than a full buffer end the run after this many in a row. */
#define MAX_ERRORS  1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: udp_flood [-c CPU] [-t SECONDS] ADDR PORT COUNT\n");
}

int main(int argc, char **argv)
{
	static char payload[PAYLOAD_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long long count, sent = 0, errors = 0;
	double limit = 60, start, elapsed;
	int c, i, fd, cpu = -1, in_row = 0;
	cpu_set_t set;

	while ((c = getopt(argc, argv, "c:t:h")) != -1) {
		switch (c) {
		case 'c':
			cpu = atoi(optarg);
			break;
		case 't':
			limit = atof(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3 || inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1 ||
	    limit <= 0) {
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons((unsigned short)atoi(argv[optind + 1]));
	count = strtoull(argv[optind + 2], NULL, 10);

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "udp_flood: cannot pin to CPU %d: %s\n", cpu,
				strerror(errno));
			return 1;
		}
	}
	/* Unconnected: the receiver's ICMP port-unreachable replies must not
	 * turn into ECONNREFUSED on the next send. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "udp_flood: cannot open a UDP socket: %s\n", strerror(errno));
		return 1;
	}
	memset(payload, 'A', sizeof(payload));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now();
	while (sent < count) {
		unsigned int n = count - sent < BATCH ? (unsigned int)(count - sent) : BATCH;
		int r = sendmmsg(fd, msgs, n, 0);

		if (r > 0) {
			sent += (unsigned int)r;
			in_row = 0;
		} else if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
			errors++;
		} else if (++in_row >= MAX_ERRORS) {
			fprintf(stderr, "udp_flood: sendmmsg: %s\n", strerror(errno));
			break;
		} else {
			errors++;
		}
		/* Checking the clock every batch costs about 1% of a batch. */
		if (now() - start > limit) {
			fprintf(stderr, "udp_flood: stopped at the %.0f s bound\n", limit);
			break;
		}
	}
	elapsed = now() - start;
	close(fd);
	printf("sent %llu errors %llu seconds %.6f\n", sent, errors, elapsed);
	return sent == count ? 0 : 1;
}
