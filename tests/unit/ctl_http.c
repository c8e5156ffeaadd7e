// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_http.c - `watch --metrics-listen ADDRESS:PORT`, without root: which
 * addresses are accepted, what they parse to, and which count as loopback
 * (no warning). Prints `ok NAME` or `FAIL NAME: WHY` with expected and got.
 */
#include <arpa/inet.h>
#include <string.h>
#include "ctl_check.h"
#include "../../ctl/metrics_http.h"

static void good(const char *spec, int family, const char *addr, int port, bool loop)
{
	struct sockaddr_storage ss;
	char name[96], got[INET6_ADDRSTRLEN] = "";
	socklen_t len = 0;
	bool loopback = !loop;
	int err, gport = 0;

	err = fw_http_addr_parse(spec, &ss, &len, &loopback);
	if (!err && ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, got, sizeof(got));
		gport = ntohs(in->sin_port);
	} else if (!err && ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, got, sizeof(got));
		gport = ntohs(in6->sin6_port);
	}
	snprintf(name, sizeof(name), "parses %s", spec);
	CHECK(name,
	      !err && ss.ss_family == family && !strcmp(got, addr) && gport == port &&
		      loopback == loop &&
		      len == (family == AF_INET ? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6)),
	      "err %d family %d addr %s port %d loopback %d", err, ss.ss_family, got, gport,
	      loopback);
}

static void bad(const char *spec)
{
	struct sockaddr_storage ss;
	char name[96];
	socklen_t len;
	bool loopback;
	int err;

	err = fw_http_addr_parse(spec, &ss, &len, &loopback);
	snprintf(name, sizeof(name), "refuses '%s'", spec);
	CHECK(name, err == -FW_EUSAGE && strstr(fw_err(), "bad listen address"), "err %d: %s", err,
	      fw_err());
	fw_err_clear();
}

int main(void)
{
	good("127.0.0.1:9469", AF_INET, "127.0.0.1", 9469, true);
	good("127.3.4.5:1", AF_INET, "127.3.4.5", 1, true);
	good("0.0.0.0:65535", AF_INET, "0.0.0.0", 65535, false);
	good("192.0.2.7:80", AF_INET, "192.0.2.7", 80, false);
	good("[::1]:9469", AF_INET6, "::1", 9469, true);
	good("[::]:9469", AF_INET6, "::", 9469, false);
	good("[fe80::1]:9", AF_INET6, "fe80::1", 9, false);
	/* An IPv4-mapped loopback is still IPv6 to the kernel's bind. */
	good("[::ffff:127.0.0.1]:9", AF_INET6, "::ffff:127.0.0.1", 9, false);

	bad("");
	bad("127.0.0.1");
	bad(":9469");
	bad("127.0.0.1:");
	bad("127.0.0.1:0");
	bad("127.0.0.1:65536");
	bad("127.0.0.1:-1");
	bad("127.0.0.1:94x");
	bad("127.0.0.1: 9");
	bad("localhost:9469");
	bad("::1:9469");
	bad("[::1]9469");
	bad("[::1:9469");
	bad("[]:9469");
	bad("[127.0.0.1]:9469");
	bad("1.2.3.4.5:9");
	bad("[0000:0000:0000:0000:0000:0000:0000:0000:1]:9");
	return fails ? 1 : 0;
}
