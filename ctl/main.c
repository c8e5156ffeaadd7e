// SPDX-License-Identifier: GPL-2.0
/* main.c - global options, the command table, and the one place where an
 * error becomes a message and an exit status. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "fwctl.h"

struct fw_opts fw_opts;

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *what;
};

static const struct command commands[] = {
	{ "attach", cmd_attach,
	  "TARGET [--mode auto|native|generic] [--hook xdp|tc] [--force] | --upgrade [TARGET]",
	  "load and attach without blocking anything" },
	{ "detach", cmd_detach, "TARGET | --all",
	  "remove programs, links and state of TARGET (or all)" },
	{ "block", cmd_block,
	  "PROTO[,PROTO...] TARGET [--dir in|out|both] [--strict] [--mode M] [--hook H] [--force]\n"
	  "              [--dry-run]",
	  "drop these IP protocols on TARGET" },
	{ "unblock", cmd_unblock, "PROTO[,PROTO...]|all TARGET [--dir in|out|both] [--dry-run]",
	  "stop dropping them" },
	{ "stats", cmd_stats,
	  "[TARGET] [--watch SECONDS [--count N] [--all]] [--reset] [--prometheus] [--human]",
	  "passed and dropped packets and bytes" },
	{ "status", cmd_status, "[TARGET]", "what is attached where, blocking what" },
	{ "save", cmd_save, "[FILE]", "print (or write) the whole ruleset in restore format" },
	{ "restore", cmd_restore, "[--check] FILE",
	  "replace the whole ruleset atomically (--check: only validate)" },
	{ "watch", cmd_watch,
	  "[--netns NETNS]... [--metrics-file FILE [--metrics-interval SECONDS]]\n"
	  "              [--metrics-listen ADDRESS:PORT]",
	  "stay in the foreground and keep rules applied as links come and go" },
	{ "monitor", cmd_monitor, "[TARGET] [--interval SECONDS] [--count N] [--human]",
	  "show drops as they happen, at most one line per interface, direction and protocol per "
	  "interval" },
	{ "doctor", cmd_doctor, "", "what this host supports and what fwctl will do about it" },
	{ "help", cmd_help, "[COMMAND]", "this text, or one command's" },
};

static const char *usage_head =
	"usage: fwctl [-n NETNS] [-j] [-q|-v] COMMAND [ARGS]\n"
	"\n"
	"  -n, --netns NETNS   act in that network namespace: a name under /run/netns,\n"
	"                      a path such as /proc/PID/ns/net, or pid:PID\n"
	"  -j, --json          machine-readable output (one JSON document per command)\n"
	"  -q, --quiet         no warnings (errors still go to stderr)\n"
	"  -v, --verbose       show what libbpf, libxdp and the verifier say\n"
	"  -V, --version       print the version\n"
	"\n";

static const char *usage_tail =
	"\n"
	"PROTO: a name from /etc/protocols (icmp, tcp, udp, gre, sctp, esp, ipv6-icmp or\n"
	"icmpv6, ...) or a number 0-255; it matches the IPv4 protocol and the IPv6\n"
	"upper-layer protocol.\n"
	"TARGET: an interface (a bridge covers its ports too), or a container's ports:\n"
	"container:NAME (Docker name or id), netns:NAME (under /run/netns), pid:PID.\n"
	"Directions are seen from TARGET: in = what it receives, out = what it sends\n"
	"(for a container: what the container receives and sends).\n"
	"Blocking icmp keeps fragmentation-needed, blocking ipv6-icmp keeps packet-too-big\n"
	"and neighbour discovery working, unless --strict.\n"
	"Exit status: 0 ok, 1 runtime failure, 2 usage error.\n";

void fw_usage_print(FILE *f, const char *cmd)
{
	for (size_t i = 0; cmd && i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(commands[i].name, cmd)) {
			fprintf(f, "usage: fwctl %s %s\n  %s\n", cmd, commands[i].args,
				commands[i].what);
			return;
		}
	}
	fputs(usage_head, f);
	fputs("commands:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n           %s\n", commands[i].name, commands[i].args,
			commands[i].what);
	fputs(usage_tail, f);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return fw_usage("help: expected at most one COMMAND");
	if (argc == 2 && !find(argv[1]))
		return fw_usage("help: unknown command '%s'", argv[1]);
	fw_usage_print(stdout, argc == 2 ? argv[1] : NULL);
	return 0;
}

static int exit_code(int err)
{
	if (!err)
		return FW_EXIT_OK;
	if (err == -FW_ENOTENFORCED)
		return FW_EXIT_NOT_ENFORCED; /* status said why, in its output */
	if (fw_err()[0])
		fprintf(stderr, "fwctl: %s\n", fw_err());
	else
		fprintf(stderr, "fwctl: %s\n", strerror(-err));
	return err == -FW_EUSAGE ? FW_EXIT_USAGE : FW_EXIT_RUNTIME;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "netns", required_argument, NULL, 'n' },
						  { "json", no_argument, NULL, 'j' },
						  { "quiet", no_argument, NULL, 'q' },
						  { "verbose", no_argument, NULL, 'v' },
						  { "version", no_argument, NULL, 'V' },
						  { "help", no_argument, NULL, 'h' },
						  {} };
	const struct command *cmd;
	int c, err;

	opterr = 0;
	/* '+': stop at the command; its own options are its business. */
	while ((c = getopt_long(argc, argv, "+:n:jqvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			fw_opts.netns = optarg;
			break;
		case 'j':
			fw_opts.json = true;
			break;
		case 'q':
			fw_opts.quiet = true;
			break;
		case 'v':
			fw_opts.verbose = true;
			break;
		case 'V':
			printf("fwctl %s (ABI %d)\n", FWCTL_VERSION, FW_ABI_VERSION);
			return FW_EXIT_OK;
		case 'h':
			fw_usage_print(stdout, NULL);
			return FW_EXIT_OK;
		case ':':
			return exit_code(fw_usage("option '%s' needs a value", argv[optind - 1]));
		default:
			return exit_code(fw_usage("unknown option '%s'", argv[optind - 1]));
		}
	}
	if (fw_opts.quiet && fw_opts.verbose)
		return exit_code(fw_usage("-q and -v do not go together"));
	if (optind >= argc)
		return exit_code(fw_usage("no command given, see 'fwctl help'"));
	cmd = find(argv[optind]);
	if (!cmd)
		return exit_code(fw_usage("unknown command '%s', see 'fwctl help'", argv[optind]));

	fw_libs_quiet();
	if (cmd->run != cmd_help && cmd->run != cmd_doctor) {
		err = fw_check_privileges();
		if (err)
			return exit_code(err);
	}
	if (fw_opts.netns) {
		err = fw_netns_enter(fw_opts.netns);
		if (err)
			return exit_code(err);
	}
	err = cmd->run(argc - optind, argv + optind);
	return exit_code(err);
}
