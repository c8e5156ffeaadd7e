// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_output.c - the one emitter, without root: status rows of a container's
 * port print the container's directions ("from: udp") in text while JSON
 * keeps the port's in/out and adds container_directions; doctor's words are
 * lower-case in text and JSON, with netns and what is missing; watch's log
 * lines carry their syslog priority off a terminal, and -q/-v choose the
 * levels. Linked with fwctl's own objects (all but main.o). Prints `ok NAME`
 * or `FAIL NAME: WHY` with expected and got.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl_check.h"

/* What fn printed on fd (1 or 2), NUL-terminated, in buf. */
static const char *capture(int fd, void (*fn)(void *), void *arg, char *buf, size_t len)
{
	FILE *f = tmpfile(), *std = fd == 1 ? stdout : stderr;
	int saved = dup(fd);
	size_t n = 0;

	fflush(std);
	dup2(fileno(f), fd);
	fn(arg);
	fflush(std);
	dup2(saved, fd);
	close(saved);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void has(const char *name, const char *text, const char *want, bool yes)
{
	CHECK(name, !strstr(text, want) == !yes, "%s '%s' in:\n%s", yes ? "no" : "unexpected", want,
	      text);
}

static struct fw_status_item items[2];

static void print_status(void *arg)
{
	(void)arg;
	fw_status_print(&(struct fw_status_doc){
		.netns = "host", .items = items, .n = 2, .enforced = true });
}

static struct fw_check checks[2] = {
	{ .name = "kernel", .status = FW_CHECK_OK, .detail = "Linux", .consequence = "fine" },
	{ .name = "privileges",
	  .status = FW_CHECK_MISSING,
	  .detail = "none",
	  .consequence = "run as root" },
};

static void print_checks(void *arg)
{
	(void)arg;
	fw_checks_print("host", checks, 2);
}

static void log_lines(void *arg)
{
	(void)arg;
	fw_log(FW_LOG_ERR, "e");
	fw_warn("w");
	fw_note("i");
	fw_info("d");
}

int main(void)
{
	char buf[8192];
	json_t *doc, *ifs;

	CHECK("dir_iface_in", !strcmp(fw_dir_label(FW_DIR_IN, false), "in"), "%s",
	      fw_dir_label(FW_DIR_IN, false));
	CHECK("dir_container_in_is_from", !strcmp(fw_dir_label(FW_DIR_IN, true), "from"), "%s",
	      fw_dir_label(FW_DIR_IN, true));
	CHECK("dir_container_out_is_to", !strcmp(fw_dir_label(FW_DIR_OUT, true), "to"), "%s",
	      fw_dir_label(FW_DIR_OUT, true));

	/* vethc1, c1's port: `block udp netns:c1 --dir out` is its in. */
	snprintf(items[0].ifname, sizeof(items[0].ifname), "vethc1");
	snprintf(items[0].kind, sizeof(items[0].kind), "veth");
	snprintf(items[0].container, sizeof(items[0].container), "c1");
	fw_policy_set(&items[0].blocked[FW_DIR_IN], 17);
	snprintf(items[1].ifname, sizeof(items[1].ifname), "docker0");
	snprintf(items[1].kind, sizeof(items[1].kind), "bridge");
	fw_policy_set(&items[1].blocked[FW_DIR_OUT], 1);

	fw_opts.json = false;
	capture(1, print_status, NULL, buf, sizeof(buf));
	has("status_text_container_from", buf, "blocked from: udp  to: -", true);
	has("status_text_iface_in_out", buf, "blocked in: -  out: icmp", true);
	has("status_text_no_iface_words_for_container", buf, "in: udp", false);

	fw_opts.json = true;
	capture(1, print_status, NULL, buf, sizeof(buf));
	doc = json_loads(buf, 0, NULL);
	ifs = json_object_get(doc, "interfaces");
	CHECK("status_json_netns",
	      !strcmp(json_string_value(json_object_get(doc, "netns")) ?: "", "host"), "%s", buf);
	CHECK("status_json_keeps_port_in",
	      json_array_size(json_object_get(json_object_get(json_array_get(ifs, 0), "blocked"),
					      "in")) == 1,
	      "%s", buf);
	CHECK("status_json_container_directions",
	      !strcmp(json_string_value(json_object_get(
			      json_object_get(json_array_get(ifs, 0), "container_directions"),
			      "in"))
			      ?: "",
		      "from"),
	      "%s", buf);
	CHECK("status_json_plain_null",
	      json_is_null(json_object_get(json_array_get(ifs, 1), "container_directions")), "%s",
	      buf);
	json_decref(doc);

	capture(1, print_checks, NULL, buf, sizeof(buf));
	doc = json_loads(buf, 0, NULL);
	CHECK("doctor_json_lower_case",
	      !strcmp(json_string_value(json_object_get(
			      json_array_get(json_object_get(doc, "checks"), 0), "status"))
			      ?: "",
		      "ok"),
	      "%s", buf);
	CHECK("doctor_json_missing",
	      !strcmp(json_string_value(json_array_get(json_object_get(doc, "missing"), 0)) ?: "",
		      "privileges"),
	      "%s", buf);
	json_decref(doc);
	fw_opts.json = false;
	capture(1, print_checks, NULL, buf, sizeof(buf));
	has("doctor_text_lower_case", buf, "ok        kernel ", true);

	/* stderr is a file here: watch's lines carry their priority. */
	unsetenv("JOURNAL_STREAM");
	fw_opts.log = true;
	fw_opts.quiet = false;
	capture(2, log_lines, NULL, buf, sizeof(buf));
	CHECK("log_watch_levels", !strcmp(buf, "<3>fwctl: e\n<4>fwctl: w\n<6>fwctl: i\n"),
	      "got:\n%s", buf);
	fw_opts.quiet = true;
	capture(2, log_lines, NULL, buf, sizeof(buf));
	CHECK("log_watch_quiet_hides_info", !strcmp(buf, "<3>fwctl: e\n<4>fwctl: w\n"), "got:\n%s",
	      buf);
	fw_opts.quiet = false;
	fw_opts.verbose = true;
	capture(2, log_lines, NULL, buf, sizeof(buf));
	CHECK("log_watch_verbose_debug", strstr(buf, "<7>fwctl: d\n") != NULL, "got:\n%s", buf);
	/* Other commands: no prefix; warnings unless -q, the rest under -v. */
	fw_opts.log = false;
	fw_opts.verbose = false;
	capture(2, log_lines, NULL, buf, sizeof(buf));
	CHECK("log_command_plain", !strcmp(buf, "fwctl: e\nfwctl: w\n"), "got:\n%s", buf);
	return fails ? 1 : 0;
}
