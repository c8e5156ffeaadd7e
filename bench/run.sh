#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - fwctl's benchmarks: `make bench` (QUICK=1 for about 3 minutes).
# It runs the benchmarks and writes their raw results; bench/report.py makes
# the summaries, tables, chart and docs from them.
#
#   prog_cost  what fwctl's programs cost per frame, to a fraction of a ns:
#              wall clock / runs of BPF_PROG_TEST_RUN, the floor (a
#              do-nothing program) before every program, beside the lower
#              bound and xdp-filter's programs (build/bench/prog_cost, one
#              call with its own rounds); then fwctl's alone at N covered
#              interfaces (prog_cost -f -i N)
# then, interleaved round by round, so that a change in the machine's load
# spreads over all of them alike:
#   live       a UDP flood over a veth into every filter (bench/live.sh)
#   ctl        fwctl's control plane with N covered interfaces: block,
#              unblock, status, stats latency (bench/ctl.sh, bench/ctl_time.c)
#   exposure   a new port's window before `fwctl watch` enforces its rules
#              (bench/exposure.sh, a share of the ports each round)
#   drift      a hook taken away behind fwctl's back (clsact deleted, XDP
#              off) until `fwctl watch` has it back (bench/drift.sh, 20
#              ports, a share of the events each round)
# then, once, any other bench/*.sh (their own figures, kept in the results).
# Raw results go to bench/results/<date-time>/: live.tsv (+ live_cases.tsv),
# prog_cost.tsv, prog_scale.tsv, ctl.tsv, exposure.tsv, drift.tsv (one row
# per run, sample, call, port or event), timing.tsv (seconds per part and
# round), machine.txt, *.log; bench/report.py adds *_summary.tsv,
# summary.txt (the tables printed at the end) and bench.png.
# Benchmarks print figures and never judge them: the exit status is 0 unless
# something broke (a part crashed, a counter disagreed with what was sent).
# It makes network namespaces: run it alone (flock /run/lock/fwctl-tests.lock).
#
# Environment: QUICK=1; OUTPUT (build folder) and FWCTL as for make;
# BENCH_ROUNDS, BENCH_PACKETS, BENCH_CASES (space-separated live case names),
# BENCH_CTL_N (interface counts of the control plane and the program-cost
# curve), BENCH_EXPOSURE_PORTS (ports per round), BENCH_DRIFT_EVENTS (drift
# events per round), BENCH_PC_ROUNDS, BENCH_PC_REPEAT (prog_cost's rounds and
# runs per test-run), BENCH_PC_IFINDEX (the high ifindex prog_cost -x tries),
# CTL_FWCTL (the fwctl the control plane and exposure parts time, e.g. one
# built with `make OUTPUT=/tmp/b FW_MAX_IFACES=1024`) override the defaults;
# BENCH_DOCS=1 also copies the chart to docs/bench.png and the tables into
# docs/benchmarks.md.
# shellcheck disable=SC2317 # the parts run through timed()
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=bench/live.sh
. bench/live.sh
# shellcheck source=bench/ctl.sh
. bench/ctl.sh

[ "$(id -u)" -eq 0 ] || b_die "needs root (namespaces, BPF programs): sudo make bench"

quick=0
[ -n "${QUICK:-}" ] && [ "${QUICK:-}" != 0 ] && quick=1
if [ $quick = 1 ]; then
	# About 3 minutes: 3 rounds, runs of about 1 s (noisier than the full run).
	ROUNDS=${BENCH_ROUNDS:-3}
	N_RX=${BENCH_PACKETS:-600000}
	N_CTR=${BENCH_PACKETS:-500000}
	PC_ROUNDS=${BENCH_PC_ROUNDS:-7}
	PC_REPEAT=${BENCH_PC_REPEAT:-500000}
	PC_SCALE_ROUNDS=3
	B_BG_SECONDS=0.2
	BUDGET=150
	CTL_N=${BENCH_CTL_N:-1 10 100}
	EXP_PORTS=${BENCH_EXPOSURE_PORTS:-10}
	DRIFT_EVENTS=${BENCH_DRIFT_EVENTS:-7}
	CTL_QUICK=1
else
	# About 13 minutes on a quiet 2-core machine; every run lasts >= 2 s.
	ROUNDS=${BENCH_ROUNDS:-7}
	N_RX=${BENCH_PACKETS:-1400000}
	N_CTR=${BENCH_PACKETS:-1300000}
	PC_ROUNDS=${BENCH_PC_ROUNDS:-31}
	PC_REPEAT=${BENCH_PC_REPEAT:-2000000}
	PC_SCALE_ROUNDS=5
	BUDGET=780
	# 200: where issue 7 states the status/stats goal.
	CTL_N=${BENCH_CTL_N:-1 10 100 200 1000}
	EXP_PORTS=${BENCH_EXPOSURE_PORTS:-12}
	DRIFT_EVENTS=${BENCH_DRIFT_EVENTS:-10}
	CTL_QUICK=0
fi
# The program-cost curve: fewer rounds and runs, one call per N.
PC_SCALE_REPEAT=$((PC_REPEAT / 4))
read -r -a CTL_NS <<<"$CTL_N"
MIN_ROUNDS=$((ROUNDS < 5 ? ROUNDS : 5))
if [ -n "${BENCH_CASES:-}" ]; then
	read -r -a CASES <<<"$BENCH_CASES"
else
	mapfile -t CASES < <(live_names)
fi

b_need ip tc trafgen xdp-filter nft iptables-legacy iptables-nft jq clang gcc nsenter unshare timeout \
	python3
[ -x "$FWCTL" ] || b_die "$FWCTL not built (make, or make OUTPUT=... with OUTPUT/FWCTL set)"
[ -x "$CTL_FWCTL" ] || b_die "CTL_FWCTL=$CTL_FWCTL: not built"
[ -x "$CTL_TIME" ] || b_die "$CTL_TIME not built (bench/ctl_time.c: make)"
have_plot=1
command -v gnuplot >/dev/null || {
	have_plot=0
	b_log "bench: gnuplot missing (apt-get install gnuplot-nox): no chart this time"
}

# `run.sh --report DIR` redoes the summaries and the chart of an earlier run.
REPORT_ONLY=
if [ "${1:-}" = --report ]; then
	REPORT_ONLY=1
	RES=$(cd "${2:?--report wants a results folder}" && pwd) || exit 1
	[ -s "$RES/machine.txt" ] || b_die "$RES/machine.txt: no such results"
else
	RES=$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)
	mkdir -p "$RES" || b_die "cannot create $RES"
fi
b_tmp_init
status=0

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	live_xf_stop
	b_topo_down
	ctl_topo_down
	[ -f "$BENCH_TMP/ctl.log" ] && cp "$BENCH_TMP/ctl.log" "$RES/ctl.log"
	[ -f "$BENCH_TMP/live.log" ] && cp "$BENCH_TMP/live.log" "$RES/live.log"
	b_tmp_cleanup
}
trap cleanup EXIT
trap 'b_log "bench: interrupted"; exit 130' INT TERM HUP

# Namespaces left by a run that died (its PID is gone), never a live run's.
clean_leftovers() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | cut -d' ' -f1 | grep "^$B_PREFIX-[0-9]*-"); do
		pid=${ns#"$B_PREFIX"-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		timeout 10 "$FWCTL" -q -n "$ns" detach --all >/dev/null 2>&1
		ip netns del "$ns" 2>/dev/null
	done
}

machine() {
	echo "date        $(date -Is)"
	echo "host        $(uname -n)"
	echo "kernel      $(uname -r)"
	echo "cpu         $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "nproc       $(nproc)"
	echo "fwctl       $("$FWCTL" --version 2>/dev/null | head -1) ($FWCTL)"
	echo "trafgen     $(trafgen -v 2>/dev/null | head -1)"
	echo "xdp-filter  $(dpkg-query -W -f '${Version}' xdp-tools 2>/dev/null)"
	echo "nft         $(nft -v 2>/dev/null)"
	echo "iptables    $(iptables-legacy -V 2>/dev/null), $(iptables-nft -V 2>/dev/null)"
	echo "load        $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the start)"
	echo "ctl         N = ${CTL_NS[*]}; $CTL_FWCTL, FW_MAX_IFACES $(ctl_build_limit "$CTL_FWCTL")"
	echo "exposure    $EXP_PORTS ports per round"
	echo "drift       $DRIFT_EVENTS events per round on $DRIFT_PORTS ports"
	echo "prog_cost   $PC_ROUNDS rounds x $PC_REPEAT runs, -x $PC_HI_IFINDEX"
	echo "prog_scale  $PC_SCALE_REPEAT runs per call, $PC_SCALE_ROUNDS rounds (prog_cost -f -i N)"
	echo "netns       $(find /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) in /run/netns" \
		"(other users' too), $(pgrep -c -x fwctl) fwctl processes running, at the start"
	echo "rounds      $ROUNDS (quick=$quick), packets rx=$N_RX ctr=$N_CTR"
	echo "bpf_stats   kernel.bpf_stats_enabled=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)" \
		"(1 adds two clock reads to every program run)"
}

# --- prog_cost ---------------------------------------------------------------
# One call, its own rounds: prog_cost interleaves the floor with every
# program itself (F A F B ...), so it needs no interleaving with the other
# parts. Its raw samples go to prog_cost.tsv, its table and messages to
# prog_cost.log. -x: fwctl's XDP program on an interface with a high index.
# -X: fwctl's programs built without the drop-sample test (fw-nosample) and
# with the flag on, as under a listener during a flood (fw+listener): what
# monitor --packets costs when off and when on (bench/fw_*_{nosample,listen}).
PC_TSV=$RES/prog_cost.tsv
PC_HI_IFINDEX=${BENCH_PC_IFINDEX:-300000}
prog_cost_part() {
	local st o
	local -a variants=()
	if [ ! -x "$PROG_COST" ]; then
		b_log "bench: prog_cost: $PROG_COST not built (bench/prog_cost.c): part skipped"
		return 0
	fi
	for o in xdp tc; do
		[ -f "$B_OUT/bench/fw_${o}_nosample.bpf.o" ] &&
			variants+=(-X "fw-nosample=$B_OUT/bench/fw_${o}_nosample.bpf.o")
		[ -f "$B_OUT/bench/fw_${o}_listen.bpf.o" ] &&
			variants+=(-X "fw+listener=$B_OUT/bench/fw_${o}_listen.bpf.o")
	done
	timeout -k 2 1200 "$PROG_COST" -F "$FWCTL" -r "$PC_ROUNDS" -n "$PC_REPEAT" \
		-x "$PC_HI_IFINDEX" "${variants[@]}" -o "$PC_TSV" >"$RES/prog_cost.log" 2>&1
	st=$?
	if [ "$st" -ne 0 ]; then
		b_log "bench: prog_cost failed (exit $st): $(tail -1 "$RES/prog_cost.log")"
		return 1
	fi
}

# Program cost at N covered interfaces: fwctl's programs and the floor
# (`prog_cost -f -i N`), one call per N.
PCS_TSV=$RES/prog_scale.tsv
pc_scale_part() {
	local n st err=0
	[ -x "$PROG_COST" ] || return 0
	printf 'n\tround\tframe\thook\tprogram\tverdict\tns\tfloor_ns\ttest_run_ns\tstatus\n' \
		>"$PCS_TSV"
	for n in "${CTL_NS[@]}"; do
		printf ' %s' "$n" >&2
		timeout -k 2 300 "$PROG_COST" -F "$FWCTL" -f -r "$PC_SCALE_ROUNDS" \
			-n "$PC_SCALE_REPEAT" -i "$n" -o "$BENCH_TMP/pcs.tsv" >"$BENCH_TMP/pcs.log" 2>&1
		st=$?
		{
			echo "== -i $n (exit $st)"
			cat "$BENCH_TMP/pcs.log"
		} >>"$RES/prog_scale.log"
		if [ "$st" -ne 0 ] || [ ! -s "$BENCH_TMP/pcs.tsv" ]; then
			if grep -qi 'refused\|full\|too many\|limit' "$BENCH_TMP/pcs.log"; then
				printf '%s\t-\t-\t-\t-\t-\t-\t-\t-\tlimit\n' "$n" >>"$PCS_TSV"
			else
				printf '%s\t-\t-\t-\t-\t-\t-\t-\t-\terror:exit-%s\n' "$n" "$st" >>"$PCS_TSV"
				err=1
			fi
			continue
		fi
		sed "1d; s/^/$n\t/; s/\$/\tok/" "$BENCH_TMP/pcs.tsv" >>"$PCS_TSV"
		rm -f "$BENCH_TMP/pcs.tsv"
	done
	return "$err"
}

# --- exposure ----------------------------------------------------------------
# bench/exposure.sh -v with a share of the ports each round; its per-port
# lines ("  vethc3  created->joined 0.1 ms  created->enforced 1.7 ms
# ingress xdp") become exposure.tsv rows, pooled over the rounds.
EXP_TSV=$RES/exposure.tsv
exposure_round() {
	local r=$1 st
	FWCTL=$CTL_FWCTL timeout -k 5 120 bash bench/exposure.sh -n "$EXP_PORTS" -v \
		>"$BENCH_TMP/exp.out" 2>&1
	st=$?
	{
		echo "== round $r (exit $st)"
		cat "$BENCH_TMP/exp.out"
	} >>"$RES/exposure.log"
	awk -v OFS='\t' -v r="$r" '$1 ~ /^vethc[0-9]+$/ && $2 == "created->joined" {
			j = $3 == "-" ? "-" : $3; e = $6 == "-" ? "-" : $6
			print r, $1, j, e, $NF, e == "-" ? "missed" : "ok" }' \
		"$BENCH_TMP/exp.out" >>"$EXP_TSV"
	if [ "$st" -ne 0 ]; then
		b_log "bench: exposure round $r failed (exit $st): $(tail -1 "$BENCH_TMP/exp.out")"
		return 1
	fi
}

# --- drift -------------------------------------------------------------------
# bench/drift.sh -v with a share of the events each round; its per-event
# lines ("  vethc7    clsact-del restored     12.3 ms") become drift.tsv rows.
DRIFT_PORTS=20
DRIFT_TSV=$RES/drift.tsv
drift_round() {
	local r=$1 st
	FWCTL=$CTL_FWCTL timeout -k 5 120 bash bench/drift.sh -n "$DRIFT_PORTS" \
		-k "$DRIFT_EVENTS" -v >"$BENCH_TMP/drift.out" 2>&1
	st=$?
	{
		echo "== round $r (exit $st)"
		cat "$BENCH_TMP/drift.out"
	} >>"$RES/drift.log"
	awk -v OFS='\t' -v r="$r" '$1 ~ /^vethc[0-9]+$/ && $3 == "restored" {
			print r, $1, $2, $4, $4 == "-" ? "missed" : "ok" }' \
		"$BENCH_TMP/drift.out" >>"$DRIFT_TSV"
	if [ "$st" -ne 0 ]; then
		b_log "bench: drift round $r failed (exit $st): $(tail -1 "$BENCH_TMP/drift.out")"
		return 1
	fi
}

# --- the report --------------------------------------------------------------
# The summaries, tables, chart and docs come from the raw files in $RES:
# bench/report.py (also `run.sh --report DIR`, for an earlier run).
finish() {
	local args=()
	[ $have_plot = 1 ] && args+=(--plot)
	[ "${BENCH_DOCS:-0}" = 1 ] && args+=(--docs)
	python3 bench/report.py "${args[@]}" "$RES" || {
		b_log "bench: bench/report.py failed"
		return 1
	}
}

# --- main --------------------------------------------------------------------
if [ -n "$REPORT_ONLY" ]; then
	finish
	exit 0
fi
clean_leftovers
b_build_trivial
b_build_flood
live_trafgen_cfg
machine >"$RES/machine.txt"
echo "bench: results in $RES" >&2
echo "$LIVE_HEADER" >"$RES/live.tsv"
echo "$CTL_HEADER" >"$RES/ctl.tsv"
printf 'round\tport\tjoined_ms\tenforced_ms\tingress\tstatus\n' >"$EXP_TSV"
printf 'round\tport\tkind\trestored_ms\tstatus\n' >"$DRIFT_TSV"
printf 'round\tpart\tseconds\n' >"$RES/timing.tsv"
# The live cases' metadata, for the report: name, part, compared with, goal.
{
	printf 'case\tpart\tvs\tgoal\n'
	for c in "${CASES[@]}"; do
		printf '%s\t%s\t%s\t%s\n' "$c" "$(live_field "$c" 2)" "$(live_field "$c" 3)" \
			"$(live_field "$c" 4)"
	done
} >"$RES/live_cases.tsv"

# timed PART CMD...: runs CMD, adds its seconds to timing.tsv (round $r).
timed() {
	local part=$1 t0 rc
	shift
	t0=$(date +%s%N)
	"$@"
	rc=$?
	printf '%s\t%s\t%s\n' "$r" "$part" \
		"$(awk -v d="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.1f", d / 1e9 }')" \
		>>"$RES/timing.tsv"
	return $rc
}

# One live case, its row into live.tsv.
live_one() {
	local c=$1 n=$N_RX row st
	[ "$(live_field "$c" 2)" = ctr ] && n=$N_CTR
	row=$(live_case "$c" "$r" "$n") || status=1
	echo "$row" >>"$RES/live.tsv"
	st=${row##*$'\t'}
	[ "$st" = ok ] && return
	printf ' (%s)' "$st" >&2
	# With no filter the count is UDP's NoPorts: a datagram the loaded
	# stack dropped before UDP (backlog) is the kernel's, not a filter's
	# miscount. The table shows it; it does not fail the run.
	case $c:$st in
	none:mismatch | ctr-none:mismatch) ;;
	*) status=1 ;;
	esac
}

start=$(date +%s)
r=0
printf 'bench: prog_cost (%d rounds x %d runs)' "$PC_ROUNDS" "$PC_REPEAT" >&2
timed prog_cost prog_cost_part || status=1
printf ', at N interfaces:' >&2
timed prog_scale pc_scale_part || status=1
echo >&2
round_s=0
for r in $(seq "$ROUNDS"); do
	# Bounded: past the budget, stop after MIN_ROUNDS rounds.
	now=$(date +%s)
	if [ "$r" -gt "$MIN_ROUNDS" ] && [ $((now - start + round_s)) -gt "$BUDGET" ]; then
		b_log "bench: time budget reached, stopping after $((r - 1)) rounds"
		break
	fi
	printf 'bench: round %d/%d:' "$r" "$ROUNDS" >&2
	for c in "${CASES[@]}"; do
		printf ' %s' "$c" >&2
		timed "live:$c" live_one "$c"
	done
	printf ' ctl:' >&2
	for n in "${CTL_NS[@]}"; do
		printf ' %s' "$n" >&2
		timed "ctl:$n" ctl_case "$r" "$n" >>"$RES/ctl.tsv" || {
			printf ' (failed)' >&2
			status=1
		}
	done
	printf ' exposure' >&2
	timed exposure exposure_round "$r" || status=1
	printf ' drift' >&2
	timed drift drift_round "$r" || status=1
	echo >&2
	round_s=$(($(date +%s) - now))
done
# The machine is shared: how busy it was by the end goes with the figures.
echo "load-end    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, after the rounds)" >>"$RES/machine.txt"

if [ $quick = 0 ]; then
	for part in bench/*.sh; do
		case ${part##*/} in run.sh | lib.sh | live.sh | ctl.sh | exposure.sh | drift.sh) continue ;; esac
		b_log "bench: ${part##*/} (once, its own figures: $RES/${part##*/}.txt)"
		FWCTL=$FWCTL timeout -k 5 240 bash "$part" >"$RES/${part##*/}.txt" 2>&1 || {
			b_log "bench: ${part##*/} failed, see $RES/${part##*/}.txt"
			status=1
		}
	done
fi

finish
echo "bench: took $(($(date +%s) - start)) s; results in $RES"
exit $status
