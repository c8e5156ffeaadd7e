#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - build tests/fuzz/fuzz_parse.c with libFuzzer, ASan and UBSan and
# fuzz the shared parser (xdp/fw_parse.h) for FUZZ_SECONDS (default 600).
# `make fuzz` runs it; tests/fuzz_smoke.sh runs it for a few seconds in CI.
#
# Environment:
#   OUTPUT        build folder (default build); the fuzzer, its growing corpus
#                 and any crash inputs go to $OUTPUT/fuzz/
#   FUZZ_SECONDS  how long to fuzz (default 600)
#   FUZZ_JOBS     parallel fuzzing processes (default 1)
#   FUZZ_SEED     libFuzzer -seed (default: random)
#   FUZZ_INCLUDE  folder searched for fw_parse.h before xdp/ (to try a fix)
#
# The seeds are tests/fuzz/corpus/*.hex: one frame per file, hex digits with
# '#' comment lines. The last lines are always
#   fuzz: N execs in S s, C crashes
# and, per crash, the input as hex. Exit status 0 only with no crash; 2 when
# the fuzzer cannot be built (clang or libclang-rt-14-dev missing).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 2
OUTPUT=${OUTPUT:-build}
[[ $OUTPUT == /* ]] || OUTPUT=$ROOT/$OUTPUT
SECONDS_WANTED=${FUZZ_SECONDS:-600}
[ -n "$SECONDS_WANTED" ] || SECONDS_WANTED=600
JOBS=${FUZZ_JOBS:-1}
CLANG=${CLANG:-clang}
DIR=$OUTPUT/fuzz
BIN=$DIR/fuzz_parse
SEEDS=$DIR/seeds
CORPUS=$DIR/corpus
CRASHES=$DIR/crashes
LOG=$DIR/fuzz.log

die() {
	echo "fuzz: $*" >&2
	exit 2
}

[[ $SECONDS_WANTED =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a number of seconds"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die "FUZZ_JOBS must be a positive number"
command -v "$CLANG" >/dev/null || die "needs clang (apt-get install clang)"
mkdir -p "$DIR" "$CORPUS" "$CRASHES" || die "cannot create $DIR"

# -O1 -g keeps stack traces readable; no recovery, so UB is a crash too.
INC=(-Ixdp)
[ -n "${FUZZ_INCLUDE:-}" ] && INC=(-I"$FUZZ_INCLUDE" -Ixdp)
if ! "$CLANG" -g -O1 -Wall -Wextra -Werror \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	"${INC[@]}" tests/fuzz/fuzz_parse.c -o "$BIN.tmp" 2>"$DIR/build.log"; then
	cat "$DIR/build.log" >&2
	die "cannot build the fuzzer (libFuzzer is in Debian's libclang-rt-14-dev)"
fi
mv -f "$BIN.tmp" "$BIN"

# Seeds from the hex files, refreshed each run.
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
for f in tests/fuzz/corpus/*.hex; do
	[ -f "$f" ] || continue
	hex=$(grep -v '^#' "$f" | tr -d ' \t\r\n')
	[[ $hex =~ ^([0-9a-fA-F]{2})*$ ]] || die "$f: not hex"
	printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" >"$SEEDS/$(basename "${f%.hex}")"
done

start=$(date +%s)
args=(-max_total_time="$SECONDS_WANTED" -max_len=2048 -timeout=10 -rss_limit_mb=1024
	-print_final_stats=1 -artifact_prefix="$CRASHES/")
[ -n "${FUZZ_SEED:-}" ] && args+=(-seed="$FUZZ_SEED")
if [ "$JOBS" -gt 1 ]; then
	# Fork mode: the workers' stats arrive as "#N DONE ... execs".
	args+=(-fork="$JOBS" -ignore_crashes=0)
fi
# Bounded by libFuzzer's own clock, and by timeout should it hang anyway.
timeout -k 10 $((SECONDS_WANTED + 120)) "$BIN" "${args[@]}" "$CORPUS" "$SEEDS" >"$LOG" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOG" | awk '{ s += $2 } END { print s + 0 }')
if [ "$execs" -eq 0 ]; then
	# Fork mode, or a crash before the final stats: the last status line.
	execs=$(grep -oE '^#[0-9]+' "$LOG" | tail -1 | tr -d '#')
	execs=${execs:-0}
fi
# This run's crash inputs, as libFuzzer names them (a repeat of an earlier
# crash overwrites the same file, so the folder's contents do not tell).
new=$(grep -o 'Test unit written to .*' "$LOG" | sed 's/^Test unit written to //' | sort -u)
crashes=0
[ -n "$new" ] && crashes=$(grep -c . <<<"$new")

echo "fuzz: $execs execs in $elapsed s, $crashes crashes (corpus $(find "$CORPUS" -type f | wc -l) inputs, log $LOG)"
if [ "$crashes" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; }; then
	grep -E 'fuzz_parse: invariant|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$LOG" |
		head -5 | sed 's/^/fuzz: /'
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		echo "fuzz: crash input $c:"
		od -An -v -tx1 "$c" | tr -d ' \n' | fold -w 64 | sed 's/^/  /'
		echo
	done <<<"$new"
	[ "$crashes" -gt 0 ] || echo "fuzz: the fuzzer exited with status $rc (see $LOG)"
	exit 1
fi
exit 0
