// SPDX-License-Identifier: GPL-2.0
/* proto.c - IP protocol names: /etc/protocols first, a built-in table where
 * it is missing, numbers 0-255 always. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fwctl.h"
#include "opts.h"

struct proto_name {
	const char *name;
	unsigned int number;
};

/* Used when /etc/protocols is missing, and for names it does not have. */
static const struct proto_name builtin[] = {
	{ "hopopt", 0 },      { "icmp", 1 },	   { "igmp", 2 },	  { "ipencap", 4 },
	{ "tcp", 6 },	      { "egp", 8 },	   { "udp", 17 },	  { "ipv6", 41 },
	{ "ipv6-route", 43 }, { "ipv6-frag", 44 }, { "rsvp", 46 },	  { "gre", 47 },
	{ "esp", 50 },	      { "ah", 51 },	   { "ipv6-icmp", 58 },	  { "icmpv6", 58 },
	{ "ipv6-nonxt", 59 }, { "ipv6-opts", 60 }, { "eigrp", 88 },	  { "ospf", 89 },
	{ "ipip", 94 },	      { "pim", 103 },	   { "vrrp", 112 },	  { "l2tp", 115 },
	{ "sctp", 132 },      { "udplite", 136 },  { "mpls-in-ip", 137 },
};

static int builtin_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++)
		if (!strcasecmp(builtin[i].name, name))
			return builtin[i].number;
	return -1;
}

/* getprotobyname() is case-sensitive and /etc/protocols spells names in
 * lower case with upper-case aliases, so try both. */
static int db_lookup(const char *name)
{
	char lower[64];
	struct protoent *pe;
	size_t i;

	if (strlen(name) >= sizeof(lower))
		return -1;
	for (i = 0; name[i]; i++)
		lower[i] = tolower((unsigned char)name[i]);
	lower[i] = '\0';
	pe = getprotobyname(lower);
	if (!pe)
		pe = getprotobyname(name);
	return pe ? pe->p_proto : -1;
}

/* "unknown protocol 'icpm' (did you mean icmp?)": the names of
 * /etc/protocols and of the built-in table are the candidates. */
static int unknown(const char *s)
{
	const char *cands[512];
	char names[256][32], dym[96];
	struct protoent *pe;
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++)
		cands[n++] = builtin[i].name;
	setprotoent(1);
	while ((pe = getprotoent()) && n < (int)ARRAY_SIZE(cands)) {
		int k = n - (int)ARRAY_SIZE(builtin);

		if (k >= (int)ARRAY_SIZE(names))
			break;
		snprintf(names[k], sizeof(names[k]), "%s", pe->p_name);
		cands[n++] = names[k];
	}
	endprotoent();
	return fw_usage("unknown protocol '%s'%s", s,
			fw_did_you_mean(fw_suggest(s, cands, n), dym, sizeof(dym)));
}

static int proto_parse(const char *s)
{
	char *end;
	long n;
	int v;

	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (*end || errno)
			return fw_usage("unknown protocol '%s'", s);
		if (n > 255)
			return fw_usage("protocol number %s out of range 0-255", s);
		return n;
	}
	v = db_lookup(s);
	if (v < 0)
		v = builtin_lookup(s);
	if (v < 0 || v > 255)
		return unknown(s);
	return v;
}

/* "icmp,udp,47": every entry must be valid before any bit is set. */
int fw_proto_parse_list(const char *list, struct fw_policy *set, bool allow_all)
{
	struct fw_policy out = {};
	char buf[1024], *tok, *save = NULL;

	if (!list[0])
		return fw_usage("empty protocol list");
	if (strlen(list) >= sizeof(buf))
		return fw_usage("protocol list too long");
	if (allow_all && !strcasecmp(list, "all")) {
		memset(set, 0xff, sizeof(*set));
		return 0;
	}
	strcpy(buf, list);
	if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
		return fw_usage("empty entry in protocol list '%s'", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int n = proto_parse(tok);

		if (n < 0)
			return n;
		fw_policy_set(&out, n);
	}
	*set = out;
	return 0;
}

static const char *proto_name_uncached(unsigned int number, char *buf, size_t len)
{
	struct protoent *pe = getprotobynumber(number);

	if (pe) {
		snprintf(buf, len, "%s", pe->p_name);
		return buf;
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		if (builtin[i].number == number) {
			snprintf(buf, len, "%s", builtin[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%u", number);
	return buf;
}

/* The canonical name for output: /etc/protocols' official name, else ours.
 * Remembered: getprotobynumber() reads the file again at every call, and
 * status names the blocked protocols of every covered interface. */
const char *fw_proto_name(unsigned int number, char *buf, size_t len)
{
	static char names[256][32];

	if (number >= ARRAY_SIZE(names))
		return proto_name_uncached(number, buf, len);
	if (!names[number][0])
		proto_name_uncached(number, names[number], sizeof(names[number]));
	snprintf(buf, len, "%s", names[number]);
	return buf;
}

/* What a frame counted as (an IP protocol or FW_IDX_*), for output. */
const char *fw_kind_name(__u32 kind, char *buf, size_t len)
{
	if (kind == FW_IDX_NONIP)
		return "non-ip";
	if (kind == FW_IDX_MALFORMED)
		return "malformed";
	if (kind == FW_IDX_OTHER)
		return "other";
	return fw_proto_name(kind, buf, len);
}

bool fw_policy_test(const struct fw_policy *p, unsigned int n)
{
	return n < 256 && (p->blocked[n >> 6] >> (n & 63)) & 1;
}

void fw_policy_set(struct fw_policy *p, unsigned int n)
{
	p->blocked[n >> 6] |= 1ULL << (n & 63);
}

bool fw_policy_empty(const struct fw_policy *p)
{
	return !(p->blocked[0] | p->blocked[1] | p->blocked[2] | p->blocked[3]);
}

/* As many of p's protocols from *next on as fit in len (with the NUL), in
 * fw_policy_format()'s form; *next becomes the first one left out, 256 when
 * none is. Ruleset lines have a length limit: a long set takes several. */
int fw_policy_format_from(const struct fw_policy *p, unsigned int *next, char *buf, size_t len)
{
	size_t off = 0, l;
	char name[32];

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (; *next < 256; (*next)++) {
		if (!fw_policy_test(p, *next))
			continue;
		fw_proto_name(*next, name, sizeof(name));
		l = strlen(name) + (off ? 1 : 0);
		if (off + l >= len)
			return off ? 0 : -ENOSPC;
		off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", name);
	}
	return 0;
}

/* "icmp,udp" in save/restore and status order: by protocol number. */
int fw_policy_format(const struct fw_policy *p, char *buf, size_t len)
{
	size_t off = 0;
	char name[32];

	buf[0] = '\0';
	for (unsigned int n = 0; n < 256; n++) {
		if (!fw_policy_test(p, n))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? "," : "",
				fw_proto_name(n, name, sizeof(name)));
	}
	return off < len ? 0 : -ENOSPC;
}

json_t *fw_policy_json(const struct fw_policy *p)
{
	json_t *arr = json_array();
	char name[32];

	for (unsigned int n = 0; n < 256; n++)
		if (fw_policy_test(p, n))
			json_array_append_new(arr,
					      json_string(fw_proto_name(n, name, sizeof(name))));
	return arr;
}
