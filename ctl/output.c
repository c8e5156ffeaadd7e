// SPDX-License-Identifier: GPL-2.0
/* output.c - numbers for people, JSON for programs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fwctl.h"

void fw_json_print(json_t *doc)
{
	json_dumpf(doc, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Every JSON document fwctl prints starts as this: {"netns": NAME}, the
 * namespace it describes (escaped where not UTF-8, as fw_json_set_name). */
json_t *fw_json_doc(const char *netns)
{
	json_t *doc = json_object();

	if (doc)
		fw_json_set_name(doc, "netns", netns);
	return doc;
}

static const char *const dir_words[2][FW_DIRS] = {
	[false] = { [FW_DIR_IN] = "in", [FW_DIR_OUT] = "out" },
	/* A container's host-side port receives what the container sends. */
	[true] = { [FW_DIR_IN] = "from", [FW_DIR_OUT] = "to" },
};

const char *fw_dir_label(__u32 dir, bool container)
{
	return dir_words[!!container][dir];
}

/* The container's direction of an interface's, null where no container. */
json_t *fw_dir_container_json(__u32 dir, bool container)
{
	return container ? json_string(dir_words[true][dir]) : json_null();
}

/* 1234567 -> "1.23M": three significant digits, SI steps. */
static const char *human(__u64 v, const char *unit, char *buf, size_t len)
{
	static const char *prefix[] = { "", "k", "M", "G", "T", "P" };
	double d = v;
	int i = 0;

	if (v < 1000) {
		snprintf(buf, len, "%llu%s%s", (unsigned long long)v, unit[0] ? " " : "", unit);
		return buf;
	}
	while (d >= 1000 && i < 5) {
		d /= 1000;
		i++;
	}
	snprintf(buf, len, "%.*f%s%s%s",
		 d < 10	   ? 2
		 : d < 100 ? 1
			   : 0,
		 d, unit[0] ? " " : "", prefix[i], unit);
	return buf;
}

const char *fw_human_count(__u64 v, char *buf, size_t len)
{
	return human(v, "", buf, len);
}

const char *fw_human_bytes(__u64 v, char *buf, size_t len)
{
	return human(v, "B", buf, len);
}

/*
 * Names from the kernel (interfaces, namespaces) are bytes: they need not be
 * UTF-8, which JSON (json_string() returns NULL) and terminals need. What
 * follows renders them; stats and status use the same functions.
 */

/* The length of the valid UTF-8 character at s (1-4), 0 where s holds none
 * (NUL, a stray or truncated byte, an overlong form, a surrogate). */
size_t fw_utf8_char(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned int cp;
	size_t n;

	if (!u[0])
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool fw_utf8_valid(const char *s)
{
	for (size_t n; *s; s += n)
		if (!(n = fw_utf8_char(s)))
			return false;
	return true;
}

/* name for a terminal: '\' as "\\", control bytes and bytes that are not
 * UTF-8 as "\xNN"; everything else as it is. Cut at len (FW_NAME_TEXT_LEN
 * holds any target). Returns buf. */
const char *fw_name_escape(const char *name, char *buf, size_t len)
{
	size_t off = 0, n;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (const char *s = name; *s; s += n) {
		unsigned char c = *s;
		char piece[8];

		n = fw_utf8_char(s);
		if (c == '\\')
			snprintf(piece, sizeof(piece), "\\\\");
		else if (!n || c < 0x20 || c == 0x7f)
			snprintf(piece, sizeof(piece), "\\x%02x", c), n = 1;
		else
			snprintf(piece, sizeof(piece), "%.*s", (int)n, s);
		if (off + strlen(piece) >= len)
			break;
		memcpy(buf + off, piece, strlen(piece) + 1);
		off += strlen(piece);
	}
	return buf;
}

/* A name as a JSON string, never NULL: as it is where it is UTF-8, else in
 * fw_name_escape()'s form. */
json_t *fw_name_json(const char *name)
{
	char buf[FW_NAME_TEXT_LEN];

	if (fw_utf8_valid(name))
		return json_string(name);
	return json_string(fw_name_escape(name, buf, sizeof(buf)));
}

/* obj.key = the name (fw_name_json); where it is not UTF-8, also
 * obj.key_hex = its bytes in hex, the exact name for programs. */
void fw_json_set_name(json_t *obj, const char *key, const char *name)
{
	char hex[2 * FW_TARGET_LEN + 1], k[64];
	size_t off = 0;

	json_object_set_new(obj, key, fw_name_json(name));
	if (fw_utf8_valid(name))
		return;
	for (const unsigned char *s = (const unsigned char *)name; *s && off + 2 < sizeof(hex); s++)
		off += snprintf(hex + off, sizeof(hex) - off, "%02x", *s);
	snprintf(k, sizeof(k), "%s_hex", key);
	json_object_set_new(obj, k, json_string(hex));
}

/* Live views (stats --watch, monitor): times and rates. */

/* "2026-12-05T03:55:01.123+00:00" (ms: with the milliseconds): ISO 8601
 * with the local zone's offset, which readers need to compare lines written
 * on different machines. */
/* Seconds on the monotonic clock: intervals, deadlines, rates. */
__u64 fw_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

double fw_mono_s(void)
{
	return fw_mono_ns() / 1e9;
}

const char *fw_iso8601(const struct timespec *ts, bool ms, char *buf, size_t len)
{
	struct tm tm;
	long off;
	int n;

	localtime_r(&ts->tv_sec, &tm);
	off = tm.tm_gmtoff / 60;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms)
		n += snprintf(buf + n, len - n, ".%03ld", ts->tv_nsec / 1000000);
	snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
		 labs(off) % 60);
	return buf;
}

/* A count as people asked for it: exact, or with -H "1.19k". */
const char *fw_fmt_count(__u64 v, bool human_units, char *buf, size_t len)
{
	if (human_units)
		return fw_human_count(v, buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

const char *fw_fmt_bytes(__u64 v, bool human_units, char *buf, size_t len)
{
	if (human_units)
		return fw_human_bytes(v, buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* A rate per second, rounded to the nearest whole number (4.99 is 5, not
 * 4); under -H with units. */
const char *fw_fmt_rate(double per_s, bool bytes, bool human_units, char *buf, size_t len)
{
	__u64 v = per_s > 0 ? (__u64)(per_s + 0.5) : 0;

	if (human_units)
		return bytes ? fw_human_bytes(v, buf, len) : fw_human_count(v, buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}
