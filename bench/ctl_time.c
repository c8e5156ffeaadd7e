// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_time - the wall time of whole commands, process start included, taken
 * without a shell in the way: CLOCK_MONOTONIC just before posix_spawn() and
 * just after wait4() returns, plus the child's own CPU time from wait4's
 * rusage. bench/ctl.sh times fwctl's control plane with it.
 *
 * usage: ctl_time [-n CALLS] LABEL CMD [ARG...] [:: LABEL CMD [ARG...]]...
 *
 * The commands run in turn (A B A B ...), CALLS times each, stdout to
 * /dev/null, stderr inherited. One TSV row per call on stdout:
 *   label  call  wall_us  cpu_us  exit
 * exit is the command's status, 128+N when signal N ended it, 127 when it
 * could not start. ctl_time exits 0 when every call exited 0, else 1; 2 on a
 * usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define MAX_CMDS  16
#define MAX_CALLS 100000
#define SEP	  "::"

extern char **environ;

struct cmd {
	const char *label;
	char **argv;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: ctl_time [-n CALLS] LABEL CMD [ARG...] [" SEP " LABEL CMD [ARG...]]...\n"
		   "  -n CALLS  calls of each command, in turn (default 1)\n"
		   "  one row per call on stdout: label call wall_us cpu_us exit\n");
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double tv_us(const struct timeval *tv)
{
	return tv->tv_sec * 1e6 + tv->tv_usec;
}

/* One call of c: its wall and CPU microseconds, and its exit status. */
static int run(const struct cmd *c, const posix_spawn_file_actions_t *fa, double *wall, double *cpu)
{
	struct rusage ru;
	double t0, t1;
	int status, err;
	pid_t pid;

	t0 = now_us();
	err = posix_spawnp(&pid, c->argv[0], fa, NULL, c->argv, environ);
	if (err) {
		fprintf(stderr, "ctl_time: cannot run '%s': %s\n", c->argv[0], strerror(err));
		*wall = *cpu = 0;
		return 127;
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "ctl_time: wait4: %s\n", strerror(errno));
			return 127;
		}
	t1 = now_us();
	*wall = t1 - t0;
	*cpu = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS];
	posix_spawn_file_actions_t fa;
	int calls = 1, ncmds = 0, c, i, ret = 0;
	char *end;

	while ((c = getopt(argc, argv, "+n:h")) != -1) {
		switch (c) {
		case 'n':
			calls = strtol(optarg, &end, 10);
			if (*end || calls < 1 || calls > MAX_CALLS) {
				fprintf(stderr, "ctl_time: -n wants 1-%d\n", MAX_CALLS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* Split LABEL CMD... groups at "::", in place: argv is ours. */
	for (i = optind; i < argc;) {
		int j = i + 1;

		while (j < argc && strcmp(argv[j], SEP))
			j++;
		if (j - i < 2 || ncmds == MAX_CMDS) {
			usage(stderr);
			return 2;
		}
		cmds[ncmds].label = argv[i];
		cmds[ncmds].argv = &argv[i + 1];
		ncmds++;
		if (j < argc)
			argv[j++] = NULL;
		i = j;
	}
	if (!ncmds) {
		usage(stderr);
		return 2;
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	for (int n = 1; n <= calls; n++) {
		for (i = 0; i < ncmds; i++) {
			double wall, cpu;
			int st = run(&cmds[i], &fa, &wall, &cpu);

			printf("%s\t%d\t%.0f\t%.0f\t%d\n", cmds[i].label, n, wall, cpu, st);
			if (st)
				ret = 1;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	return ret;
}
