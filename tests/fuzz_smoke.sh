#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_smoke.sh - CI's short fuzz run of the shared parser: tests/fuzz/run.sh
# for FUZZ_SMOKE_SECONDS (default 20) into $OUTPUT/fuzz (default build/fuzz).
# Any crash (a read out of bounds, undefined behaviour, or a broken invariant
# of tests/fuzz/fuzz_parse.c) fails it, with the crashing frame in hex.
# `make fuzz` is the long run (10 minutes).
#
# Output: `ok fuzz_smoke/parse`, `FAIL fuzz_smoke/parse: WHY` + indented
# details, or `skip fuzz_smoke: WHY` when clang's libFuzzer is missing.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
SECS=${FUZZ_SMOKE_SECONDS:-20}
out=$(FUZZ_SECONDS=$SECS bash tests/fuzz/run.sh 2>&1)
rc=$?
case $rc in
0)
	echo "ok fuzz_smoke/parse"
	# For the log: how much ran.
	grep '^fuzz: [0-9]* execs' <<<"$out" >&2
	;;
2)
	echo "skip fuzz_smoke: cannot build the fuzzer (needs clang and libclang-rt-14-dev)"
	tail -5 <<<"$out" | sed 's/^/  /' >&2
	;;
*)
	echo "FAIL fuzz_smoke/parse: $(grep -m1 -oE '[0-9]+ execs in [0-9]+ s, [0-9]+ crashes' <<<"$out" || echo "the fuzzer failed")"
	tail -n 25 <<<"$out" | sed 's/^/  /'
	exit 1
	;;
esac
exit 0
