#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_smoke.sh - the program-cost harness runs and its figures mean what
# the report says: `prog_cost` (a few short rounds) writes one raw row per
# sample for fwctl's XDP and TC programs, the floor, the lower bound (and
# lower-bound+, the same with the checks and byte counts a correct program
# needs) and xdp-filter where installed; every fwctl verdict is the frame's; every
# sample is a wall-clock figure with a floor beside it, the floor cheaper
# than fwctl's program; bench/report.py turns a results folder holding only
# that file into the program-cost table; and prog_cost leaves no namespace
# behind. Needs root (namespaces, BPF); not a measurement.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
PC=${PROG_COST:-$T_ROOT/build/bench/prog_cost}
[ -x "$PC" ] || t_skip_file "$PC not built (make)"
require_cmd python3

res=$T_TMP/res
mkdir -p "$res"
out=$("$PC" -F "$FWCTL" -r 5 -n 20000 -o "$res/prog_cost.tsv" 2>&1)
st=$?
expect_eq prog_cost_exits_0 0 "$st" "$out"
tsv=$res/prog_cost.tsv

# 5 rounds: every program five times (a median of five shrugs off the
# odd sample a busy machine stretches).
rows() { awk -F'\t' -v h="$1" -v p="$2" 'NR > 1 && $3 == h && $4 == p' "$tsv" | wc -l; }
expect_eq fwctl_xdp_every_frame_5x 30 "$(rows xdp fwctl)"
expect_eq fwctl_tc_in_every_frame_5x 30 "$(rows tc fwctl-in)"
expect_eq fwctl_tc_out_every_frame_5x 30 "$(rows tc fwctl-out)"
expect_eq lower_bound_ipv4_frames_5x 10 "$(rows xdp lower-bound)"
expect_eq lower_bound_plus_ipv4_frames_5x 10 "$(rows xdp lower-bound+)"
expect_eq lower_bound_plus_tc_ipv4_frames_5x 10 "$(rows tc lower-bound+)"
if compgen -G '/usr/lib/*/bpf/xdpfilt_alw_udp.o' >/dev/null ||
	[ -e /usr/lib/bpf/xdpfilt_alw_udp.o ]; then
	expect_eq xdp_filter_every_frame_5x 30 "$(rows xdp 'xdp-filter(udp)')"
else
	t_skip xdp_filter_every_frame_5x "xdp-tools not installed"
fi

# fwctl blocks ICMP: the ICMP frame drops, every other frame passes.
bad=$(awk -F'\t' 'NR > 1 && $4 ~ /^fwctl/ &&
	(($2 == "icmp-64") != ($5 == "drop") || $5 !~ /^(pass|drop)$/)' "$tsv")
expect_eq fwctl_verdicts_are_the_frames "" "$bad"
# lower-bound+ checks the frame is IPv4 before it reads the protocol: it
# passes UDP and drops ICMP like fwctl (a wrong check would drop both).
bad=$(awk -F'\t' 'NR > 1 && $4 == "lower-bound+" && ($2 == "icmp-64") != ($5 == "drop")' "$tsv")
expect_eq lower_bound_plus_verdicts_are_the_frames "" "$bad"

# Wall-clock figures have decimals; a floor sits beside every sample and
# costs less than fwctl's program on the same frame (medians).
bad=$(awk -F'\t' 'NR > 1 && ($6 !~ /^[0-9]+\.[0-9]+$/ || $7 !~ /^[0-9]+\.[0-9]+$/ || $7 <= 0)' "$tsv")
expect_eq samples_have_wall_ns_and_floor "" "$bad"
python3 "$T_ROOT/bench/report.py" "$res" >"$T_TMP/report.txt" 2>&1
expect_eq report_runs 0 $?
bad=$(awk -F'\t' 'NR > 1 && $3 ~ /^fwctl/ && $9 + 0 >= $7 + 0' "$res/prog_cost_summary.tsv")
expect_eq floor_below_fwctl "" "$bad"
if grep -q '^udp-64 *xdp *fwctl ' "$T_TMP/report.txt" &&
	grep -q 'per IPv6 extension header' "$T_TMP/report.txt" &&
	grep -q 'lower bound+ ' "$T_TMP/report.txt"; then
	t_ok report_has_program_cost_table
else
	t_fail report_has_program_cost_table "no program-cost table" "$(cat "$T_TMP/report.txt")"
fi

expect_eq no_namespace_left "" "$(ip netns list | grep -E '^fwbench-[0-9]+-pc')"
t_done
