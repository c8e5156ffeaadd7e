// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_packets.c - what `monitor --packets` reads from a sample's bytes,
 * without root: addresses, ports, ICMP type and code and VLAN ids of frames
 * built by tests/unit/frames.h (VLAN stacks, IPv4 options and fragments,
 * IPv6 extension chains, cut-off captures), and the pcap bytes it writes.
 * Prints `ok NAME` or `FAIL NAME: WHY`.
 */
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl_check.h"
#include "frames.h"

struct want {
	int family;
	const char *src, *dst;
	int sport, dport, icmp_type, icmp_code, nvlan;
};

static void check_frame(const char *name, const struct fr_layer *layers, size_t cut,
			const struct want *w)
{
	static __u8 buf[FR_MAX_LEN];
	size_t n = fr_build(layers, buf, sizeof(buf));
	struct fw_pkt p;
	char got[256], want[256];

	fw_dissect(buf, cut && cut < n ? cut : n, &p);
	snprintf(got, sizeof(got), "%d %s %s %d %d %d %d %d:%d", p.family, p.src, p.dst, p.sport,
		 p.dport, p.icmp_type, p.icmp_code, p.nvlan, p.nvlan ? p.vlan[0] : -1);
	snprintf(want, sizeof(want), "%d %s %s %d %d %d %d %d:%d", w->family, w->src, w->dst,
		 w->sport, w->dport, w->icmp_type, w->icmp_code, w->nvlan, w->nvlan ? 100 : -1);
	CHECK(name, !strcmp(got, want), "expected '%s', got '%s'", want, got);
}

#define V4   4, "192.0.2.1", "192.0.2.2"
#define V6   6, "2001:db8::1", "2001:db8::2"
#define NOIP 0, "", ""

int main(void)
{
	/* clang-format off */
	check_frame("udp4", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_UDP), UDP(), {} }, 0,
		    &(struct want){ V4, 40000, 7, -1, -1, 0 });
	check_frame("tcp4_options", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_TCP, .ihl = 8),
		    TCP(), {} }, 0, &(struct want){ V4, 40000, 80, -1, -1, 0 });
	check_frame("icmp4_type_code", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_ICMP),
		    ICMP4T(3, 4), {} }, 0, &(struct want){ V4, -1, -1, 3, 4, 0 });
	check_frame("icmp4_later_fragment", (const struct fr_layer[]){ ETH(ETH_P_IP),
		    IP4(IPPROTO_ICMP, .frag = 10), BYTES(16), {} }, 0,
		    &(struct want){ V4, -1, -1, -1, -1, 0 });
	check_frame("sctp4", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_SCTP), SCTP(), {} }, 0,
		    &(struct want){ V4, 40000, 9, -1, -1, 0 });
	check_frame("gre4_no_ports", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_GRE), GRE(), {} },
		    0, &(struct want){ V4, -1, -1, -1, -1, 0 });
	check_frame("vlan_udp4", (const struct fr_layer[]){ ETH(ETH_P_8021Q), VLAN(ETH_P_IP),
		    IP4(IPPROTO_UDP), UDP(), {} }, 0, &(struct want){ V4, 40000, 7, -1, -1, 1 });
	check_frame("qinq_udp4", (const struct fr_layer[]){ ETH(ETH_P_8021AD), VLAN(ETH_P_8021Q),
		    VLAN(ETH_P_IP), IP4(IPPROTO_UDP), UDP(), {} }, 0,
		    &(struct want){ V4, 40000, 7, -1, -1, 2 });
	check_frame("udp6_two_ext", (const struct fr_layer[]){ ETH(ETH_P_IPV6), IP6(0),
		    HOPOPTS(60), DSTOPTS(IPPROTO_UDP), UDP(), {} }, 0,
		    &(struct want){ V6, 40000, 7, -1, -1, 0 });
	check_frame("icmp6_behind_routing_ah", (const struct fr_layer[]){ ETH(ETH_P_IPV6), IP6(43),
		    ROUTING(51), AH(IPPROTO_ICMPV6, .len = 4), ICMP6T(1, 3), {} }, 0,
		    &(struct want){ V6, -1, -1, 1, 3, 0 });
	check_frame("vlan_udp6", (const struct fr_layer[]){ ETH(ETH_P_8021Q), VLAN(ETH_P_IPV6),
		    IP6(IPPROTO_UDP), UDP(), {} }, 0, &(struct want){ V6, 40000, 7, -1, -1, 1 });
	/* Cut off by the snap length: what fits is shown, nothing past it. */
	check_frame("cut_in_ports", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_UDP), UDP(), {} },
		    14 + 20 + 2, &(struct want){ V4, -1, -1, -1, -1, 0 });
	check_frame("cut_in_ip", (const struct fr_layer[]){ ETH(ETH_P_IP), IP4(IPPROTO_UDP), UDP(), {} },
		    14 + 10, &(struct want){ NOIP, -1, -1, -1, -1, 0 });
	check_frame("cut_in_ext_chain", (const struct fr_layer[]){ ETH(ETH_P_IPV6), IP6(0),
		    HOPOPTS(IPPROTO_UDP, .len = 30), UDP(), {} }, 256,
		    &(struct want){ V6, -1, -1, -1, -1, 0 });
	check_frame("arp_no_ip", (const struct fr_layer[]){ ETH(ETH_P_ARP), ARP(), {} }, 0,
		    &(struct want){ NOIP, -1, -1, -1, -1, 0 });
	check_frame("empty", (const struct fr_layer[]){ {} }, 0, &(struct want){ NOIP, -1, -1, -1, -1, 0 });
	/* clang-format on */

	/* pcap: a 24-byte header (magic, v2.4, snap 256, Ethernet), then per
	 * frame 16 bytes (seconds, microseconds, kept, on the wire) and the
	 * bytes kept. */
	{
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		struct timespec ts = { .tv_sec = 1764926253, .tv_nsec = 123456789 };
		const __u8 frame[3] = { 0xaa, 0xbb, 0xcc };
		__u32 h[6], r[4];

		CHECK("pcap_writes",
		      f && !fw_pcap_header(f, 256) && !fw_pcap_record(f, &ts, frame, 3, 1500) &&
			      !fclose(f),
		      "%s", "write failed");
		CHECK("pcap_length", len == 24 + 16 + 3, "expected 43 bytes, got %zu", len);
		if (len == 43) {
			memcpy(h, out, sizeof(h));
			memcpy(r, out + 24, sizeof(r));
			CHECK("pcap_header",
			      h[0] == 0xa1b2c3d4 && h[1] == (2 | 4 << 16) && h[4] == 256 &&
				      h[5] == 1,
			      "magic %x version %x snap %u link %u", h[0], h[1], h[4], h[5]);
			CHECK("pcap_record",
			      r[0] == 1764926253 && r[1] == 123456 && r[2] == 3 && r[3] == 1500 &&
				      !memcmp(out + 40, frame, 3),
			      "%u.%06u kept %u of %u", r[0], r[1], r[2], r[3]);
		}
		free(out);
	}
	return fails ? 1 : 0;
}
