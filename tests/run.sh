#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - fwctl's test runner (`make test`, or `bash tests/run.sh [NAME...]`).
#
# Runs every build/tests/* program (BPF_PROG_TEST_RUN unit tests) and every
# tests/cli_*.sh, docs_*.sh, deploy_*.sh, e2e_*.sh, scale_*.sh, bench_*.sh
# and fuzz_smoke.sh, each under a time limit, in that order.
# NAME picks files by name without directory or .sh (test_prog, e2e_block).
# Each file prints `ok NAME`, `FAIL NAME: WHY` (+ indented details) or
# `skip NAME: WHY`; a file that crashes, times out or exits non-zero without
# saying FAIL counts as one failure under its own name. The last line is
# always `N passed, N failed, N skipped`; the exit status is 0 only when
# nothing failed.
#
# Environment: FWCTL (default build/fwctl), TEST_TIMEOUT (seconds per file,
# default 240), VERBOSE=1 (show every file's whole output).
# A file that needs longer on a loaded 2-core machine says so in a line
# `# test-timeout: SECONDS` of its own, which TEST_TIMEOUT cannot lower.
# Each file's wall time goes to build/test-times.tsv (name, seconds, status).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
export FWCTL=${FWCTL:-build/fwctl}
[[ $FWCTL == /* ]] || FWCTL=$ROOT/$FWCTL
TIMEOUT=${TEST_TIMEOUT:-240}
TIMES=$ROOT/build/test-times.tsv
# Namespaces of test topologies start with this (tests/lib.sh: T_PREFIX_ROOT).
PREFIX_ROOT=fwtest
# One suite at a time on a machine: a second run's cleanup would delete the
# first run's namespaces under it. tests/lib.sh takes the same lock when a
# test file runs on its own.
LOCK=/run/lock/fwctl-tests.lock
export FWCTL_TESTS_LOCKED=1

passed=0
failed=0
skipped=0

die() {
	echo "run.sh: $*" >&2
	exit 1
}

# Leftovers of an interrupted run: fwctl state first (its pins outlive the
# namespace), then the processes inside, then the namespaces.
clean_leftovers() {
	local ns pid p
	for p in /run/fwctl-topo/"$PREFIX_ROOT"*; do
		[ -d "$p" ] && bash netns/topo.sh down -p "${p##*/}" >/dev/null 2>&1
	done
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1 | grep "^$PREFIX_ROOT"); do
		[ -x "$FWCTL" ] &&
			timeout 10 "$FWCTL" -q -n "$ns" detach --all >/dev/null 2>&1
		pid=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086 # one pid per word
		[ -n "$pid" ] && kill -9 $pid 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# The files to run, in order: unit programs, CLI tests, end-to-end tests.
list_tests() {
	local f
	for f in build/tests/*; do
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
	for f in tests/cli_*.sh tests/docs_*.sh tests/deploy_*.sh tests/e2e_*.sh \
		tests/scale_*.sh tests/bench_*.sh tests/fuzz_smoke.sh; do
		[ -f "$f" ] && echo "$f"
	done
}

test_name() {
	local n=${1##*/}
	echo "${n%.sh}"
}

# Picks the files named on the command line; an unknown name is an error, so
# a typo does not pass as "0 failed".
select_tests() {
	local all want f found
	all=$(list_tests)
	[ $# -eq 0 ] && { echo "$all"; return; }
	for want in "$@"; do
		found=
		for f in $all; do
			[ "$(test_name "$f")" == "$want" ] && { echo "$f"; found=1; }
		done
		[ -n "$found" ] || die "no test named '$want' (have: $(for f in $all; do
			test_name "$f"; done | paste -sd' '))"
	done
}

# Prints a file's protocol lines (and the detail lines under each FAIL) and
# counts them. Sets FILE_FAILS.
report() {
	local out=$1 line in_fail=0
	FILE_FAILS=0
	while IFS= read -r line; do
		case $line in
		"ok "*) passed=$((passed + 1)); in_fail=0; echo "$line" ;;
		"skip "*) skipped=$((skipped + 1)); in_fail=0; echo "$line" ;;
		"FAIL "*)
			failed=$((failed + 1)); FILE_FAILS=$((FILE_FAILS + 1))
			in_fail=1; echo "$line"
			;;
		"  "*) [ $in_fail -eq 1 ] || [ -n "${VERBOSE:-}" ] && echo "$line" ;;
		*) in_fail=0; [ -n "${VERBOSE:-}" ] && echo "  | $line" ;;
		esac
	done <"$out"
	return 0
}

# A file that did not finish cleanly is one failure, with the tail of what it
# printed as the reason.
report_crash() {
	local name=$1 rc=$2 out=$3 err=$4 limit=$5 why
	case $rc in
	124 | 137) why="timed out after ${limit}s" ;;
	0) why="printed no result" ;;
	*) why="exited with status $rc" ;;
	esac
	[ "$rc" -gt 128 ] && [ "$rc" -ne 137 ] && why="killed by signal $((rc - 128))"
	failed=$((failed + 1))
	echo "FAIL $name: $why"
	{ tail -n 15 "$out"; tail -n 15 "$err"; } | sed 's/^/  /'
}

# file_timeout FILE: TEST_TIMEOUT, or the file's own larger limit.
file_timeout() {
	local own
	own=$(sed -n 's/^# test-timeout: *\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n 1)
	if [ -n "$own" ] && [ "$own" -gt "$TIMEOUT" ]; then
		echo "$own"
	else
		echo "$TIMEOUT"
	fi
}

run_file() {
	local f=$1 name rc out err limit start
	name=$(test_name "$f")
	out=$(mktemp) err=$(mktemp)
	limit=$(file_timeout "$f")
	start=$SECONDS
	local cmd=("$f")
	[[ $f == *.sh ]] && cmd=(bash "$f")
	# The braces' 2>/dev/null takes bash's own "Segmentation fault" notice;
	# the file's stderr is kept in $err.
	{ timeout -k 10 "$limit" "${cmd[@]}" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	rc=$?
	printf '%s\t%s\t%s\n' "$name" $((SECONDS - start)) "$rc" >>"$TIMES"
	report "$out"
	local results
	results=$(grep -cE '^(ok|FAIL|skip) ' "$out")
	if [ "$FILE_FAILS" -eq 0 ] && { [ "$rc" -ne 0 ] || [ "$results" -eq 0 ]; }; then
		report_crash "$name" "$rc" "$out" "$err" "$limit"
	elif [ "$FILE_FAILS" -gt 0 ] && [ -s "$err" ]; then
		echo "  $name stderr:"
		tail -n 15 "$err" | sed 's/^/    /'
	fi
	# A killed file could not clean up after itself.
	[ "$rc" -ne 0 ] && clean_leftovers
	rm -f "$out" "$err"
}

main() {
	[ "$(id -u)" -eq 0 ] ||
		die "the tests need root (network namespaces, BPF programs): run 'sudo make test'"
	local files f
	files=$(select_tests "$@") || exit 1
	mkdir -p "${LOCK%/*}"
	exec 9>"$LOCK"
	if ! flock -n 9; then
		echo "run.sh: another test run holds $LOCK; waiting (up to 15 min)" >&2
		flock -w 900 9 || die "gave up waiting for $LOCK"
	fi
	clean_leftovers
	mkdir -p "${TIMES%/*}" && : >"$TIMES"
	for f in $files; do
		run_file "$f"
	done
	clean_leftovers
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

main "$@"
