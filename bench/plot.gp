# SPDX-License-Identifier: GPL-2.0
# plot.gp - the chart of `make bench`: one PNG, two panels of horizontal bars
# (median, whiskers from min to max, shorter is better).
#   left:  live drop over a veth, CPU microseconds per packet for each filter
#   right: program cost under BPF_PROG_TEST_RUN, nanoseconds per run
# bench/run.sh calls it with: live, pc (data files; pc "" when prog_cost did
# not run), out (PNG), subtitle.
# Data columns: y, label, median, min, max, kind, note ("-": none); kind 1 = fwctl,
# 2 = a do-nothing program, 3 = no filter, 0 = another tool.

set terminal pngcairo size 1800,1000 font "DejaVu Sans,11" noenhanced
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
colour(k) = k == 1 ? 0x1f77b4 : k == 2 ? 0xb0b0b0 : k == 3 ? 0x606060 : 0xff7f0e
bar = 0.38

set multiplot title "fwctl benchmarks: ".subtitle."\n".\
	"blue: fwctl   grey: do-nothing program (the hook's floor)   dark grey: no filter   orange: other tools" \
	font ",13"

has_pc = pc ne ""
stats live using 5 nooutput
set lmargin 20
set origin 0, 0
set size (has_pc ? 0.52 : 1), 0.93
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

if (!has_pc) { unset multiplot; exit }
stats pc using 5 nooutput
set lmargin 24
set origin 0.52, 0
set size 0.48, 0.93
set xrange [0:STATS_max * 1.3]
set title "Program cost, BPF_PROG_TEST_RUN (64-byte frames unless named)\n".\
	"fwctl blocks icmp; xdp-filter configured as its port rule would be\n".\
	"label: median, then median / the trivial program of the same hook" font ",11"
set xlabel "nanoseconds per run, median of rounds"
plot pc using (($3) / 2):1:(0):3:($1 - bar):($1 + bar):(colour($6)):ytic(2) \
	with boxxyerror lc rgb variable, \
     pc using 3:1:4:5 with xerrorbars pt -1 lc rgb "#333333", \
     pc using ($5 + STATS_max * 0.02):1:(sprintf("%.0f  %s", $3, note(7))) \
	with labels left font ",10"

unset multiplot
