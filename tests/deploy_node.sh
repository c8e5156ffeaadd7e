#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_node.sh - deploy/fwctl-node.sh, the DaemonSet container's main
# process, run under busybox sh as in the image but without a container (so it
# runs where no Docker engine does; deploy_image.sh runs it in the image):
# restore at start, re-apply when a ConfigMap-style symlink swap changes the
# file, keep the rules in force when the new file is bad, write the metrics
# file and serve /metrics, follow a port that joins the bridge later (fwctl watch), stop on
# SIGTERM with status 0 and the rules still enforced; refuse to start on a bad
# file, changing nothing.
#
#   fwtestnodehost: docker0 -- vethc1 == fwtestnodec1
#                           -- fwnodeport (joins later; its peer fwnodepeer)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd busybox nsenter jq curl

topo_up node 1
CM=$T_TMP/configmap
METRICS=$T_TMP/metrics/fwctl.prom
mkdir -p "$CM" "$T_TMP/metrics"
gen=0
# configmap LINE...: a new ruleset, published the way kubelet updates a
# ConfigMap volume (..data switched to a new folder in one rename).
configmap() {
	gen=$((gen + 1))
	mkdir "$CM/..gen$gen"
	printf '%s\n' "$@" >"$CM/..gen$gen/rules.conf"
	ln -s "..gen$gen" "$CM/..data_tmp"
	mv -T "$CM/..data_tmp" "$CM/..data"
	[ -e "$CM/rules.conf" ] || ln -s ..data/rules.conf "$CM/rules.conf"
	[ "$gen" -gt 1 ] && rm -rf "$CM/..gen$((gen - 1))"
	return 0
}

# The node script in the topology's host namespace. nsenter and env exec, so
# the PID of "${NODE_CMD[@]}" & is the script's own.
NODE_CMD=(nsenter --net="/run/netns/$H" env FWCTL="$FWCTL" FWCTL_RULES="$CM/rules.conf"
	FWCTL_RELOAD_SECONDS=1 FWCTL_METRICS_FILE="$METRICS" FWCTL_METRICS_INTERVAL=1
	FWCTL_METRICS_LISTEN=127.0.0.1:19470 busybox sh deploy/fwctl-node.sh)

blocked() {
	blocked_numbers "$("$FWCTL" -n "$H" -j status 2>/dev/null)" "$1" "$2"
}

# wait_for NAME IFACE DIR WANT: within 10 s IFACE blocks WANT (numbers) in DIR.
wait_for() {
	local name=$1 ifc=$2 dir=$3 want=$4 got i
	for i in $(seq 1 20); do
		got=$(blocked "$ifc" "$dir")
		[ "$got" == "$want" ] && break
		sleep 0.5
	done
	expect_eq "$name" "$want" "$got" "$(tail -5 "$T_TMP/node.log")"
}

# A bad file at start: exit 1, nothing attached.
configmap "block icmp,bogus docker0"
run "${NODE_CMD[@]}"
expect_eq bad_file_at_start_fails "1" "$RC" "$(last_run)"
expect_eq bad_file_at_start_changes_nothing "nothing attached" "$("$FWCTL" -n "$H" status)"

configmap "block icmp docker0"
"${NODE_CMD[@]}" >"$T_TMP/node.log" 2>&1 &
NODE=$!
t_bg "$NODE"
wait_for restores_at_start vethc1 out 1
assert ping_blocked "ping through the bridge still answered" ping_none "$H" "${C_IP4[1]}"

configmap "block icmp,udp docker0"
wait_for reapplies_on_change docker0 in "1 17"

configmap "block icmp,nonsense docker0"
sleep 3
expect_eq keeps_rules_on_bad_file "1 17" "$(blocked docker0 in)" "$(tail -5 "$T_TMP/node.log")"
if grep -q "rejected; the rules in force stay" "$T_TMP/node.log"; then
	t_ok logs_rejection
else
	t_fail logs_rejection "the log does not say the file was refused" "$(cat "$T_TMP/node.log")"
fi

# A port that joins the bridge now gets the bridge's rule from fwctl watch.
ip -n "$H" link add fwnodeport type veth peer name fwnodepeer &&
	ip -n "$H" link set fwnodeport master docker0 up &&
	ip -n "$H" link set fwnodepeer up
wait_for watch_covers_new_port fwnodeport out "1 17"

for _ in $(seq 1 20); do
	[ -s "$METRICS" ] && break
	sleep 0.5
done
if grep -qE '^fwctl_packets_total\{netns="[^"]+",ifname="docker0",.*verdict="dropped"\} [0-9]+$' \
	"$METRICS" 2>/dev/null && grep -q '^# TYPE fwctl_bytes_total counter' "$METRICS"; then
	t_ok metrics_file
else
	t_fail metrics_file "no Prometheus text in $METRICS" "$(head -5 "$METRICS" 2>&1)"
fi

served=
for _ in $(seq 1 20); do
	served=$(in_ns "$H" curl -sS -m 2 http://127.0.0.1:19470/metrics 2>/dev/null) && break
	sleep 0.5
done
if grep -qE '^fwctl_packets_total\{netns="[^"]+",ifname="docker0",.*verdict="dropped"\} [0-9]+$' \
	<<<"$served"; then
	t_ok metrics_served
else
	t_fail metrics_served "no Prometheus text on 127.0.0.1:19470/metrics" "$(tail -5 "$T_TMP/node.log")"
fi

kill -TERM "$NODE"
rc=
for _ in $(seq 1 20); do
	if ! kill -0 "$NODE" 2>/dev/null; then
		wait "$NODE"
		rc=$?
		break
	fi
	sleep 0.25
done
expect_eq stops_on_sigterm "0" "$rc" "$(tail -5 "$T_TMP/node.log")"
expect_eq rules_stay_after_stop "1 17" "$(blocked docker0 in)"
left=$(pgrep -f "deploy/fwctl-node.sh|watch --metrics-file $METRICS")
expect_eq no_process_left "" "$left"

t_done
