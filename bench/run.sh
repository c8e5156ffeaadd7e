#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - fwctl's benchmarks: `make bench` (QUICK=1 for about 2 minutes).
#
# Every part runs interleaved, round by round (prog_cost, every live case,
# the control plane at every N, the exposure window, drift repair, then the
# next round),
# so a change in the machine's load spreads over all of them alike:
#   prog_cost  BPF_PROG_TEST_RUN cost of fwctl's programs beside trivial ones
#              and xdp-filter's (build/bench/prog_cost, one round per call),
#              with fwctl's XDP program cut short after each step (-a);
#              and, when prog_cost offers -i, the same at N covered interfaces
#   live       a UDP flood over a veth into every filter (bench/live.sh)
#   ctl        fwctl's control plane with N covered interfaces: block,
#              unblock, status, stats latency (bench/ctl.sh, bench/ctl_time.c)
#   exposure   a new port's window before `fwctl watch` enforces its rules
#              (bench/exposure.sh, a share of the ports each round)
#   drift      a hook taken away behind fwctl's back (clsact deleted, XDP
#              off) until `fwctl watch` has it back (bench/drift.sh, 20
#              ports, a share of the events each round)
# then, once, any other bench/*.sh (their own figures, kept in the results).
# Results go to bench/results/<date-time>/: live.tsv, prog_cost.tsv,
# prog_stages.tsv, prog_scale.tsv, ctl.tsv, exposure.tsv, drift.tsv (raw, one row per
# run, call, port or event), *_summary.tsv (min, median, max, ratios), summary.txt (the tables
# printed at the end), bench.png, timing.tsv (seconds per part and round).
# Benchmarks print figures and never judge them: the exit status is 0 unless
# something broke (a part crashed, a counter disagreed with what was sent).
#
# Environment: QUICK=1; OUTPUT (build folder) and FWCTL as for make;
# BENCH_ROUNDS, BENCH_PACKETS, BENCH_CASES (space-separated live case names),
# BENCH_CTL_N (interface counts of the control plane and the program-cost
# curve), BENCH_EXPOSURE_PORTS (ports per round), BENCH_DRIFT_EVENTS (drift
# events per round), CTL_FWCTL (the fwctl the
# control plane and exposure parts time, e.g. one built with
# `make OUTPUT=/tmp/b FW_MAX_IFACES=1024`) override the defaults;
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
	# About 2 minutes: 3 rounds, runs of about 1 s (noisier than the full run).
	ROUNDS=${BENCH_ROUNDS:-3}
	N_RX=${BENCH_PACKETS:-600000}
	N_CTR=${BENCH_PACKETS:-500000}
	PC_REPEAT=200000
	B_BG_SECONDS=0.2
	BUDGET=150
	CTL_N=${BENCH_CTL_N:-1 10 100}
	EXP_PORTS=${BENCH_EXPOSURE_PORTS:-10}
	DRIFT_EVENTS=${BENCH_DRIFT_EVENTS:-7}
	CTL_QUICK=1
else
	# About 9 minutes on a quiet 2-core machine; every run lasts >= 2 s.
	ROUNDS=${BENCH_ROUNDS:-7}
	N_RX=${BENCH_PACKETS:-1400000}
	N_CTR=${BENCH_PACKETS:-1300000}
	PC_REPEAT=1000000
	BUDGET=780
	# 200: where issue 7 states the status/stats goal.
	CTL_N=${BENCH_CTL_N:-1 10 100 200 1000}
	EXP_PORTS=${BENCH_EXPOSURE_PORTS:-12}
	DRIFT_EVENTS=${BENCH_DRIFT_EVENTS:-10}
	CTL_QUICK=0
fi
# The program-cost curve: fewer runs per call, one call per N and round.
PC_SCALE_REPEAT=$((PC_REPEAT / 5))
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
	PC_SCALE_REPEAT=$(awk '$1 == "prog_scale" { print $2 }' "$RES/machine.txt")
	[ -s "$RES/live.tsv" ] || b_die "$RES/live.tsv: no such results"
	read -r ROUNDS PC_REPEAT <<<"$(awk '$1 == "rounds" { print $2, $NF }' "$RES/machine.txt")"
	mapfile -t CASES < <(awk -F'\t' 'NR > 1 && !s[$3]++ { print $3 }' "$RES/live.tsv")
	[ -s "$RES/ctl.tsv" ] &&
		read -r -a CTL_NS <<<"$(awk -F'\t' 'NR > 1 && !s[$2]++ { printf "%s ", $2 }' "$RES/ctl.tsv")"
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
	echo "prog_scale  $PC_SCALE_REPEAT runs per call (prog_cost -i N, where prog_cost offers it)"
	echo "netns       $(find /run/netns -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) in /run/netns" \
		"(other users' too), $(pgrep -c -x fwctl) fwctl processes running, at the start"
	echo "rounds      $ROUNDS (quick=$quick), packets rx=$N_RX ctr=$N_CTR, prog_cost -n $PC_REPEAT"
}

# --- prog_cost ---------------------------------------------------------------
# One call is one round: `prog_cost -r 1` prints, per frame and hook, a row
# per program (frame and hook only on the first), ending in a ratio
# ("1.19x +5 ns") or "-". Read from the right, so column widths may change.
PC_TSV=$RES/prog_cost.tsv
# prog_cost's table on stdin as "frame hook program verdict ns" rows.
pc_parse() {
	awk -v OFS='\t' '
		/^frame[ \t]+hook[ \t]+program/ { on = 1; next }
		on && NF == 0 { exit }
		on {
			k = NF
			if ($NF == "ns") k -= 3; else if ($NF == "-") k -= 1
			if (k == 7) { f = $1; h = $2; p = $3; v = $4; m = $5 }
			else if (k == 5) { p = $1; v = $2; m = $3 }
			else next
			print f, h, p, v, m
		}'
}

# fwctl's XDP program step by step (`prog_cost -a`), when prog_cost offers it:
# "frame step verdict ns" rows from its second table (frame on the first
# row of each frame only).
PST_TSV=$RES/prog_stages.tsv
PC_ARGS=()
pst_parse() {
	awk -v OFS='\t' '
		/^frame[ \t]+step[ \t]+verdict/ { on = 1; next }
		on && NF == 0 { exit }
		on && /^[^ ]/ { f = $1; print f, $2, $3, $4; next }
		on { print f, $1, $2, $3 }'
}

prog_cost_round() {
	local r=$1 out
	if [ ! -x "$PROG_COST" ]; then
		[ "$r" = 1 ] && b_log "bench: prog_cost: $PROG_COST not built (bench/prog_cost.c): part skipped"
		return 0
	fi
	out=$(timeout -k 2 120 "$PROG_COST" -r 1 -n "$PC_REPEAT" "${PC_ARGS[@]}" 2>"$BENCH_TMP/pc.err")
	local st=$?
	{
		echo "== round $r (exit $st)"
		echo "$out"
		cat "$BENCH_TMP/pc.err"
	} >>"$RES/prog_cost.log"
	if [ $st -ne 0 ]; then
		b_log "bench: prog_cost round $r failed (exit $st): $(tail -1 "$BENCH_TMP/pc.err")"
		return 1
	fi
	pc_parse <<<"$out" | sed "s/^/$r\t/" >>"$PC_TSV"
	[ ${#PC_ARGS[@]} = 0 ] || pst_parse <<<"$out" | sed "s/^/$r\t/" >>"$PST_TSV"
	grep -q "^prog_cost:.*returned" "$BENCH_TMP/pc.err" && return 1
	return 0
}

# Program cost at N covered interfaces, when this prog_cost can map them
# (`-i N` in its usage); one call per N, fwctl's rows and the trivial ones.
PCS_TSV=$RES/prog_scale.tsv
PCS_SKIP=
pc_scale_check() {
	if [ ! -x "$PROG_COST" ]; then
		PCS_SKIP="$PROG_COST not built"
	elif ! "$PROG_COST" -h 2>&1 | grep -qE -- '(^|[[ ])-i[] ]'; then
		PCS_SKIP="$PROG_COST -h offers no -i N (covered interfaces): no program-cost curve"
	fi
	[ -z "$PCS_SKIP" ] || b_log "bench: $PCS_SKIP"
}

pc_scale_round() {
	local r=$1 n out st rows err=0
	[ -z "$PCS_SKIP" ] || return 0
	for n in "${CTL_NS[@]}"; do
		out=$(timeout -k 2 120 "$PROG_COST" -r 1 -n "$PC_SCALE_REPEAT" -i "$n" \
			2>"$BENCH_TMP/pcs.err")
		st=$?
		{
			echo "== round $r, -i $n (exit $st)"
			echo "$out"
			cat "$BENCH_TMP/pcs.err"
		} >>"$RES/prog_scale.log"
		rows=$(pc_parse <<<"$out" | awk -F'\t' '$3 == "fwctl" || $3 == "trivial"')
		if [ "$st" -ne 0 ] || [ -z "$rows" ]; then
			if grep -qi 'full\|too many\|limit' "$BENCH_TMP/pcs.err"; then
				printf '%s\t%s\t-\t-\t-\t-\t-\tlimit\n' "$r" "$n" >>"$PCS_TSV"
			else
				printf '%s\t%s\t-\t-\t-\t-\t-\terror:exit-%s\n' "$r" "$n" "$st" >>"$PCS_TSV"
				err=1
			fi
			continue
		fi
		sed "s/^/$r\t$n\t/; s/\$/\tok/" <<<"$rows" >>"$PCS_TSV"
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

# --- summaries ---------------------------------------------------------------
# live_summary.tsv: per case the min/median/max of CPU us per packet (own:
# the sender's processes, with the softirq work in their context, plus
# ksoftirqd), median packets/s, medians of the /proc/stat figures, runs
# whose drop counter matched, and ratios of medians against no filter and
# against the case named as its baseline.
summarize_live() {
	local c base goal part tmp=$BENCH_TMP/sum
	: >"$tmp"
	for c in "${CASES[@]}"; do
		part=$(live_field "$c" 2)
		base=$(live_field "$c" 3)
		goal=$(live_field "$c" 4)
		awk -F'\t' -v c="$c" -v part="$part" -v base="$base" -v goal="$goal" '
			function med(a, n,   i, j, t) {
				for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
					t = a[j]; a[j] = a[j-1]; a[j-1] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			}
			NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			$col["case"] == c {
				runs++
				if ($col["status"] == "ok") ok++
				if ($col["status"] !~ /^(ok|mismatch)$/) next
				n++; o[n] = $col["us_pkt_own"]; p[n] = $col["pps"]
				a[n] = $col["us_pkt_all"]; z[n] = $col["us_pkt_cpu0"]; w[n] = $col["us_pkt_wall"]
				if (n == 1 || o[n] < lo) lo = o[n]
				if (n == 1 || o[n] > hi) hi = o[n]
			}
			END {
				if (!n) { printf "%s\t%s\t0\t-\t-\t-\t-\t-\t-\t-\t%d/%d\t%s\t%s\n",
					  part, c, ok, runs, base, goal; exit }
				printf "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.0f\t%.3f\t%.3f\t%.3f\t%d/%d\t%s\t%s\n",
				       part, c, n, lo, med(o, n), hi, med(p, n), med(a, n), med(z, n),
				       med(w, n), ok, runs, base, goal
			}' "$RES/live.tsv" >>"$tmp"
	done
	# Ratios need every median: a second pass over the rows above.
	awk -F'\t' -v OFS='\t' '
		{ row[NR] = $0; med[$2] = $5; part[NR] = $1 }
		END {
			print "part", "case", "runs", "us_pkt_min", "us_pkt_median", "us_pkt_max",
			      "pps_median", "us_pkt_all_cpus_median", "us_pkt_cpu0_median",
			      "us_pkt_wall_median", "counted_eq_sent", "vs", "goal", "ratio_vs",
			      "ratio_vs_none"
			for (i = 1; i <= NR; i++) {
				split(row[i], f, "\t")
				none = part[i] == "ctr" ? "ctr-none" : "none"
				rb = rn = "-"
				if (f[12] in med && med[f[12]] > 0 && f[5] != "-")
					rb = sprintf("%.3f", f[5] / med[f[12]])
				if (none in med && med[none] > 0 && f[5] != "-")
					rn = sprintf("%.3f", f[5] / med[none])
				print row[i], rb, rn
			}
		}' "$tmp" >"$RES/live_summary.tsv"
}

# awk: med(list) of a space-separated list of numbers, with its lo, hi and
# cnt on the side; summaries of per-round figures start with it.
AWK_MED='
		function med(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			lo = a[1]; hi = a[n]; cnt = n
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}'

# awk: grid(corner, width, rows, nrows, cols, ncols, cell, prefix) prints a
# table with cell[row, col] ("-" where there is none), the column names
# after prefix.
AWK_GRID='
		function grid(corner, w, r, nr, c, nc, cell, pre,   i, j) {
			printf "%-" w "s", corner
			for (j = 1; j <= nc; j++) printf " %13s", pre c[j]
			printf "\n"
			for (i = 1; i <= nr; i++) {
				printf "%-" w "s", r[i]
				for (j = 1; j <= nc; j++)
					printf " %13s", (r[i], c[j]) in cell ? cell[r[i], c[j]] : "-"
				printf "\n"
			}
		}'

# prog_cost_summary.tsv: per frame, hook and program the min/median/max ns
# per run and the ratio of medians against the trivial program.
summarize_prog_cost() {
	[ -s "$PC_TSV" ] || return 0
	awk -F'\t' -v OFS='\t' "$AWK_MED"'
		NR == 1 { next }
		{ k = $2 OFS $3 OFS $4; if (!(k in v)) order[++nk] = k
		  v[k] = v[k] " " $6; verdict[k] = $5 }
		END {
			print "frame", "hook", "program", "verdict", "runs", "ns_min", "ns_median",
			      "ns_max", "ratio_vs_trivial", "goal"
			for (i = 1; i <= nk; i++) { m[order[i]] = med(v[order[i]]);
				L[order[i]] = lo; H[order[i]] = hi; C[order[i]] = cnt }
			for (i = 1; i <= nk; i++) {
				k = order[i]; split(k, f, OFS)
				t = f[1] OFS f[2] OFS "trivial"
				goal = "-"
				if (f[3] == "fwctl")
					goal = f[1] ~ /vlan|qinq|ext/ ? "1.20" : "1.10"
				print k, verdict[k], C[k], L[k], m[k], H[k],
				      (t in m && m[t] > 0) ? sprintf("%.3f", m[k] / m[t]) : "-", goal
			}
		}' "$PC_TSV" >"$RES/prog_cost_summary.tsv"
}

# prog_stages_summary.tsv: per frame and step, in prog_cost's order, the
# min/median/max ns, the ratio of medians against the trivial program, and
# what the step adds to the one before it (the parser alone: to trivial).
summarize_stages() {
	[ -s "$PST_TSV" ] && [ "$(wc -l <"$PST_TSV")" -gt 1 ] || return 0
	awk -F'\t' -v OFS='\t' "$AWK_MED"'
		NR == 1 { next }
		{ k = $2 OFS $3; if (!(k in v)) order[++nk] = k
		  v[k] = v[k] " " $5; verdict[k] = $4 }
		END {
			print "frame", "step", "verdict", "runs", "ns_min", "ns_median", "ns_max",
			      "ratio_vs_trivial", "step_adds_ns"
			for (i = 1; i <= nk; i++) {
				k = order[i]; split(k, f, OFS); m = med(v[k])
				if (f[2] == "trivial") base = prev = m
				if (f[2] == "parse") prev = base
				print k, verdict[k], cnt, lo, m, hi,
				      (base > 0 ? sprintf("%.3f", m / base) : "-"), m - prev
				prev = m
			}
		}' "$PST_TSV" >"$RES/prog_stages_summary.tsv"
}

# ctl_summary.tsv: per operation and N, over every call of every round:
# min, median, p99 (nearest rank: the max below 100 calls), max; the spread
# of the round medians; the median CPU time of a call; the goal (ms); and
# the calls that waited, their wall time over their CPU time by more than
# 50 ms: fwctl takes one lock for all namespaces, so another fwctl on the
# machine (someone's test suite, a watch) shows up there.
summarize_ctl() {
	[ -s "$RES/ctl.tsv" ] || return 0
	awk -F'\t' -v OFS='\t' -v ops="$CTL_OPS" '
		function sort(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		}
		function med(a, n) { sort(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
		NR == 1 { next }
		{ k = $3 SUBSEP $2; if (!($2 in ns)) nl[++nn] = $2 + 0; ns[$2] = 1
		  if ($7 == "ok") { c[k]++; w[k, c[k]] = $5; u[k, c[k]] = $6; if ($5 - $6 > 50) wt[k]++
			rc[k, $1]++; rw[k, $1, rc[k, $1]] = $5 }
		  else if ($7 == "limit") lim[k] = 1
		  else bad[k]++ }
		END {
			print "op", "n", "calls", "status", "ms_min", "ms_median", "ms_p99", "ms_max",
			      "round_median_min", "round_median_max", "cpu_ms_median", "goal_ms", "waited"
			no = split(ops, op, " ")
			sort(nl, nn)
			for (i = 1; i <= no; i++) for (q = 1; q <= nn; q++) {
				n = nl[q]
				k = op[i] SUBSEP n
				if (!c[k] && !lim[k] && !bad[k]) continue
				goal = op[i] ~ /^(un)?block$/ ? 5 : op[i] ~ /^stat/ ? 100 : "-"
				st = lim[k] ? "limit" : bad[k] ? "errors:" bad[k] : "ok"
				if (!c[k]) { print op[i], n, 0, st, "-", "-", "-", "-", "-", "-", "-", goal, "-"; continue }
				m = c[k]
				for (j = 1; j <= m; j++) { a[j] = w[k, j]; b[j] = u[k, j] }
				sort(a, m)
				p99 = a[int(0.99 * m) + (0.99 * m > int(0.99 * m))]
				lo = a[1]; hi = a[m]; md = med(a, m); cm = med(b, m)
				rlo = rhi = ""
				for (rr = 1; rr <= 1000; rr++) {
					if (!rc[k, rr]) continue
					for (j = 1; j <= rc[k, rr]; j++) x[j] = rw[k, rr, j]
					v = med(x, rc[k, rr])
					if (rlo == "" || v < rlo) rlo = v
					if (rhi == "" || v > rhi) rhi = v
				}
				printf "%s\t%d\t%d\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d\n",
				       op[i], n, m, st, lo, md, p99, hi, rlo, rhi, cm, goal, wt[k]
			}
		}' "$RES/ctl.tsv" >"$RES/ctl_summary.tsv"
}

# exposure_summary.tsv: the window from a port's creation (and from its
# joining the bridge) to enforcement, over every port of every round; and
# apart, each round's first port (the first port after `block` on a bridge
# with none, where watch still loads a program) and the ports after it.
summarize_exposure() {
	[ -s "$EXP_TSV" ] || return 0
	awk -F'\t' -v OFS='\t' '
		function sort(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		}
		function row(name, a, n) {
			if (!n) { print name, ports, missed, "-", "-", "-", "-", 20; return }
			sort(a, n)
			printf "%s\t%d\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t20\n", name, ports, missed, a[1],
			       n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2,
			       a[(int(0.9 * n) + 1 > n) ? n : int(0.9 * n) + 1], a[n]
		}
		NR == 1 { next }
		{ ports++ }
		$6 != "ok" { missed++; next }
		END { missed += 0 }
		{ ne++; e[ne] = $4; if ($3 != "-") { nj++; j[nj] = $4 - $3 }
		  if ($2 == "vethc1") { nf++; f[nf] = $4 } else { nl++; l[nl] = $4 } }
		END {
			print "window", "ports", "missed", "ms_min", "ms_median", "ms_p90", "ms_max", "goal_ms"
			row("created->enforced", e, ne)
			row("joined->enforced", j, nj)
			ports = nf; missed = "-"; row("first-port", f, nf)
			ports = nl; row("later-ports", l, nl)
		}' "$EXP_TSV" >"$RES/exposure_summary.tsv"
}

# drift_summary.tsv: the time a taken hook stays missing under watch, over
# every event of every round, all kinds together and per kind.
summarize_drift() {
	[ -s "$DRIFT_TSV" ] && [ "$(wc -l <"$DRIFT_TSV")" -gt 1 ] || return 0
	awk -F'\t' -v OFS='\t' '
		function sort(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		}
		function row(name, events, missed, a, n) {
			if (!n) { print name, events + 0, missed + 0, "-", "-", "-", "-", 1000; return }
			sort(a, n)
			printf "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t1000\n", name, events, missed,
			       a[1], n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2,
			       a[(int(0.9 * n) + 1 > n) ? n : int(0.9 * n) + 1], a[n]
		}
		NR == 1 { next }
		{ ev++; kev[$3]++; if (!($3 in seen)) { seen[$3] = 1; kinds[++nk] = $3 } }
		$5 != "ok" { mi++; kmi[$3]++; next }
		{ n++; all[n] = $4; kn[$3]++; k[$3, kn[$3]] = $4 }
		END {
			print "drift", "events", "missed", "ms_min", "ms_median", "ms_p90", "ms_max", "goal_ms"
			row("all", ev, mi, all, n)
			for (i = 1; i <= nk; i++) {
				split("", a)
				for (j = 1; j <= kn[kinds[i]]; j++) a[j] = k[kinds[i], j]
				row(kinds[i], kev[kinds[i]], kmi[kinds[i]], a, kn[kinds[i]])
			}
		}' "$DRIFT_TSV" >"$RES/drift_summary.tsv"
}

# prog_scale_summary.tsv: program cost at N covered interfaces, min/median/
# max over rounds, and the median against the same program's at the
# smallest N (flat: 1.00).
summarize_pc_scale() {
	[ -s "$PCS_TSV" ] && [ "$(wc -l <"$PCS_TSV")" -gt 1 ] || return 0
	awk -F'\t' -v OFS='\t' '
		function sort(a, n,   i, j, t) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		}
		NR == 1 { next }
		{ if (!($2 in ns)) nl[++nn] = $2 + 0; ns[$2] = 1 }
		$8 != "ok" { if (!(("-" SUBSEP "-" SUBSEP "-") in seen)) { seen["-", "-", "-"] = 1
				order[++np] = "-" SUBSEP "-" SUBSEP "-" }
			     st["-", "-", "-", $2] = $8; next }
		{ p = $3 SUBSEP $4 SUBSEP $5; if (!(p in seen)) { seen[p] = 1; order[++np] = p }
		  k = p SUBSEP $2; c[k]++; v[k, c[k]] = $7; verdict[k] = $6; st[k] = "ok" }
		END {
			print "frame", "hook", "program", "n", "verdict", "runs", "ns_min", "ns_median",
			      "ns_max", "vs_smallest_n", "status"
			sort(nl, nn)
			for (i = 1; i <= np; i++) {
				base = ""
				for (q = 1; q <= nn; q++) {
					k = order[i] SUBSEP nl[q]
					if (!(k in st)) continue
					split(order[i], f, SUBSEP)
					if (!(m = c[k])) { print f[1], f[2], f[3], nl[q], "-", 0, "-", "-", "-",
							   "-", st[k]; continue }
					for (j = 1; j <= m; j++) a[j] = v[k, j]
					sort(a, m)
					md = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
					if (base == "") base = md
					print f[1], f[2], f[3], nl[q], verdict[k], m, a[1], md, a[m],
					      (base > 0) ? sprintf("%.3f", md / base) : "-", st[k]
				}
			}
		}' "$PCS_TSV" >"$RES/prog_scale_summary.tsv"
}

# The tables a person reads, from the summaries.
report() {
	echo "machine"
	sed 's/^/  /' "$RES/machine.txt"
	echo
	echo "live drop over veth: CPU us per packet (sender processes + their softirq + ksoftirqd),"
	echo "min/median/max over rounds; pps median; /proc/stat busy us per packet (all CPUs, CPU 0)"
	echo "median; counted = runs whose drop counter equalled the packets sent"
	awk -F'\t' 'NR == 1 { next }
		{ printf "%-19s %-4s %6s %6s %6s %9s %7s %6s %7s  %-17s %6s %6s %5s\n",
			 $2, $1, $4, $5, $6, $7, $8, $9, $11, $12, $14, $15, $13 }
		BEGIN { printf "%-19s %-4s %6s %6s %6s %9s %7s %6s %7s  %-17s %6s %6s %5s\n",
			 "case", "part", "min", "median", "max", "pps", "all-cpu", "cpu0", "counted",
			 "vs", "ratio", "/none", "goal" }' "$RES/live_summary.tsv"
	echo
	if [ -s "$RES/prog_cost_summary.tsv" ]; then
		echo "program cost (BPF_PROG_TEST_RUN, ns per run, $PC_REPEAT runs per round):"
		awk -F'\t' 'NR == 1 { next }
			{ printf "%-14s %-4s %-16s %-7s %4s %5s %6s %5s %7s %5s\n",
				 $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }
			BEGIN { printf "%-14s %-4s %-16s %-7s %4s %5s %6s %5s %7s %5s\n", "frame",
				 "hook", "program", "verdict", "runs", "min", "median", "max",
				 "/trivial", "goal" }' "$RES/prog_cost_summary.tsv"
		echo
	fi
	if [ -s "$RES/prog_stages_summary.tsv" ]; then
		echo "fwctl's XDP program cut short after each step (prog_cost -a, bench/fw_stages.bpf.c):"
		echo "median ns (x trivial); ifindex: reads ctx->ingress_ifindex; slot: + fw_slots[ifindex];"
		echo "lookups: + policy and counters; decide: + parse and decide; fwctl: + count (the"
		echo "whole program); parse: the parser alone, no lookup"
		awk -F'\t' "$AWK_GRID"'NR == 1 { next }
			{ if (!($1 in fs)) { fs[$1] = 1; fr[++nf] = $1 }
			  if (!($2 in ss)) { ss[$2] = 1; st[++ns] = $2 }
			  c[$2, $1] = sprintf("%g (%.2f)", $6, $8) }
			END { grid("step", 8, st, ns, fr, nf, c, "") }' "$RES/prog_stages_summary.tsv"
		echo
	fi
	echo "goals (same run; figures, not verdicts):"
	awk -F'\t' 'NR == FNR { m[$2] = $5; next }
		    FNR > 1 && $13 != "-" {
			printf "  %-19s / %-17s %s (%s / %s us per packet; goal <= %s)\n",
			       $2, $12, $14, $5, m[$12], $13 }
		    FNR > 1 { split($11, c, "/"); ok += c[1]; runs += c[2] }
		    END { printf "  drops counted == sent in %d of %d runs\n", ok, runs }' \
		"$RES/live_summary.tsv" "$RES/live_summary.tsv"
	[ -s "$RES/prog_cost_summary.tsv" ] &&
		awk -F'\t' 'NR > 1 && $3 == "fwctl" {
			printf "  fwctl %-4s %-14s %sx trivial (goal <= %s)\n", $2, $1, $9, $10 }' \
			"$RES/prog_cost_summary.tsv"
	[ -s "$RES/ctl_summary.tsv" ] && awk -F'\t' '
		NR == 1 { next }
		$4 != "ok" { next }
		$1 ~ /^(un)?block$/ && !rule++ { nrule = $2 }
		$1 ~ /^(un)?block$/ && $2 == nrule {
			printf "  %-11s on a port, N=%-4d median %6.1f ms, p99 %6.1f ms over %d calls, %d waited (goal median <= %d ms)\n",
			       $1, $2, $6, $7, $3, $13, $12 }
		$1 ~ /^stat/ { m[$1, $2] = $6; if ($2 + 0 <= 200) big = $2 }
		$1 ~ /^stat/ { o[$1] = 1 }
		END {
			split("status status-json stats stats-json", op, " ")
			for (i = 1; i <= 4; i++) if ((op[i], big) in m)
				printf "  %-11s N=%-4d (%d interfaces) median %6.1f ms (goal <= 100 ms)\n",
				       op[i], big, big + 1, m[op[i], big]
		}' "$RES/ctl_summary.tsv"
	[ -s "$RES/exposure_summary.tsv" ] && awk -F'\t' '$1 == "created->enforced" {
		printf "  exposure under watch: median %s ms, p90 %s ms, max %s ms over %d ports, %d missed (goal median <= %s ms)\n",
		       $5, $6, $7, $2, $3, $8 }' "$RES/exposure_summary.tsv"
	[ -s "$RES/drift_summary.tsv" ] && awk -F'\t' '$1 == "all" {
		printf "  drift repaired by watch: median %s ms, p90 %s ms, max %s ms over %d events, %d missed (goal every one <= %s ms)\n",
		       $5, $6, $7, $2, $3, $8 }' "$RES/drift_summary.tsv"
	return 0
}

# The control plane, exposure and program-cost-curve tables.
report_ctl() {
	if [ -s "$RES/ctl_summary.tsv" ]; then
		echo "control plane: wall ms per fwctl call, process start included (bench/ctl_time),"
		echo "N = covered ports on one bridge (N+1 interfaces, N container namespaces);"
		echo "median of all rounds' calls (block, unblock: median / p99); limit: fwctl refused N"
		awk -F'\t' "$AWK_GRID"'
			NR == 1 { next }
			{ if (!($2 in seen)) { seen[$2] = 1; ns[++nn] = $2 }
			  if (!($1 in so)) { so[$1] = 1; ops[++no] = $1 }
			  v = $4 == "limit" ? "limit" : $4 != "ok" && !$3 ? "error" : $1 ~ /^(un)?block$/ ? \
			      sprintf("%.1f / %.0f", $6, $7) : sprintf("%.1f", $6)
			  cell[$1, $2] = v }
			END { grid("op", 12, ops, no, ns, nn, cell, "N=") }' "$RES/ctl_summary.tsv"
		echo
		echo "the same, every figure: ms over all calls (p99: nearest rank, = max below 100"
		echo "calls); rounds: lowest and highest round median; cpu: median user+system ms;"
		echo "waited: calls whose wall time exceeded their CPU time by > 50 ms (fwctl's one"
		echo "lock for all namespaces: other fwctl calls on the machine, e.g. test suites)"
		awk -F'\t' 'NR == 1 { next }
			{ printf "%-12s %5s %5s %7s %7s %7s %7s %7s %7s %7s %5s %6s  %s\n",
				 $1, $2, $3, $5, $6, $7, $8, $9, $10, $11, $12, $13, $4 }
			BEGIN { printf "%-12s %5s %5s %7s %7s %7s %7s %7s %7s %7s %5s %6s  %s\n", "op",
				 "N", "calls", "min", "median", "p99", "max", "rnd-lo", "rnd-hi", "cpu",
				 "goal", "waited", "status" }' "$RES/ctl_summary.tsv"
		echo
	fi
	if [ -s "$RES/exposure_summary.tsv" ]; then
		echo "exposure window under fwctl watch (bench/exposure.sh): a new port on a covered"
		echo "bridge, from its creation (or its joining the bridge) to its rules enforced, ms;"
		echo "first-port: each round's first port (the first after block on a bridge with none),"
		echo "later-ports: the others"
		awk -F'\t' 'NR == 1 { next }
			{ printf "%-18s %5s %6s %6s %7s %6s %7s %5s\n", $1, $2, $3, $4, $5, $6, $7, $8 }
			BEGIN { printf "%-18s %5s %6s %6s %7s %6s %7s %5s\n", "window", "ports",
				"missed", "min", "median", "p90", "max", "goal" }' \
			"$RES/exposure_summary.tsv"
		echo
	fi
	if [ -s "$RES/drift_summary.tsv" ]; then
		echo "drift repair under fwctl watch (bench/drift.sh, $DRIFT_PORTS ports): a port's clsact"
		echo "deleted or its XDP turned off, until the hook is back, ms (missed: not back in 3 s)"
		awk -F'\t' 'NR == 1 { next }
			{ printf "%-18s %6s %6s %6s %7s %6s %7s %5s\n", $1, $2, $3, $4, $5, $6, $7, $8 }
			BEGIN { printf "%-18s %6s %6s %6s %7s %6s %7s %5s\n", "drift", "events",
				"missed", "min", "median", "p90", "max", "goal" }' \
			"$RES/drift_summary.tsv"
		echo
	fi
	if [ -s "$RES/prog_scale_summary.tsv" ]; then
		echo "program cost at N covered interfaces (prog_cost -i N, ns per run,"
		echo "$PC_SCALE_REPEAT runs per call; x1: median / the same program's at the smallest N)"
		awk -F'\t' 'NR == 1 { next }
			{ printf "%-14s %-4s %-8s %5s %-7s %4s %5s %6s %5s %6s  %s\n",
				 $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }
			BEGIN { printf "%-14s %-4s %-8s %5s %-7s %4s %5s %6s %5s %6s  %s\n", "frame",
				 "hook", "program", "N", "verdict", "runs", "min", "median", "max", "x1",
				 "status" }' "$RES/prog_scale_summary.tsv"
		echo
	elif [ -s "$RES/prog_scale.skip" ]; then
		echo "program cost at N covered interfaces: not measured: $(cat "$RES/prog_scale.skip")"
		echo
	fi
	return 0
}

# --- the chart ---------------------------------------------------------------
# plot_live.dat: one bar per live case (median, whiskers min..max), colour by
# kind; plot_pc.dat: one bar per program and frame.
plot() {
	awk -F'\t' -v OFS='\t' 'NR == 1 { next } $5 != "-" {
			kind = $2 ~ /fwctl/ ? 1 : $2 ~ /none/ ? 3 : $2 ~ /drop/ ? 2 : 0
			if ($1 != last && NR > 2) y--
			last = $1
			lab = $14 != "-" ? sprintf("%.2fx %s", $14, $12) : "-"
			if ($13 != "-") lab = lab sprintf(" (goal %s)", $13)
			print y--, $2, $5, $4, $6, kind, lab }' \
		"$RES/live_summary.tsv" >"$RES/plot_live.dat"
	: >"$RES/plot_pc.dat"
	[ -s "$RES/prog_cost_summary.tsv" ] &&
		awk -F'\t' -v OFS='\t' 'NR == 1 { next }
			{ if ($1 " " $2 != last && NR > 2) y--
			  last = $1 " " $2
			  kind = $3 == "fwctl" ? 1 : $3 == "trivial" ? 2 : 0
			  lab = $3 == "fwctl" ? $1 " " $2 " fwctl" : $3
			  print y--, lab, $7, $6, $8, kind, ($9 != "-" && $3 != "trivial") ? $9 "x" : "-" }' \
			"$RES/prog_cost_summary.tsv" >"$RES/plot_pc.dat"
	local pc=$RES/plot_pc.dat
	[ -s "$pc" ] || pc=
	plot_scaling
	gnuplot -e "live='$RES/plot_live.dat'; pc='$pc'; out='$RES/bench.png'" \
		-e "ctl='$CTL_DAT'; ctlops='$CTL_PLOT_OPS'; ctlx='$CTL_XTICS'; lim='$CTL_LIM'" \
		-e "exp='$EXP_DAT'; exptitle='$EXP_TITLE'" \
		-e "pcs='$PCS_DAT'; pcsnames='$PCS_NAMES'; pcsnote='$PCS_NOTE'" \
		-e "subtitle='$(uname -r), $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(date +%F), $ROUNDS rounds'" \
		bench/plot.gp 2>"$BENCH_TMP/gnuplot.err" || {
		b_log "bench: gnuplot failed: $(head -3 "$BENCH_TMP/gnuplot.err")"
		return 1
	}
}

# The bottom row's data. plot_ctl.dat: one block per operation (gnuplot
# index), rows "N median p99 round-median-low round-median-high";
# plot_ctl_limit.dat: "N op" where fwctl refused N; plot_exp.dat: every
# port's window, sorted, with its rank as a fraction; plot_pcs.dat: one
# block per fwctl frame and hook, rows "N median min max".
plot_scaling() {
	local sum=$RES/ctl_summary.tsv
	CTL_DAT='' CTL_PLOT_OPS='' CTL_XTICS='' CTL_LIM='' EXP_DAT='' EXP_TITLE=''
	PCS_DAT='' PCS_NAMES='' PCS_NOTE=''
	if [ -s "$sum" ]; then
		CTL_DAT=$RES/plot_ctl.dat
		CTL_PLOT_OPS=$(awk -F'\t' 'NR > 1 && $4 == "ok" && !s[$1]++ { printf "%s ", $1 }' "$sum")
		awk -F'\t' -v OFS='\t' -v ops="$CTL_PLOT_OPS" '
			NR > 1 && $4 == "ok" { r[$1] = r[$1] $2 OFS $6 OFS $7 OFS $9 OFS $10 "\n" }
			END { n = split(ops, o, " ")
			      for (i = 1; i <= n; i++) printf "%s%s", (i > 1) ? "\n\n" : "", r[o[i]] }' \
			"$sum" >"$CTL_DAT"
		CTL_XTICS="($(awk -F'\t' 'NR > 1 && !s[$2]++ { printf "%s\"%s\" %s", c, $2, $2; c = ", " }' "$sum"))"
		awk -F'\t' -v OFS='\t' 'NR > 1 && $4 == "limit" && !s[$2]++ { print $2, $1 }' \
			"$sum" >"$RES/plot_ctl_limit.dat"
		[ -s "$RES/plot_ctl_limit.dat" ] && CTL_LIM=$RES/plot_ctl_limit.dat
	fi
	if [ -s "$RES/exposure_summary.tsv" ]; then
		EXP_DAT=$RES/plot_exp.dat
		awk -F'\t' 'NR > 1 && $6 == "ok" { print $4 }' "$EXP_TSV" | sort -g |
			awk -v OFS='\t' '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' >"$EXP_DAT"
		# Two lines, split at "|" by plot.gp.
		EXP_TITLE=$(awk -F'\t' '$1 == "created->enforced" {
				printf "%d ports: median %s, p90 %s, max %s ms; %s missed|", $2, $5, $6, $7, $3 }
			$1 == "first-port" { printf "medians: first port of a round %s ms, ", $5 }
			$1 == "later-ports" { printf "the others %s ms", $5 }' \
			"$RES/exposure_summary.tsv")
	fi
	if [ -s "$RES/prog_scale_summary.tsv" ]; then
		PCS_DAT=$RES/plot_pcs.dat
		PCS_NAMES=$(awk -F'\t' 'NR > 1 && $3 == "fwctl" && $11 == "ok" && !s[$1 $2]++ {
			printf "%s/%s ", $1, $2 }' "$RES/prog_scale_summary.tsv")
		awk -F'\t' -v OFS='\t' -v names="$PCS_NAMES" '
			NR > 1 && $3 == "fwctl" && $11 == "ok" { r[$1 "/" $2] = r[$1 "/" $2] $4 OFS $8 OFS $7 OFS $9 "\n" }
			END { n = split(names, o, " ")
			      for (i = 1; i <= n; i++) printf "%s%s", (i > 1) ? "\n\n" : "", r[o[i]] }' \
			"$RES/prog_scale_summary.tsv" >"$PCS_DAT"
	elif [ -s "$RES/prog_scale.skip" ]; then
		# Two lines, split at "|" by plot.gp.
		PCS_NOTE="not measured:|$(sed "s|^.*/||; s/ (covered interfaces).*//; s/'//g" \
			"$RES/prog_scale.skip")"
	fi
}

# docs/benchmarks.md keeps its prose; the text between each pair of markers
# is replaced by this run's tables: bench:begin/end the machine, the data
# path and the goals; bench-ctl:begin/end the control plane, the exposure
# window and the scaling curve.
update_docs() {
	local doc=docs/benchmarks.md name file
	cp "$RES/bench.png" docs/bench.png || return 1
	for name in bench:summary_main bench-ctl:summary_ctl; do
		file=$RES/${name#*:}.txt
		name=${name%%:*}
		if ! grep -q "<!-- $name:begin -->" "$doc" 2>/dev/null; then
			b_log "bench: $doc has no <!-- $name:begin --> marker: ${file##*/} not copied"
			continue
		fi
		{
			echo '```'
			cat "$file"
			echo '```'
		} >"$BENCH_TMP/tables"
		awk -v b="<!-- $name:begin -->" -v e="<!-- $name:end -->" -v f="$BENCH_TMP/tables" '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$doc" >"$BENCH_TMP/doc" && cat "$BENCH_TMP/doc" >"$doc"
	done
	b_log "bench: updated docs/bench.png and $doc"
}

# The summaries, the tables and the chart of the results in $RES.
finish() {
	summarize_live
	summarize_prog_cost
	summarize_ctl
	summarize_exposure
	summarize_drift
	summarize_pc_scale
	summarize_stages
	report >"$RES/summary_main.txt"
	report_ctl >"$RES/summary_ctl.txt"
	cat "$RES/summary_main.txt" - "$RES/summary_ctl.txt" <<<"" | tee "$RES/summary.txt"
	if [ $have_plot = 1 ] && plot; then
		echo "chart: $RES/bench.png"
		[ "${BENCH_DOCS:-0}" = 1 ] && update_docs
	fi
	return 0
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
printf 'round\tframe\thook\tprogram\tverdict\tns\n' >"$PC_TSV"
if [ -x "$PROG_COST" ] && "$PROG_COST" -h 2>&1 | grep -qE -- '(^|[[ ])-a[] ]'; then
	PC_ARGS=(-a)
	printf 'round\tframe\tstep\tverdict\tns\n' >"$PST_TSV"
fi
echo "$CTL_HEADER" >"$RES/ctl.tsv"
printf 'round\tport\tjoined_ms\tenforced_ms\tingress\tstatus\n' >"$EXP_TSV"
printf 'round\tport\tkind\trestored_ms\tstatus\n' >"$DRIFT_TSV"
printf 'round\tpart\tseconds\n' >"$RES/timing.tsv"
pc_scale_check
if [ -n "$PCS_SKIP" ]; then
	echo "$PCS_SKIP" >"$RES/prog_scale.skip"
else
	printf 'round\tn\tframe\thook\tprogram\tverdict\tns\tstatus\n' >"$PCS_TSV"
fi

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
round_s=0
for r in $(seq "$ROUNDS"); do
	# Bounded: past the budget, stop after MIN_ROUNDS rounds.
	now=$(date +%s)
	if [ "$r" -gt "$MIN_ROUNDS" ] && [ $((now - start + round_s)) -gt "$BUDGET" ]; then
		b_log "bench: time budget reached, stopping after $((r - 1)) rounds"
		break
	fi
	printf 'bench: round %d/%d: prog_cost' "$r" "$ROUNDS" >&2
	timed prog_cost prog_cost_round "$r" || status=1
	[ -z "$PCS_SKIP" ] && printf ' prog_cost-i' >&2
	timed prog_scale pc_scale_round "$r" || status=1
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
