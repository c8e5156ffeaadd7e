# SPDX-License-Identifier: GPL-2.0
# plot.gp - the chart of `make bench`: one PNG, lower is better everywhere.
# Top row, horizontal bars (median, whiskers from min to max):
#   left:  live drop over a veth, CPU microseconds per packet for each filter
#   right: program cost, wall clock / runs of BPF_PROG_TEST_RUN, ns per run
# Bottom row, against the number of covered interfaces N (log scale):
#   left:   fwctl's control plane, median ms per call, with the goals (p99s
#           are in the tables: on a shared machine they are other users' waits)
#   middle: program cost at N interfaces (prog_cost -i N), which should be flat
#   right:  exposure window under `fwctl watch`, every port, as a CDF
# bench/run.sh calls it with: live, pc (data files; pc "" when prog_cost did
# not run), out (PNG), subtitle; ctl, ctlops, ctlx (xtics), lim; exp,
# exptitle; pcs, pcsnames, pcsnote ("" where a part has no data).
# Bar data columns: y, label, median, min, max, kind, note ("-": none); kind 1 =
# fwctl, 2 = a do-nothing program (the floor), 3 = no filter, 4 = the lower
# bound (prog_cost), 0 = another tool.

set terminal pngcairo size 1800,1750 font "DejaVu Sans,11" noenhanced
set output out
set datafile separator "\t"
set style fill solid 0.85 border -1
set grid xtics lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror scale 0
set key off

# "-" stands for no note: gnuplot does not see an empty last field.
note(c) = strcol(c) eq "-" ? "" : strcol(c)
colour(k) = k == 1 ? 0x1f77b4 : k == 2 ? 0xb0b0b0 : k == 3 ? 0x606060 : k == 4 ? 0x2ca02c : 0xff7f0e
bar = 0.38

set multiplot title "fwctl benchmarks: ".subtitle."\n".\
	"blue: fwctl   grey: do-nothing program (the hook's floor)   dark grey: no filter   green: lower bound   orange: other tools" \
	font ",13"

has_pc = pc ne ""
top = 0.47
stats live using 5 nooutput
set lmargin 20
set origin 0, top
set size (has_pc ? 0.52 : 1), 0.95 - top
set xrange [0:STATS_max * 1.45]
set title "Live drop over a veth (UDP flood, 60-byte frames): CPU us per packet\n".\
	"rx: trafgen into a filter on the receiving veth; ctr: socket flood, filter on the host side or at the container's TC egress\n".\
	"label: median, then median / the case named (ratio)" font ",11"
set xlabel "CPU microseconds per packet (sender + softirq + ksoftirqd), median of rounds"
plot live using (($3) / 2):1:(0):3:($1 - bar):($1 + bar):(colour($6)):ytic(2) \
	with boxxyerror lc rgb variable, \
     live using 3:1:4:5 with xerrorbars pt -1 lc rgb "#333333", \
     live using ($5 + STATS_max * 0.02):1:(sprintf("%.2f  %s", $3, note(7))) \
	with labels left font ",10"

if (has_pc) {
stats pc using 5 nooutput
set lmargin 24
set origin 0.52, top
set size 0.48, 0.95 - top
set xrange [0:STATS_max * 1.3]
set title "Program cost: wall clock / runs of BPF_PROG_TEST_RUN (64-byte frames unless named)\n".\
	"fwctl blocks icmp; XDP programs attached (dispatcher); xdp-filter as its port rule would be\n".\
	"label: median ns, then the median ratio and extra ns over the floor run before it" font ",11"
set xlabel "nanoseconds per run, median of rounds"
plot pc using (($3) / 2):1:(0):3:($1 - bar):($1 + bar):(colour($6)):ytic(2) \
	with boxxyerror lc rgb variable, \
     pc using 3:1:4:5 with xerrorbars pt -1 lc rgb "#333333", \
     pc using ($5 + STATS_max * 0.02):1:(sprintf("%.1f  %s", $3, note(7))) \
	with labels left font ",10"
}

# --- bottom row: scaling ------------------------------------------------------
unset ytics
set ytics nomirror
unset xlabel
set grid xtics ytics mxtics lc rgb "#dddddd"
set border 3
set lmargin 10
set bmargin 4
set style fill solid 1 noborder
opcolour(o) = o eq "start" ? "#9a9a9a" : o eq "block-cold" ? "#000000" : \
	o eq "block" ? "#1f77b4" : o eq "unblock" ? "#6baed6" : o eq "status" ? "#ff7f0e" : \
	o eq "status-json" ? "#c45a00" : o eq "stats" ? "#2ca02c" : \
	o eq "stats-json" ? "#186318" : "#9467bd"
opdash(o) = o eq "start" ? 2 : 1

if (ctl ne "") {
	set origin 0, 0
	set size 0.47, top - 0.01
	set logscale xy
	eval "set xtics ".ctlx
	set mxtics default
	set format y "%g"
	set key outside right top reverse Left font ",10" spacing 1.2 samplen 3
	set title "Control plane: fwctl wall time per call (process start included) vs covered ports N\n".\
		"bridge + N veth ports (N container namespaces); median of all calls of all rounds\n".\
		"(p99 in the tables); dashed: goals; start = fwctl --version, the floor" font ",11"
	set xlabel "covered ports N (the bridge makes N+1 interfaces; log scale)"
	set ylabel "ms per call, median (log scale)"
	stats ctl using 2 nooutput
	set yrange [1:STATS_max * 4]
	set xrange [0.7:*]
	set arrow 1 from graph 0, first 5 to graph 1, first 5 nohead dt 2 lw 1.5 lc rgb "#1f77b4" front
	set label 1 "goal: block / unblock median <= 5 ms" at graph 0.02, first 5 * 0.87 left \
		tc rgb "#1f77b4" font ",9" front
	set arrow 2 from graph 0, first 100 to graph 1, first 100 nohead dt 2 lw 1.5 lc rgb "#c45a00" front
	set label 2 "goal: status / stats <= 100 ms (stated at 200 ports)" at graph 0.02, first 100 * 0.87 \
		left tc rgb "#c45a00" font ",9" front
	nops = words(ctlops)
	if (lim ne "") {
		plot for [i=1:nops] ctl index (i-1) using 1:2 with linespoints lw 2 pt 7 ps 0.9 \
			dt opdash(word(ctlops,i)) lc rgb opcolour(word(ctlops,i)) title word(ctlops,i), \
		     lim using 1:(STATS_max * 2):("fwctl refused N\n(interface table full)") with labels \
			center tc rgb "#d62728" font ",10" notitle
	} else {
		plot for [i=1:nops] ctl index (i-1) using 1:2 with linespoints lw 2 pt 7 ps 0.9 \
			dt opdash(word(ctlops,i)) lc rgb opcolour(word(ctlops,i)) title word(ctlops,i)
	}
	unset arrow 1; unset arrow 2; unset label 1; unset label 2
	unset logscale; unset xrange; unset yrange; unset ylabel
}

set origin 0.47, 0
set size 0.23, top - 0.01
set title "Program cost vs covered interfaces\n(prog_cost -i N; should stay flat)" font ",11"
set xlabel "covered interfaces N (log scale)"
set ylabel "ns per run, median"
if (pcs ne "") {
	set logscale x
	set xtics auto
	set key bottom right font ",9" box opaque
	stats pcs using 4 nooutput
	set yrange [0:STATS_max * 1.3]
	npcs = words(pcsnames)
	plot for [i=1:npcs] pcs index (i-1) using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.7 \
		title word(pcsnames,i)
	unset logscale; unset yrange
} else {
	unset key
	set xrange [0:1]
	set yrange [0:1]
	set xtics format ""
	set ytics format ""
	cut = strstrt(pcsnote, "|")
	set label 3 (pcsnote eq "" ? "not measured" : cut ? pcsnote[1:cut-1]."\n".pcsnote[cut+1:] : \
		pcsnote) at 0.5, 0.5 center font ",10"
	plot NaN notitle
	unset label 3
	set xtics format "%g"
	set ytics format "%g"
	unset xrange; unset yrange
}

set origin 0.70, 0
set size 0.30, top - 0.01
set rmargin 4
set ylabel "fraction of ports enforced within x ms"
set xlabel "ms from a port's creation to its rules enforced (log scale)"
if (exp ne "") {
	cut = strstrt(exptitle, "|")
	set title "Exposure window under fwctl watch (goal: median <= 20 ms)\n".\
		(cut ? exptitle[1:cut-1]."\n".exptitle[cut+1:] : exptitle) font ",10"
	set logscale x
	set xtics auto
	set yrange [0:1.02]
	set key off
	set arrow 4 from first 20, graph 0 to first 20, graph 1 nohead dt 2 lw 1.5 lc rgb "#d62728" front
	set label 4 " goal: median <= 20 ms" at first 20, graph 0.1 left tc rgb "#d62728" font ",9" front
	set arrow 5 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lc rgb "#888888"
	plot exp using 1:2 with steps lw 2 lc rgb "#1f77b4", \
	     exp using 1:2 with points pt 7 ps 0.5 lc rgb "#1f77b4"
} else {
	set title "Exposure window under fwctl watch: not measured" font ",11"
	plot NaN notitle
}

unset multiplot
