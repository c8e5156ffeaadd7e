#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_metrics_http.sh - `watch --metrics-listen` serves the exposition on
# GET /metrics, and nothing else: a real Prometheus server scrapes it and its
# query for dropped ICMP equals the echo requests this test sent; other
# methods, paths and oversized requests are refused while watch keeps
# serving; bad addresses are usage errors; a non-loopback address warns.
#
#   fwtestmhta: va 192.168.232.1/30 ==== vb 192.168.232.2/30 :fwtestmhtb
#                                         icmp blocked --dir in
#   A -> B: 5 echo requests dropped by vb (in), counted in fwtestmhtb.
#   watch, Prometheus and the checks run on 127.0.0.1 inside fwtestmhtb.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq curl prometheus promtool
bare_ns mhta
A=$BARE
bare_ns mhtb
B=$BARE
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 192.168.232.1/30 dev va
ip -n "$B" addr add 192.168.232.2/30 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
SENT=5

# Usage errors first: nothing is listening yet, nothing changes.
for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:65536 localhost:9469 ::1:9469 '[::1]9469' \
	'[127.0.0.1]:9469' :9469; do
	expect_exit 2 "bad_address_${bad//[^0-9a-z]/_}" fw -n "$B" watch --metrics-listen "$bad"
done

check block fw -n "$B" block icmp vb --dir in
ping_none "$A" 192.168.232.2 "$SENT"

PORT=19469
"$FWCTL" -n "$B" watch --metrics-listen "127.0.0.1:$PORT" >"$T_TMP/watch.log" 2>&1 &
watch=$!
t_bg "$watch"

# GET URL [CURL ARGS...]: prints the status code, the body goes to $T_TMP/body.
get() {
	local url=$1
	shift
	in_ns "$B" curl -sS -m 3 -o "$T_TMP/body" -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$url"
}
up() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(get /metrics 2>/dev/null)" = 200 ] && return 0
		sleep 0.1
	done
	T_DETAIL=$(cat "$T_TMP/watch.log")
	return 1
}
assert serving "watch does not answer GET /metrics within 10 s" up
expect_eq logged_listen 1 "$(grep -c "serving /metrics on 127.0.0.1:$PORT" "$T_TMP/watch.log")" \
	"$(cat "$T_TMP/watch.log")"
expect_eq no_warning_on_loopback 0 "$(grep -c 'not loopback' "$T_TMP/watch.log")"

get /metrics >/dev/null
cp "$T_TMP/body" "$T_TMP/scrape.prom"
run promtool check metrics <"$T_TMP/scrape.prom"
if [ "$RC" -eq 0 ] && [ -z "$OUT$ERR" ]; then
	t_ok promtool_clean
else
	t_fail promtool_clean "promtool check metrics is not clean" "$(last_run)"
fi
served=$(awk '/^fwctl_packets_total\{/ && /ifname="vb"/ && /proto="icmp"/ &&
	/direction="in"/ && /verdict="dropped"/ { s += $NF } END { print s + 0 }' "$T_TMP/scrape.prom")
expect_eq served_drops "$SENT" "$served" "$(grep fwctl_ "$T_TMP/scrape.prom" | head -20)"

expect_eq post_refused 405 "$(get /metrics -X POST)"
expect_eq head_ok 200 "$(get /metrics -I)"
expect_eq other_path 404 "$(get /)"
expect_eq other_path_prefix 404 "$(get /metrics/x)"
big=$(head -c 40000 /dev/zero | tr '\0' a)
code=$(get /metrics -H "X-Fill: $big")
if [[ $code == 4?? ]]; then
	t_ok oversized_refused
else
	t_fail oversized_refused "a 40 kB header was answered $code, not 4xx"
fi
expect_eq still_serving 200 "$(get /metrics)"

# A real Prometheus on loopback in B scrapes every second; its view of the
# drops must be the packets sent.
cat >"$T_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: fwctl
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
PPORT=19490
in_ns "$B" timeout 60 prometheus --config.file="$T_TMP/prometheus.yml" \
	--storage.tsdb.path="$T_TMP/tsdb" --web.listen-address="127.0.0.1:$PPORT" \
	>"$T_TMP/prometheus.log" 2>&1 &
prom=$!
t_bg "$prom"
Q='sum(fwctl_packets_total{ifname="vb",proto="icmp",direction="in",verdict="dropped"})'
PROM_SAYS=
queried() {
	local i
	for ((i = 0; i < 200; i++)); do
		PROM_SAYS=$(in_ns "$B" curl -sS -m 2 -G "http://127.0.0.1:$PPORT/api/v1/query" \
			--data-urlencode "query=$Q" 2>/dev/null | jq -r '.data.result[0].value[1] // empty')
		[ -n "$PROM_SAYS" ] && return 0
		sleep 0.1
	done
	T_DETAIL=$(tail -5 "$T_TMP/prometheus.log")
	return 1
}
assert prometheus_scraped "Prometheus has no fwctl series within 20 s" queried
expect_eq prometheus_drops "$SENT" "$PROM_SAYS"
up_q=$(in_ns "$B" curl -sS -m 2 -G "http://127.0.0.1:$PPORT/api/v1/query" \
	--data-urlencode 'query=up{job="fwctl"}' | jq -r '.data.result[0].value[1]')
expect_eq prometheus_target_up 1 "$up_q"
kill "$prom" 2>/dev/null
wait "$prom" 2>/dev/null
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
expect_eq watch_ended 0 "$(pgrep -f "metrics-listen 127.0.0.1:$PORT" | wc -l)"

# Another address than loopback: served, with one warning line.
ip -n "$B" addr add 192.168.232.6/32 dev lo
timeout 3 "$FWCTL" -n "$B" watch --metrics-listen 192.168.232.6:$PORT >"$T_TMP/w2.log" 2>&1
expect_eq warns_beyond_loopback 1 "$(grep -cE '^(<4>)?fwctl: serving .*not loopback' "$T_TMP/w2.log")" \
	"$(cat "$T_TMP/w2.log")"
# The port already taken: one line, exit 1.
in_ns "$B" timeout 5 nc -l 127.0.0.1 "$PORT" >/dev/null 2>&1 &
nc=$!
t_bg "$nc"
sleep 0.3
expect_exit 1 port_taken fw -n "$B" watch --metrics-listen "127.0.0.1:$PORT"
grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" <<<"$ERR" &&
	t_ok port_taken_message || t_fail port_taken_message "unexpected message" "$(last_run)"

t_done
