// SPDX-License-Identifier: GPL-2.0
/* main.c - a command line becomes a command (opts.c), and an error becomes
 * a message and an exit status, here and nowhere else. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"
#include "opts.h"

struct fw_opts fw_opts;

/* Under -j an error is a JSON document on stdout, {"error": ..., "exit": N}
 * (with "errors": [...] where one error has several findings, such as
 * restore's bad lines); else one line on stderr. */
static int exit_code(int err)
{
	const char *why = fw_err()[0] ? fw_err() : strerror(-err);
	int code;

	if (!err)
		return FW_EXIT_OK;
	if (err == -FW_ENOTENFORCED)
		return FW_EXIT_NOT_ENFORCED; /* status said why, in its output */
	if (err == -FW_EREPORTED)
		return FW_EXIT_RUNTIME;
	code = err == -FW_EUSAGE ? FW_EXIT_USAGE : FW_EXIT_RUNTIME;
	if (fw_opts.json && !ferror(stdout)) {
		json_t *doc = json_pack("{s:s, s:i}", "error", why, "exit", code);

		if (fw_err_details_get())
			json_object_set(doc, "errors", fw_err_details_get());
		fw_json_print(doc);
		json_decref(doc);
	}
	/* Where stdout cannot be written, stderr is the only way left. */
	if (!fw_opts.json || ferror(stdout))
		fprintf(stderr, "fwctl: %s\n", why);
	return code;
}

/* What was printed reached stdout, or the command failed: `fwctl save >
 * rules.conf` on a full disk must not exit 0 with the file cut short. A
 * reader that went away (`| head -1`) ends fwctl with SIGPIPE as usual;
 * monitor --packets, which ignores SIGPIPE to end cleanly, clears the
 * error it expects. */
static int output_done(int err)
{
	int ok = fflush(stdout) == 0, why = errno;

	if (err || (ok && !ferror(stdout)))
		return err;
	return fw_fail(-EIO, "cannot write the output to stdout%s%s", ok ? "" : ": ",
		       ok ? "" : strerror(why));
}

static int version(void)
{
	if (fw_opts.json) {
		json_t *doc =
			json_pack("{s:s, s:i}", "version", FWCTL_VERSION, "abi", FW_ABI_VERSION);

		fw_json_print(doc);
		json_decref(doc);
	} else {
		printf("fwctl %s (ABI %d)\n", FWCTL_VERSION, FW_ABI_VERSION);
	}
	return FW_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct fw_cli cli;
	int err;

	err = fw_cli_parse(argc, argv, &cli);
	if (!err && cli.version)
		err = version();
	else if (!err && cli.help)
		fw_help_print(stdout, cli.cmd);
	if (err || cli.version || cli.help)
		goto out;

	fw_libs_quiet();
	if (cli.cmd->flags & FW_CMD_ROOT)
		err = fw_check_privileges();
	/* help looks at nothing in a namespace. */
	if (!err && fw_opts.netns && cli.cmd != &fw_cmd_help)
		err = fw_netns_enter(fw_opts.netns);
	if (!err)
		err = cli.cmd->run(cli.args);
out:
	free(cli.args);
	return exit_code(output_done(err));
}
