#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - the summaries, tables and chart of a `make bench` run.

bench/run.sh runs the benchmarks and writes raw results into a results
folder (live.tsv, live_cases.tsv, prog_cost.tsv, prog_scale.tsv, ctl.tsv,
exposure.tsv, drift.tsv, machine.txt); this script reads them and writes:

  *_summary.tsv      min, median, max, p99/p90, ratios, per part
  summary_main.txt   the data-path tables (machine, live, program cost, goals)
  summary_ctl.txt    control plane, exposure, drift, program cost at N
  summary.txt        both, also printed
  plot_*.dat, bench.png   the chart (gnuplot bench/plot.gp), with --plot
  docs/bench.png, docs/benchmarks.md   with --docs: the chart, and the tables
                     between the <!-- bench:begin/end --> and
                     <!-- bench-ctl:begin/end --> markers

usage: bench/report.py [--plot] [--docs] RESULTS_DIR
It judges nothing: figures only.
"""
import csv
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CTL_OPS = ["start", "block-cold", "block", "unblock", "status", "status-json", "stats",
           "stats-json", "detach-all"]


def read_tsv(path):
    """Rows of a TSV with a header line, as dicts; [] when missing."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write_tsv(path, header, rows):
    with open(path, "w") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def p_rank(v, q):
    """Nearest-rank percentile of sorted v (q in 0..1)."""
    n = len(v)
    k = int(q * n) + (q * n > int(q * n))
    return v[min(max(k, 1), n) - 1]


def p90(v):
    """run.sh's p90: the element at index int(0.9 n), 0-based."""
    return v[min(len(v) - 1, int(0.9 * len(v)))]


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def g(x):
    """awk's %g-ish: integers without a decimal point."""
    if x is None:
        return "-"
    return ("%d" % x) if float(x).is_integer() else ("%g" % x)


class Run:
    def __init__(self, res):
        self.res = res
        self.machine = {}
        mpath = os.path.join(res, "machine.txt")
        self.machine_text = open(mpath).read() if os.path.exists(mpath) else ""
        for line in self.machine_text.splitlines():
            k, _, v = line.partition(" ")
            self.machine[k] = v.strip()
        self.tables = {}

    def path(self, name):
        return os.path.join(self.res, name)

    def param(self, key, word, default=None):
        """The word-th word of machine.txt's KEY line."""
        w = self.machine.get(key, "").split()
        return w[word] if len(w) > word else default


# --- live ---------------------------------------------------------------------
def summarize_live(run):
    cases = read_tsv(run.path("live_cases.tsv"))
    rows = read_tsv(run.path("live.tsv"))
    if not rows:
        return []
    if not cases:  # an older run: the cases in their order, no metadata
        seen = []
        for r in rows:
            if r["case"] not in seen:
                seen.append(r["case"])
        cases = [{"case": c, "part": "", "vs": "-", "goal": "-"} for c in seen]
    out = []
    for c in cases:
        name = c["case"]
        mine = [r for r in rows if r["case"] == name]
        part = c.get("part") or (mine[0]["part"] if mine else "-")
        ok = sum(1 for r in mine if r["status"] == "ok")
        good = [r for r in mine if r["status"] in ("ok", "mismatch")]
        if not good:
            out.append([part, name, 0, "-", "-", "-", "-", "-", "-", "-",
                        "%d/%d" % (ok, len(mine)), c["vs"], c["goal"]])
            continue
        own = [float(r["us_pkt_own"]) for r in good]
        out.append([part, name, len(good), "%.3f" % min(own), "%.3f" % median(own),
                    "%.3f" % max(own), "%.0f" % median([float(r["pps"]) for r in good]),
                    "%.3f" % median([float(r["us_pkt_all"]) for r in good]),
                    "%.3f" % median([float(r["us_pkt_cpu0"]) for r in good]),
                    "%.3f" % median([float(r["us_pkt_wall"]) for r in good]),
                    "%d/%d" % (ok, len(mine)), c["vs"], c["goal"]])
    med = {r[1]: num(r[4]) for r in out}
    table = []
    for r in out:
        none = "ctr-none" if r[0] == "ctr" else "none"
        rb = rn = "-"
        if med.get(r[11]) and r[4] != "-":
            rb = "%.3f" % (float(r[4]) / med[r[11]])
        if med.get(none) and r[4] != "-":
            rn = "%.3f" % (float(r[4]) / med[none])
        table.append(r + [rb, rn])
    write_tsv(run.path("live_summary.tsv"),
              ["part", "case", "runs", "us_pkt_min", "us_pkt_median", "us_pkt_max",
               "pps_median", "us_pkt_all_cpus_median", "us_pkt_cpu0_median",
               "us_pkt_wall_median", "counted_eq_sent", "vs", "goal", "ratio_vs",
               "ratio_vs_none"], table)
    return table


# Pairs of live cases compared round by round (issue 15, item 3): the ratio
# of each round's figures, so that the spread of those ratios over the rounds
# is the noise band of the comparison.
LIVE_PAIRS = [("fwctl-tc", "nft-ingress"), ("tc-drop", "nft-ingress"),
              ("fwctl-tc", "tc-drop"), ("fwctl-xdp-native", "xdp-drop-native"),
              ("ctr-egress-fwctl", "ctr-egress-nft")]


def live_pairs(run):
    rows = read_tsv(run.path("live.tsv"))
    by = {}
    for r in rows:
        if r["status"] in ("ok", "mismatch"):
            by[(r["case"], r["round"])] = float(r["us_pkt_own"])
    out = []
    for a, b in LIVE_PAIRS:
        ratios = sorted(by[(a, rd)] / by[(b, rd)] for (c, rd) in by
                        if c == a and (b, rd) in by and by[(b, rd)] > 0)
        if not ratios:
            continue
        m = median(ratios)
        # The band: the middle of the rounds' ratios (all of them up to 4
        # rounds, else the 2nd lowest to the 2nd highest).
        lo, hi = (ratios[0], ratios[-1]) if len(ratios) <= 4 else (ratios[1], ratios[-2])
        out.append([a, b, len(ratios), "%.3f" % m, "%.3f" % ratios[0], "%.3f" % lo,
                    "%.3f" % hi, "%.3f" % ratios[-1]])
    write_tsv(run.path("live_pairs.tsv"),
              ["case", "vs", "rounds", "ratio_median", "ratio_min", "band_lo", "band_hi",
               "ratio_max"], out)
    return out


# --- program cost -------------------------------------------------------------
def summarize_prog_cost(run):
    rows = read_tsv(run.path("prog_cost.tsv"))
    if not rows:
        return []
    order, by = [], {}
    for r in rows:
        k = (r["frame"], r["hook"], r["program"])
        if k not in by:
            order.append(k)
            by[k] = []
        by[k].append(r)
    out = []
    for k in order:
        s = by[k]
        ns = [float(r["ns"]) for r in s]
        fl = [float(r["floor_ns"]) for r in s]
        out.append(list(k) + [
            s[-1]["verdict"], len(s), "%.2f" % min(ns), "%.2f" % median(ns), "%.2f" % max(ns),
            "%.2f" % median(fl),
            "%.3f" % median([a / b for a, b in zip(ns, fl) if b > 0]),
            "%.2f" % median([a - b for a, b in zip(ns, fl)]),
            g(median([float(r["test_run_ns"]) for r in s]))])
    write_tsv(run.path("prog_cost_summary.tsv"),
              ["frame", "hook", "program", "verdict", "runs", "ns_min", "ns_median", "ns_max",
               "floor_ns_median", "ratio_vs_floor", "extra_ns", "test_run_ns_median"], out)
    return out


def sample_findings(run):
    """monitor --packets' cost from the raw samples, each round's pair taken
    together (a per-round difference cancels drift): fwctl against its build
    without the drop-sample test (listener off), and its build with the flag
    on (fw+listener: a flood under a listener) against fwctl."""
    per = {}
    for r in read_tsv(run.path("prog_cost.tsv")):
        per.setdefault((r["frame"], r["hook"], r["program"]), {})[r["round"]] = (
            float(r["ns"]) - float(r["floor_ns"]))
    lines = []
    for (fr, hook, prog) in sorted(per):
        if not prog.startswith("fw-nosample"):
            continue
        suffix = prog[len("fw-nosample"):]
        base = per[(fr, hook, prog)]
        fw = per.get((fr, hook, "fwctl" + suffix))
        on = per.get((fr, hook, "fw+listener" + suffix))
        if not fw:
            continue
        off = [fw[i] - base[i] for i in fw if i in base]
        text = "  %-14s %-3s %-4s listener off %+.2f ns (fwctl - fw-nosample, paired median)" % (
            fr, hook, suffix.lstrip("-") or "", median(off))
        if on:
            flood = [on[i] - fw[i] for i in on if i in fw]
            text += "; on %+.2f ns (fw+listener - fwctl)" % median(flood)
        lines.append(text)
    return lines


def prog_cost_findings(pc):
    """fwctl against the lower bound and xdp-filter, and per extension header."""
    cell = {(r[0], r[1], r[2]): r for r in pc}
    lines = []
    for (fr, hook, prog), r in cell.items():
        if prog not in ("fwctl", "fwctl-in", "fwctl-out"):
            continue
        lb = cell.get((fr, hook, "lower-bound")) or cell.get((fr, hook, "lower-bound6"))
        if lb:
            lines.append("  %-9s %-3s %-14s %sx floor, lower bound %sx: %+.2fx (%+.2f ns)"
                         % (prog, hook, fr, r[9], lb[9], float(r[9]) - float(lb[9]),
                            float(r[10]) - float(lb[10])))
        lbc = cell.get((fr, hook, "lower-bound+"))
        if lbc:
            lines.append("  %-9s %-3s %-14s %sx floor, lower bound+ %sx: %+.2fx (%+.2f ns)"
                         % (prog, hook, fr, r[9], lbc[9], float(r[9]) - float(lbc[9]),
                            float(r[10]) - float(lbc[10])))
    for (fr, hook, prog), r in cell.items():
        if hook != "xdp" or not prog.startswith("xdp-filter"):
            continue
        fw = cell.get((fr, hook, "fwctl"))
        if fw:
            lines.append("  fwctl     xdp %-14s %s ns vs %s %s ns (%s): %.2fx"
                         % (fr, fw[6], prog, r[6], r[3], float(fw[6]) / float(r[6])))
    for (fr, hook, prog), r in cell.items():
        fw = cell.get((fr, hook, "fwctl"))
        if prog.startswith("fwctl@") and fw:
            lines.append("  %-9s %-3s %-14s %s ns, fwctl on a low ifindex %s ns: %+.2f ns"
                         % (prog, hook, fr, r[6], fw[6], float(r[6]) - float(fw[6])))
    for hook, prog in (("xdp", "fwctl"), ("tc", "fwctl-in"), ("tc", "fwctl-out"),
                       ("xdp", "lower-bound6"), ("tc", "lower-bound6")):
        a = cell.get(("ipv6-6ext-udp", hook, prog))
        b = cell.get(("ipv6-udp-64", hook, prog))
        if a and b:
            lines.append("  %-9s %-3s per IPv6 extension header: %+.2f ns (6 headers: %s ns,"
                         " none: %s ns)" % (prog, hook, (float(a[6]) - float(b[6])) / 6, a[6],
                                            b[6]))
    return lines


def summarize_prog_scale(run):
    rows = read_tsv(run.path("prog_scale.tsv"))
    if not rows:
        return []
    ns_all = sorted({int(r["n"]) for r in rows})
    order, by, st = [], {}, {}
    for r in rows:
        n = int(r["n"])
        if r["status"] != "ok":
            k = ("-", "-", "-")
            if k not in order:
                order.append(k)
            st[k + (n,)] = r["status"]
            continue
        k = (r["frame"], r["hook"], r["program"])
        if k not in order:
            order.append(k)
        by.setdefault(k + (n,), []).append(r)
        st[k + (n,)] = "ok"
    out = []
    for k in order:
        base = None
        for n in ns_all:
            kk = k + (n,)
            if kk not in st:
                continue
            s = by.get(kk, [])
            if not s:
                out.append(list(k) + [n, "-", 0, "-", "-", "-", "-", st[kk]])
                continue
            v = [float(r["ns"]) for r in s]
            md = median(v)
            if base is None:
                base = md
            out.append(list(k) + [n, s[-1]["verdict"], len(s), "%.2f" % min(v), "%.2f" % md,
                                  "%.2f" % max(v), "%.3f" % (md / base) if base else "-",
                                  st[kk]])
    write_tsv(run.path("prog_scale_summary.tsv"),
              ["frame", "hook", "program", "n", "verdict", "runs", "ns_min", "ns_median",
               "ns_max", "vs_smallest_n", "status"], out)
    return out


# --- control plane, exposure, drift ---------------------------------------------
def summarize_ctl(run):
    rows = read_tsv(run.path("ctl.tsv"))
    if not rows:
        return []
    ns = sorted({int(r["n"]) for r in rows})
    out = []
    for op in CTL_OPS:
        for n in ns:
            mine = [r for r in rows if r["op"] == op and int(r["n"]) == n]
            if not mine:
                continue
            ok = [r for r in mine if r["status"] == "ok"]
            lim = any(r["status"] == "limit" for r in mine)
            bad = sum(1 for r in mine if r["status"] not in ("ok", "limit"))
            goal = 5 if op in ("block", "unblock") else 100 if op.startswith("stat") else "-"
            st = "limit" if lim else ("errors:%d" % bad) if bad else "ok"
            if not ok:
                out.append([op, n, 0, st, "-", "-", "-", "-", "-", "-", "-", goal, "-"])
                continue
            w = sorted(float(r["wall_ms"]) for r in ok)
            cpu = [float(r["cpu_ms"]) for r in ok]
            waited = sum(1 for r in ok if float(r["wall_ms"]) - float(r["cpu_ms"]) > 50)
            rmed = {}
            for r in ok:
                rmed.setdefault(r["round"], []).append(float(r["wall_ms"]))
            rm = [median(v) for v in rmed.values()]
            out.append([op, n, len(w), st, "%.1f" % w[0], "%.1f" % median(w),
                        "%.1f" % p_rank(w, 0.99), "%.1f" % w[-1], "%.1f" % min(rm),
                        "%.1f" % max(rm), "%.1f" % median(cpu), goal, waited])
    write_tsv(run.path("ctl_summary.tsv"),
              ["op", "n", "calls", "status", "ms_min", "ms_median", "ms_p99", "ms_max",
               "round_median_min", "round_median_max", "cpu_ms_median", "goal_ms", "waited"],
              out)
    return out


def window_row(name, count, missed, v, goal):
    if not v:
        return [name, count, missed, "-", "-", "-", "-", goal]
    v = sorted(v)
    return [name, count, missed, "%.1f" % v[0], "%.1f" % median(v), "%.1f" % p90(v),
            "%.1f" % v[-1], goal]


def summarize_exposure(run):
    rows = read_tsv(run.path("exposure.tsv"))
    if not rows:
        return []
    ok = [r for r in rows if r["status"] == "ok"]
    missed = len(rows) - len(ok)
    e = [float(r["enforced_ms"]) for r in ok]
    j = [float(r["enforced_ms"]) - float(r["joined_ms"]) for r in ok if r["joined_ms"] != "-"]
    first = [float(r["enforced_ms"]) for r in ok if r["port"] == "vethc1"]
    later = [float(r["enforced_ms"]) for r in ok if r["port"] != "vethc1"]
    out = [window_row("created->enforced", len(rows), missed, e, 20),
           window_row("joined->enforced", len(rows), missed, j, 20),
           window_row("first-port", len(first), "-", first, 20),
           window_row("later-ports", len(later), "-", later, 20)]
    write_tsv(run.path("exposure_summary.tsv"),
              ["window", "ports", "missed", "ms_min", "ms_median", "ms_p90", "ms_max",
               "goal_ms"], out)
    return out


def summarize_drift(run):
    rows = read_tsv(run.path("drift.tsv"))
    if not rows:
        return []
    kinds = []
    for r in rows:
        if r["kind"] not in kinds:
            kinds.append(r["kind"])

    def row(name, mine):
        ok = [float(r["restored_ms"]) for r in mine if r["status"] == "ok"]
        return window_row(name, len(mine), len(mine) - len(ok), ok, 1000)

    out = [row("all", rows)] + [row(k, [r for r in rows if r["kind"] == k]) for k in kinds]
    write_tsv(run.path("drift_summary.tsv"),
              ["drift", "events", "missed", "ms_min", "ms_median", "ms_p90", "ms_max",
               "goal_ms"], out)
    return out


# --- the tables -------------------------------------------------------------------
def fmt_row(fmt, cells):
    return fmt % tuple(cells)


def report_main(run, live, pairs, pc):
    o = ["machine"]
    o += ["  " + line for line in run.machine_text.splitlines()]
    o.append("")
    o.append("live drop over veth: CPU us per packet (sender processes + their softirq + "
             "ksoftirqd),")
    o.append("min/median/max over rounds; pps median; /proc/stat busy us per packet (all CPUs, "
             "CPU 0)")
    o.append("median; counted = runs whose drop counter equalled the packets sent")
    f = "%-19s %-4s %6s %6s %6s %9s %7s %6s %7s  %-17s %6s %6s %5s"
    o.append(fmt_row(f, ["case", "part", "min", "median", "max", "pps", "all-cpu", "cpu0",
                         "counted", "vs", "ratio", "/none", "goal"]))
    for r in live:
        o.append(fmt_row(f, [r[1], r[0], r[3], r[4], r[5], r[6], r[7], r[8], r[10], r[11],
                             r[13], r[14], r[12]]))
    o.append("")
    if pairs:
        o.append("live, same rounds: each round's ratio of CPU us per packet; median, and the "
                 "noise band")
        o.append("(the middle rounds' ratios: all of them up to 4 rounds, else without the "
                 "lowest and highest)")
        f = "%-19s / %-17s %6s %6s  %-15s %s"
        o.append(fmt_row(f, ["case", "vs", "rounds", "median", "band", "min..max"]))
        for r in pairs:
            lo, hi = float(r[5]), float(r[6])
            o.append(fmt_row(f, [r[0], r[1], r[2], r[3], "%s..%s" % (r[5], r[6]),
                                 "%s..%s%s" % (r[4], r[7], "  (band holds 1.000: noise hides"
                                               " the order)" if lo <= 1.0 <= hi else "")]))
        o.append("")
    if pc:
        rounds = run.param("prog_cost", 0, "?")
        repeat = run.param("prog_cost", 3, "?")
        o.append("program cost: wall clock / runs of BPF_PROG_TEST_RUN, %s rounds x %s runs,"
                 % (rounds, repeat))
        o.append("the floor (a do-nothing program, same hook and verdict) run before every "
                 "program;")
        o.append("ns: median per run; ratio, +ns: medians of each sample against its floor; "
                 "test_run:")
        o.append("the kernel's own figure (whole ns); XDP programs attached to idle veths "
                 "(dispatcher)")
        f = "%-14s %-4s %-16s %-7s %4s %7s %7s %7s %7s %7s %7s %8s"
        o.append(fmt_row(f, ["frame", "hook", "program", "verdict", "runs", "min", "median",
                             "max", "floor", "ratio", "+ns", "test_run"]))
        last = None
        for r in pc:
            first = (r[0], r[1]) != last
            last = (r[0], r[1])
            o.append(fmt_row(f, [r[0] if first else "", r[1] if first else "", r[2], r[3],
                                 r[4], r[5], r[6], r[7], r[8], r[9] + "x",
                                 "%+.2f" % float(r[10]), r[11]]))
        o.append("")
        o.append("against the lower bound (fwctl's ratio over it) and xdp-filter (ns); per "
                 "extension header:")
        o += prog_cost_findings(pc)
        found = sample_findings(run)
        if found:
            o.append("drop samples (monitor --packets), per frame; on: every dropped frame "
                     "meets the rate limit:")
            o += found
        o.append("")
    o.append("goals (same run; figures, not verdicts):")
    for r in live:
        if r[12] != "-":
            base = next((x[4] for x in live if x[1] == r[11]), "-")
            o.append("  %-19s / %-17s %s (%s / %s us per packet; goal <= %s)"
                     % (r[1], r[11], r[13], r[4], base, r[12]))
    ok = runs = 0
    for r in live:
        a, _, b = r[10].partition("/")
        ok += int(a)
        runs += int(b)
    o.append("  drops counted == sent in %d of %d runs" % (ok, runs))
    for r in pc:
        if r[2] in ("fwctl", "fwctl-in", "fwctl-out") and r[0] in ("udp-64", "icmp-64"):
            o.append("  %-9s %-4s %-14s %sx the floor (%+.2f ns; goal <= 1.30, or within 0.10x "
                     "of the lower bound)" % (r[2], r[1], r[0], r[9], float(r[10])))
    ctl = read_tsv(run.path("ctl_summary.tsv"))
    ok_ctl = [r for r in ctl if r["status"] == "ok"]
    rule_n = next((r["n"] for r in ok_ctl if r["op"] in ("block", "unblock")), None)
    for r in ok_ctl:
        if r["op"] in ("block", "unblock") and r["n"] == rule_n:
            o.append("  %-11s on a port, N=%-4d median %6.1f ms, p99 %6.1f ms over %d calls, "
                     "%d waited (goal median <= %d ms)"
                     % (r["op"], int(r["n"]), float(r["ms_median"]), float(r["ms_p99"]),
                        int(r["calls"]), int(r["waited"]), int(r["goal_ms"])))
    stat = [r for r in ok_ctl if r["op"].startswith("stat") and int(r["n"]) <= 200]
    if stat:
        big = max(int(r["n"]) for r in stat)
        for op in ("status", "status-json", "stats", "stats-json"):
            r = next((x for x in stat if x["op"] == op and int(x["n"]) == big), None)
            if r:
                o.append("  %-11s N=%-4d (%d interfaces) median %6.1f ms (goal <= 100 ms)"
                         % (op, big, big + 1, float(r["ms_median"])))
    for r in read_tsv(run.path("exposure_summary.tsv")):
        if r["window"] == "created->enforced":
            o.append("  exposure under watch: median %s ms, p90 %s ms, max %s ms over %s ports,"
                     " %s missed (goal median <= %s ms)"
                     % (r["ms_median"], r["ms_p90"], r["ms_max"], r["ports"], r["missed"],
                        r["goal_ms"]))
    for r in read_tsv(run.path("drift_summary.tsv")):
        if r["drift"] == "all":
            o.append("  drift repaired by watch: median %s ms, p90 %s ms, max %s ms over %s "
                     "events, %s missed (goal every one <= %s ms)"
                     % (r["ms_median"], r["ms_p90"], r["ms_max"], r["events"], r["missed"],
                        r["goal_ms"]))
    return "\n".join(o) + "\n"


def report_ctl(run, ctl, exp, drift, pcs):
    o = []
    if ctl:
        o.append("control plane: wall ms per fwctl call, process start included "
                 "(bench/ctl_time),")
        o.append("N = covered ports on one bridge (N+1 interfaces, N container namespaces);")
        o.append("median of all rounds' calls (block, unblock: median / p99); limit: fwctl "
                 "refused N")
        ns, ops, cell = [], [], {}
        for r in ctl:
            if r[1] not in ns:
                ns.append(r[1])
            if r[0] not in ops:
                ops.append(r[0])
            if r[3] == "limit":
                v = "limit"
            elif r[3] != "ok" and not r[2]:
                v = "error"
            elif r[0] in ("block", "unblock"):
                v = "%.1f / %.0f" % (float(r[5]), float(r[6]))
            else:
                v = "%.1f" % float(r[5])
            cell[(r[0], r[1])] = v
        o.append("%-12s" % "op" + "".join(" %13s" % ("N=%s" % n) for n in ns))
        for op in ops:
            o.append("%-12s" % op + "".join(" %13s" % cell.get((op, n), "-") for n in ns))
        o.append("")
        o.append("the same, every figure: ms over all calls (p99: nearest rank, = max below 100")
        o.append("calls); rounds: lowest and highest round median; cpu: median user+system ms;")
        o.append("waited: calls whose wall time exceeded their CPU time by > 50 ms (fwctl's one")
        o.append("lock for all namespaces: other fwctl calls on the machine, e.g. test suites)")
        f = "%-12s %5s %5s %7s %7s %7s %7s %7s %7s %7s %5s %6s  %s"
        o.append(fmt_row(f, ["op", "N", "calls", "min", "median", "p99", "max", "rnd-lo",
                             "rnd-hi", "cpu", "goal", "waited", "status"]))
        for r in ctl:
            o.append(fmt_row(f, [r[0], r[1], r[2], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                                 r[11], r[12], r[3]]))
        o.append("")
    if exp:
        o.append("exposure window under fwctl watch (bench/exposure.sh): a new port on a "
                 "covered")
        o.append("bridge, from its creation (or its joining the bridge) to its rules enforced, "
                 "ms;")
        o.append("first-port: each round's first port (the first after block on a bridge with "
                 "none),")
        o.append("later-ports: the others")
        f = "%-18s %5s %6s %6s %7s %6s %7s %5s"
        o.append(fmt_row(f, ["window", "ports", "missed", "min", "median", "p90", "max",
                             "goal"]))
        o += [fmt_row(f, r) for r in exp]
        o.append("")
    if drift:
        ports = run.param("drift", 5, "?")
        o.append("drift repair under fwctl watch (bench/drift.sh, %s ports): a port's clsact"
                 % ports)
        o.append("deleted or its XDP turned off, until the hook is back, ms (missed: not back "
                 "in 3 s)")
        f = "%-18s %6s %6s %6s %7s %6s %7s %5s"
        o.append(fmt_row(f, ["drift", "events", "missed", "min", "median", "p90", "max",
                             "goal"]))
        o += [fmt_row(f, r) for r in drift]
        o.append("")
    if pcs:
        o.append("program cost at N covered interfaces (prog_cost -f -i N, wall ns per run,")
        o.append("%s runs per test-run; x1: median / the same program's at the smallest N)"
                 % run.param("prog_scale", 0, "?"))
        f = "%-14s %-4s %-9s %5s %-7s %4s %6s %7s %6s %6s  %s"
        o.append(fmt_row(f, ["frame", "hook", "program", "N", "verdict", "runs", "min",
                             "median", "max", "x1", "status"]))
        o += [fmt_row(f, r) for r in pcs]
        o.append("")
    elif os.path.exists(run.path("prog_scale.skip")):
        o.append("program cost at N covered interfaces: not measured: "
                 + open(run.path("prog_scale.skip")).read().strip())
        o.append("")
    return "\n".join(o) + "\n"


# --- the chart ----------------------------------------------------------------------
def plot(run, live, pc, ctl, exp, pcs):
    if not shutil.which("gnuplot"):
        print("bench: gnuplot missing (apt-get install gnuplot-nox): no chart this time",
              file=sys.stderr)
        return False
    # plot_live.dat: y, label, median, min, max, kind, note
    lines, y, last = [], 0, None
    for i, r in enumerate(live):
        if r[4] == "-":
            continue
        kind = 1 if "fwctl" in r[1] else 3 if "none" in r[1] else 2 if "drop" in r[1] else 0
        if last is not None and r[0] != last:
            y -= 1
        last = r[0]
        lab = "%.2fx %s" % (float(r[13]), r[11]) if r[13] != "-" else "-"
        if r[12] != "-":
            lab += " (goal %s)" % r[12]
        lines.append("%d\t%s\t%s\t%s\t%s\t%d\t%s" % (y, r[1], r[4], r[3], r[5], kind, lab))
        y -= 1
    open(run.path("plot_live.dat"), "w").write("\n".join(lines) + "\n")
    pc_dat = ""
    if pc:
        lines, y, last = [], 0, None
        for r in pc:
            if last is not None and (r[0], r[1]) != last:
                y -= 1
            last = (r[0], r[1])
            kind = 1 if r[2].startswith("fwctl") else 4 if r[2].startswith("lower-bound") else 0
            lab = "%s %s %s" % (r[0], r[1], r[2]) if r[2] in ("fwctl", "fwctl-in") else r[2]
            lines.append("%d\t%s\t%s\t%s\t%s\t%d\t%sx %+.1f ns" % (
                y, lab, r[6], r[5], r[7], kind, r[9], float(r[10])))
            y -= 1
            if r[2] in ("fwctl", "fwctl-in"):  # the row's floor once, under its first row
                lines.append("%d\t%s\t%s\t%s\t%s\t2\t-" % (y, "floor", r[8], r[8], r[8]))
                y -= 1
        pc_dat = run.path("plot_pc.dat")
        open(pc_dat, "w").write("\n".join(lines) + "\n")
    ctl_dat = ctl_ops = ctl_x = ctl_lim = ""
    if ctl:
        ctl_dat = run.path("plot_ctl.dat")
        ops = []
        for r in ctl:
            if r[3] == "ok" and r[0] not in ops:
                ops.append(r[0])
        blocks = ["".join("%s\t%s\t%s\t%s\t%s\n" % (r[1], r[5], r[6], r[8], r[9])
                          for r in ctl if r[0] == op and r[3] == "ok") for op in ops]
        open(ctl_dat, "w").write("\n\n".join(blocks))
        ctl_ops = " ".join(ops) + " "
        ns = []
        for r in ctl:
            if r[1] not in ns:
                ns.append(r[1])
        ctl_x = "(" + ", ".join('"%s" %s' % (n, n) for n in ns) + ")"
        lim, seen = [], set()
        for r in ctl:
            if r[3] == "limit" and r[1] not in seen:
                seen.add(r[1])
                lim.append("%s\t%s\n" % (r[1], r[0]))
        if lim:
            ctl_lim = run.path("plot_ctl_limit.dat")
            open(ctl_lim, "w").write("".join(lim))
    exp_dat = exp_title = ""
    if exp:
        exp_dat = run.path("plot_exp.dat")
        v = sorted(float(r["enforced_ms"]) for r in read_tsv(run.path("exposure.tsv"))
                   if r["status"] == "ok")
        open(exp_dat, "w").write("".join("%g\t%g\n" % (x, (i + 1) / len(v))
                                         for i, x in enumerate(v)))
        e = {r[0]: r for r in exp}
        c = e["created->enforced"]
        exp_title = "%d ports: median %s, p90 %s, max %s ms; %s missed|" % (
            int(c[1]), c[4], c[5], c[6], c[2])
        exp_title += "medians: first port of a round %s ms, the others %s ms" % (
            e["first-port"][4], e["later-ports"][4])
    pcs_dat = pcs_names = pcs_note = ""
    if pcs:
        pcs_dat = run.path("plot_pcs.dat")
        names, blocks = [], {}
        for r in pcs:
            # fwctl's XDP and TC ingress programs: TC egress runs the same
            # code (its figures are in the table).
            if r[2] in ("fwctl", "fwctl-in") and r[10] == "ok":
                k = "%s/%s" % (r[0], r[1])
                if k not in blocks:
                    names.append(k)
                    blocks[k] = ""
                blocks[k] += "%s\t%s\t%s\t%s\n" % (r[3], r[7], r[6], r[8])
        open(pcs_dat, "w").write("\n\n".join(blocks[k] for k in names))
        pcs_names = " ".join(names) + " "
        if not names:
            pcs_dat, pcs_note = "", "not measured:|prog_cost -i N failed (prog_scale.log)"
    elif os.path.exists(run.path("prog_scale.skip")):
        pcs_note = "not measured:|" + open(run.path("prog_scale.skip")).read().strip()
        pcs_note = pcs_note.replace("'", "")
    subtitle = "%s, %s x %s, %s, %s rounds" % (
        run.machine.get("kernel", "?"), run.machine.get("nproc", "?"),
        run.machine.get("cpu", "?"), run.machine.get("date", "?")[:10],
        run.param("rounds", 0, "?"))

    def q(s):
        return "'" + str(s).replace("'", "") + "'"

    cmd = ["gnuplot",
           "-e", "live=%s; pc=%s; out=%s" % (q(run.path("plot_live.dat")), q(pc_dat),
                                             q(run.path("bench.png"))),
           "-e", "ctl=%s; ctlops=%s; ctlx=%s; lim=%s" % (q(ctl_dat), q(ctl_ops), q(ctl_x),
                                                       q(ctl_lim)),
           "-e", "exp=%s; exptitle=%s" % (q(exp_dat), q(exp_title)),
           "-e", "pcs=%s; pcsnames=%s; pcsnote=%s" % (q(pcs_dat), q(pcs_names), q(pcs_note)),
           "-e", "subtitle=%s" % q(subtitle),
           os.path.join(ROOT, "bench", "plot.gp")]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        print("bench: gnuplot failed: " + "\n".join(p.stderr.splitlines()[:3]),
              file=sys.stderr)
        return False
    return True


def update_docs(run):
    doc = os.path.join(ROOT, "docs", "benchmarks.md")
    shutil.copy(run.path("bench.png"), os.path.join(ROOT, "docs", "bench.png"))
    text = open(doc).read().split("\n")
    for name, fname in (("bench", "summary_main.txt"), ("bench-ctl", "summary_ctl.txt")):
        b, e = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
        if b not in text or e not in text:
            print("bench: %s has no %s marker: %s not copied" % (doc, b, fname),
                  file=sys.stderr)
            continue
        i, j = text.index(b), text.index(e)
        body = open(run.path(fname)).read().rstrip("\n").split("\n")
        text = text[:i + 1] + ["```"] + body + ["```"] + text[j:]
    open(doc, "w").write("\n".join(text))
    print("bench: updated docs/bench.png and %s" % doc, file=sys.stderr)


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1 or not os.path.isdir(args[0]):
        print(__doc__.strip().split("\n\n")[-2], file=sys.stderr)
        return 2
    run = Run(os.path.abspath(args[0]))
    live = summarize_live(run)
    pairs = live_pairs(run)
    pc = summarize_prog_cost(run)
    ctl = summarize_ctl(run)
    exp = summarize_exposure(run)
    drift = summarize_drift(run)
    pcs = summarize_prog_scale(run)
    main_txt = report_main(run, live, pairs, pc)
    ctl_txt = report_ctl(run, ctl, exp, drift, pcs)
    open(run.path("summary_main.txt"), "w").write(main_txt)
    open(run.path("summary_ctl.txt"), "w").write(ctl_txt)
    both = main_txt + "\n" + ctl_txt
    open(run.path("summary.txt"), "w").write(both)
    sys.stdout.write(both)
    if "--plot" in argv and plot(run, live, pc, ctl, exp, pcs):
        print("chart: " + run.path("bench.png"))
        if "--docs" in argv:
            update_docs(run)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
