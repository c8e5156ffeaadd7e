#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_metrics.sh - `watch --metrics-file` writes one valid exposition for
# every namespace it watches: promtool finds nothing wrong, node_exporter's
# textfile collector reads it (node_textfile_scrape_error 0) and serves the
# fwctl series with the drops this test caused; --netns adds to -n; the file
# is replaced by rename, never written through a symlink planted at its name.
#
#   fwtestmeta: va 192.168.231.1/30 ==== vb 192.168.231.2/30 :fwtestmetb
#               icmp blocked --dir out          icmp blocked --dir out
#   A -> B: 3 echo requests dropped by va (out), counted in fwtestmeta
#   B -> A: 4 echo requests dropped by vb (out), counted in fwtestmetb
#   node_exporter listens on 127.0.0.1 inside fwtestmeta.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq curl promtool prometheus-node-exporter
bare_ns meta
A=$BARE
bare_ns metb
B=$BARE
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.231.1/30 dev va
ip -n "$B" addr add 192.168.231.2/30 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up

DIR=$T_TMP/textfile
F=$DIR/fwctl.prom
mkdir -p "$DIR"
chmod 1777 "$DIR"
# A symlink planted where the file goes: rename replaces the link, and the
# file it points to is never written.
echo untouched >"$T_TMP/victim"
ln -s "$T_TMP/victim" "$F"

check block_a fw -n "$A" block icmp va --dir out
check block_b fw -n "$B" block icmp vb --dir out
ping_none "$A" 192.168.231.2 3
ping_none "$B" 192.168.231.1 4

# sample FILE NETNS IFNAME: fwctl_packets_total of dropped icmp out there.
sample() {
	awk -v ns="netns=\"$2\"" -v ifn="ifname=\"$3\"" '/^fwctl_packets_total\{/ &&
		index($0, ns) && index($0, ifn) && /proto="icmp"/ && /direction="out"/ &&
		/verdict="dropped"/ { s += $NF; n++ } END { print n ? s : "none" }' "$1"
}

# Waits (bounded: 10 s) until the metrics file holds both namespaces.
wait_metrics() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -f "$F" ] && [ ! -L "$F" ] && grep -q "netns=\"$A\"" "$F" &&
			grep -q "netns=\"$B\"" "$F" && return 0
		sleep 0.1
	done
	T_DETAIL=$(ls -la "$DIR"; head -5 "$F"; echo "watch said:"; tail -5 "$T_TMP/watch.log")
	return 1
}

# -n A plus --netns B: both are watched (--netns adds to -n); B named twice
# is still written once.
"$FWCTL" -n "$A" watch --netns "$B" --netns "$B" --metrics-file "$F" \
	--metrics-interval 1 >"$T_TMP/watch.log" 2>&1 &
watch=$!
t_bg "$watch"
assert metrics_written "no metrics file with both namespaces within 10 s" wait_metrics
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
cp "$F" "$T_TMP/snapshot.prom"
P=$T_TMP/snapshot.prom

expect_eq victim_untouched untouched "$(cat "$T_TMP/victim")"
expect_eq file_replaced_link "regular file 644" "$(stat -c '%F %a' "$F")"
expect_eq no_temp_left "fwctl.prom" "$(ls -A "$DIR" | tr '\n' ' ' | sed 's/ $//')"

for fam in fwctl_packets_total fwctl_bytes_total fwctl_enforced; do
	expect_eq "one_type_$fam" 1 "$(grep -c "^# TYPE $fam " "$P")" "$(cat "$P")"
	expect_eq "one_help_$fam" 1 "$(grep -c "^# HELP $fam " "$P")"
done
expect_eq drops_a 3 "$(sample "$P" "$A" va)" "$(cat "$P")"
expect_eq drops_b 4 "$(sample "$P" "$B" vb)"
expect_eq enforced_a 1 "$(awk -v ns="netns=\"$A\"" '/^fwctl_enforced\{/ && index($0, ns) &&
	/ifname="va"/ && /direction="out"/ { print $NF }' "$P")"
expect_eq no_duplicate_series 0 "$(grep -v '^#' "$P" | sed 's/ [^ ]*$//' | sort | uniq -d | wc -l)"

run promtool check metrics <"$P"
if [ "$RC" -eq 0 ] && [ -z "$OUT$ERR" ]; then
	t_ok promtool_clean
else
	t_fail promtool_clean "promtool check metrics is not clean" "$(last_run)"
fi

# node_exporter's textfile collector alone, on loopback inside namespace A.
PORT=19347
in_ns "$A" timeout 30 prometheus-node-exporter --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$DIR" \
	--web.disable-exporter-metrics --web.listen-address="127.0.0.1:$PORT" \
	>"$T_TMP/node_exporter.log" 2>&1 &
nodex=$!
t_bg "$nodex"
SCRAPE=
scrape() {
	local i
	for ((i = 0; i < 50; i++)); do
		SCRAPE=$(in_ns "$A" curl -sS -m 2 "http://127.0.0.1:$PORT/metrics" 2>/dev/null) &&
			grep -q '^node_textfile_scrape_error' <<<"$SCRAPE" && return 0
		sleep 0.1
	done
	T_DETAIL=$(cat "$T_TMP/node_exporter.log")
	return 1
}
assert node_exporter_scraped "no answer from node_exporter within 5 s" scrape
printf '%s\n' "$SCRAPE" >"$T_TMP/scrape.prom"
expect_eq textfile_scrape_error "node_textfile_scrape_error 0" \
	"$(grep '^node_textfile_scrape_error' "$T_TMP/scrape.prom")" "$(cat "$T_TMP/node_exporter.log")"
expect_eq served_drops_a 3 "$(sample "$T_TMP/scrape.prom" "$A" va)" \
	"$(grep fwctl_ "$T_TMP/scrape.prom" | head -20)"
expect_eq served_drops_b 4 "$(sample "$T_TMP/scrape.prom" "$B" vb)"
kill "$nodex" 2>/dev/null
wait "$nodex" 2>/dev/null

t_done
