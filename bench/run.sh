#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - fwctl's benchmarks: `make bench` (QUICK=1 for about 2 minutes).
#
# Every part runs interleaved, round by round (prog_cost, then every live
# case, then the next round), so a change in the machine's load spreads over
# all of them alike:
#   prog_cost  BPF_PROG_TEST_RUN cost of fwctl's programs beside trivial ones
#              and xdp-filter's (build/bench/prog_cost, one round per call)
#   live       a UDP flood over a veth into every filter (bench/live.sh)
# then, once, any other bench/*.sh (their own figures, kept in the results).
# Results go to bench/results/<date-time>/: live.tsv and prog_cost.tsv (raw,
# one row per run), live_summary.tsv and prog_cost_summary.tsv (min, median,
# max, ratios), summary.txt (the tables printed at the end), bench.png.
# Benchmarks print figures and never judge them: the exit status is 0 unless
# something broke (a part crashed, a counter disagreed with what was sent).
#
# Environment: QUICK=1; OUTPUT (build folder) and FWCTL as for make;
# BENCH_ROUNDS, BENCH_PACKETS, BENCH_CASES (space-separated live case names)
# override the defaults; BENCH_DOCS=1 also copies the chart to docs/bench.png
# and the tables into docs/benchmarks.md.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=bench/live.sh
. bench/live.sh

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
else
	# About 9 minutes on a quiet 2-core machine; every run lasts >= 2 s.
	ROUNDS=${BENCH_ROUNDS:-7}
	N_RX=${BENCH_PACKETS:-1400000}
	N_CTR=${BENCH_PACKETS:-1300000}
	PC_REPEAT=1000000
	BUDGET=780
fi
MIN_ROUNDS=$((ROUNDS < 5 ? ROUNDS : 5))
if [ -n "${BENCH_CASES:-}" ]; then
	read -r -a CASES <<<"$BENCH_CASES"
else
	mapfile -t CASES < <(live_names)
fi

b_need ip tc trafgen xdp-filter nft iptables-legacy iptables-nft jq clang gcc nsenter unshare timeout
[ -x "$FWCTL" ] || b_die "$FWCTL not built (make, or make OUTPUT=... with OUTPUT/FWCTL set)"
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
	[ -s "$RES/live.tsv" ] || b_die "$RES/live.tsv: no such results"
	read -r ROUNDS PC_REPEAT <<<"$(awk '$1 == "rounds" { print $2, $NF }' "$RES/machine.txt")"
	mapfile -t CASES < <(awk -F'\t' 'NR > 1 && !s[$3]++ { print $3 }' "$RES/live.tsv")
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
	echo "rounds      $ROUNDS (quick=$quick), packets rx=$N_RX ctr=$N_CTR, prog_cost -n $PC_REPEAT"
}

# --- prog_cost ---------------------------------------------------------------
# One call is one round: `prog_cost -r 1` prints, per frame and hook, a row
# per program (frame and hook only on the first), ending in a ratio
# ("1.19x +5 ns") or "-". Read from the right, so column widths may change.
PC_TSV=$RES/prog_cost.tsv
prog_cost_round() {
	local r=$1 out
	if [ ! -x "$PROG_COST" ]; then
		[ "$r" = 1 ] && b_log "bench: prog_cost: $PROG_COST not built (bench/prog_cost.c): part skipped"
		return 0
	fi
	out=$(timeout -k 2 120 "$PROG_COST" -r 1 -n "$PC_REPEAT" 2>"$BENCH_TMP/pc.err")
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
	awk -v r="$r" '
		/^frame[ \t]+hook[ \t]+program/ { on = 1; next }
		on && NF == 0 { exit }
		on {
			k = NF
			if ($NF == "ns") k -= 3; else if ($NF == "-") k -= 1
			if (k == 7) { f = $1; h = $2; p = $3; v = $4; m = $5 }
			else if (k == 5) { p = $1; v = $2; m = $3 }
			else next
			print r "\t" f "\t" h "\t" p "\t" v "\t" m
		}' <<<"$out" >>"$PC_TSV"
	grep -q "^prog_cost:.*returned" "$BENCH_TMP/pc.err" && return 1
	return 0
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

# prog_cost_summary.tsv: per frame, hook and program the min/median/max ns
# per run and the ratio of medians against the trivial program.
summarize_prog_cost() {
	[ -s "$PC_TSV" ] || return 0
	awk -F'\t' -v OFS='\t' '
		function med(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			lo = a[1]; hi = a[n]; cnt = n
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
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
	gnuplot -e "live='$RES/plot_live.dat'; pc='$pc'; out='$RES/bench.png'" \
		-e "subtitle='$(uname -r), $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(date +%F), $ROUNDS rounds'" \
		bench/plot.gp 2>"$BENCH_TMP/gnuplot.err" || {
		b_log "bench: gnuplot failed: $(head -3 "$BENCH_TMP/gnuplot.err")"
		return 1
	}
}

# docs/benchmarks.md keeps its prose; the text between the two markers is
# replaced by this run's tables.
update_docs() {
	local doc=docs/benchmarks.md begin='<!-- bench:begin -->' end='<!-- bench:end -->'
	cp "$RES/bench.png" docs/bench.png || return 1
	if ! grep -q "$begin" "$doc" 2>/dev/null; then
		b_log "bench: $doc has no $begin marker: tables not copied"
		return 1
	fi
	{
		echo '```'
		cat "$RES/summary.txt"
		echo '```'
	} >"$BENCH_TMP/tables"
	awk -v b="$begin" -v e="$end" -v f="$BENCH_TMP/tables" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$doc" >"$BENCH_TMP/doc" && cat "$BENCH_TMP/doc" >"$doc"
	b_log "bench: updated docs/bench.png and $doc"
}

# The summaries, the tables and the chart of the results in $RES.
finish() {
	summarize_live
	summarize_prog_cost
	report | tee "$RES/summary.txt"
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
	prog_cost_round "$r" || status=1
	for c in "${CASES[@]}"; do
		printf ' %s' "$c" >&2
		n=$N_RX
		[ "$(live_field "$c" 2)" = ctr ] && n=$N_CTR
		row=$(live_case "$c" "$r" "$n") || status=1
		echo "$row" >>"$RES/live.tsv"
		st=${row##*$'\t'}
		[ "$st" = ok ] || {
			printf ' (%s)' "$st" >&2
			status=1
		}
	done
	echo >&2
	round_s=$(($(date +%s) - now))
done

if [ $quick = 0 ]; then
	for part in bench/*.sh; do
		case ${part##*/} in run.sh | lib.sh | live*.sh) continue ;; esac
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
