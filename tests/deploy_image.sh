#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_image.sh - the container image for real: a Docker engine of the
# test's own, inside a network namespace of its own (so docker0, the
# containers' veths and all traffic stay there), builds the image with
# deploy/build-image.sh (a base from `docker import`, no registry), and runs:
#   - `fwctl --version` and `fwctl doctor` in it, with only the DaemonSet's
#     capabilities;
#   - the node script as the DaemonSet runs it (host network and PIDs, host
#     bpffs, Docker socket and /run/netns read-only, a read-only root, the
#     ruleset in a folder laid out like a ConfigMap volume): it restores the
#     rules at start, re-applies them when kubelet-style symlink swaps change
#     them, keeps the old ones when the new file is bad, follows a container
#     restart (fwctl watch), and stops on SIGTERM leaving the rules in force;
#   - container: targets need the host's PIDs (hostPID);
#   - bash completion of container: names from this engine.
#
#   fwtestimg (netns): dockerd, docker0 172.17.0.1 -- vethX == fwtestimgweb
#                                                   (busybox sleep, pings)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
command -v dockerd >/dev/null ||
	t_skip_file "needs a Docker engine (apt-get install docker.io)"
DOCKER=${DOCKER:-$(command -v /usr/bin/docker || command -v docker)}
[ -n "$DOCKER" ] || t_skip_file "needs the docker client (apt-get install docker.io)"
require_cmd nsenter busybox

CAPS=(--cap-drop ALL --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE)
IMAGE=fwctl:test
WEB=fwtestimgweb
NODE=fwtestimgnode

bare_ns img
NS=$BARE
D=$T_TMP/docker
mkdir -p "$D"
export DOCKER_HOST=unix://$D/docker.sock

# Containers first (dockerd would wait on them), then dockerd, then anything
# it left mounted under its data root; then lib.sh's cleanup (fwctl state, the
# namespace, $T_TMP).
# shellcheck disable=SC2317 # runs from the EXIT trap
img_cleanup() {
	local pid i
	if [ -S "$D/docker.sock" ]; then
		timeout 20 "$DOCKER" rm -f "$NODE" "$WEB" >/dev/null 2>&1
	fi
	pid=$(cat "$D/docker.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for i in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$pid" 2>/dev/null
	fi
	grep -o " ${D}[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	[ -x "$FWCTL" ] && "$FWCTL" -q -n "$NS" detach --all >/dev/null 2>&1
	return 0
}
trap 'img_cleanup; t_cleanup' EXIT

nsenter --net="/run/netns/$NS" dockerd --data-root "$D/data" --exec-root "$D/exec" \
	-H "$DOCKER_HOST" --pidfile "$D/docker.pid" --iptables=false --ip6tables=false \
	>"$D/dockerd.log" 2>&1 &
for i in $(seq 1 60); do
	"$DOCKER" info >/dev/null 2>&1 && break
	sleep 0.5
done
if ! "$DOCKER" info >/dev/null 2>&1; then
	t_skip_file "dockerd did not start here: $(tail -3 "$D/dockerd.log" | tr '\n' ' ')"
fi

run env DOCKER="$DOCKER" bash deploy/build-image.sh -f "$FWCTL" -t "$IMAGE"
if [ "$RC" -ne 0 ]; then
	t_fail image_builds "deploy/build-image.sh failed" "$(last_run)"
	t_done
fi
t_ok image_builds
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
if [ "$size" -lt $((64 << 20)) ]; then
	t_ok image_small
else
	t_fail image_small "image is $((size >> 20)) MiB; the base should hold fwctl's libraries only"
fi

run "$DOCKER" run --rm --entrypoint fwctl "$IMAGE" --version
if [ "$RC" -eq 0 ] && grep -qF "fwctl $(cat VERSION)" <<<"$OUT"; then
	t_ok image_version
else
	t_fail image_version "fwctl --version in the image" "$(last_run)"
fi

run "$DOCKER" run --rm --network host "${CAPS[@]}" -v /sys/fs/bpf:/sys/fs/bpf \
	--entrypoint fwctl "$IMAGE" doctor
if [ "$RC" -eq 0 ] && grep -q '^ok  *privileges' <<<"$OUT" && grep -q '^ok  *bpffs' <<<"$OUT" &&
	! grep -q '^missing' <<<"$OUT"; then
	t_ok image_doctor
else
	t_fail image_doctor "fwctl doctor in the image, with the DaemonSet's capabilities" \
		"$(last_run)"
fi

# --- a container to protect --------------------------------------------------------
check web_runs "$DOCKER" run -d --name "$WEB" --entrypoint /bin/busybox "$IMAGE" sleep 600
web_ip() { "$DOCKER" inspect -f '{{.NetworkSettings.IPAddress}}' "$WEB"; }
IP=$(web_ip)
assert web_reachable "no ping to the container before fwctl" ping_ok "$NS" "$IP"

# container: targets resolve the container's PID in /proc: without the host's
# PIDs (hostPID) the container's own /proc has no such process.
run "$DOCKER" run --rm --network host "${CAPS[@]}" -v /sys/fs/bpf:/sys/fs/bpf \
	-v /run/netns:/run/netns:ro -v "$D/docker.sock:/var/run/docker.sock:ro" \
	--entrypoint fwctl "$IMAGE" -q block icmp "container:$WEB"
if [ "$RC" -ne 0 ]; then
	t_ok container_target_needs_hostpid
else
	t_fail container_target_needs_hostpid "worked without --pid host" "$(last_run)"
	"$FWCTL" -q -n "$NS" detach --all
fi

# --- the node script, as the DaemonSet runs it --------------------------------------
# A ConfigMap volume: rules.conf -> ..data/rules.conf, ..data -> ..<stamp>;
# kubelet updates it by pointing ..data at a new folder in one rename.
CM=$T_TMP/configmap
mkdir -p "$CM"
gen=0
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
configmap "# staged by deploy_image.sh" "block icmp container:$WEB"

# blocked_now DIR: the protocols the container's port blocks toward DIR.
blocked_now() {
	"$FWCTL" -n "$NS" -j status 2>/dev/null |
		jq -r --arg c "$WEB" --arg d "$1" \
			'[.interfaces[] | select(.container == $c) | .blocked[$d][]] | join(",")'
}
# wait_blocked NAME DIR WANT: within 15 s the port blocks exactly WANT.
wait_blocked() {
	local name=$1 dir=$2 want=$3 got i
	for i in $(seq 1 30); do
		got=$(blocked_now "$dir")
		[ "$got" == "$want" ] && break
		sleep 0.5
	done
	expect_eq "$name" "$want" "$got" "$("$DOCKER" logs "$NODE" 2>&1 | tail -5)"
}

check node_starts "$DOCKER" run -d --name "$NODE" --network host --pid host --read-only \
	"${CAPS[@]}" -v /sys/fs/bpf:/sys/fs/bpf -v /run/netns:/run/netns:ro \
	-v "$D/docker.sock:/var/run/docker.sock:ro" -v "$CM:/etc/fwctl:ro" \
	-e FWCTL_RELOAD_SECONDS=1 -e FWCTL_METRICS_LISTEN=127.0.0.1:19471 "$IMAGE"
wait_blocked node_restores_at_start out icmp
assert node_blocks_ping "ping to the container still answered" ping_none "$NS" "$IP"
# /metrics from the image: libmicrohttpd, opened at run time, is in it.
served=$(in_ns "$NS" curl -sS -m 3 http://127.0.0.1:19471/metrics 2>&1)
if grep -q '^# TYPE fwctl_packets_total counter' <<<"$served"; then
	t_ok node_serves_metrics
else
	t_fail node_serves_metrics "no exposition on 127.0.0.1:19471/metrics" "$served" \
		"$("$DOCKER" logs "$NODE" 2>&1 | tail -5)"
fi

configmap "block icmp,udp container:$WEB"
wait_blocked node_reapplies_on_change out icmp,udp

configmap "block icmp,bogus container:$WEB"
sleep 3
expect_eq node_keeps_rules_on_bad_file "icmp,udp" "$(blocked_now out)"
run "$DOCKER" logs "$NODE"
if grep -q "rules.conf:1: unknown protocol 'bogus'" <<<"$ERR$OUT"; then
	t_ok node_logs_rejection
else
	t_fail node_logs_rejection "the node's log does not say why the file was refused" \
		"$(last_run)"
fi
configmap "block icmp,gre container:$WEB"
wait_blocked node_recovers_after_bad_file out icmp,gre

# The container restarts with a new veth; fwctl watch in the node follows.
check web_restarts "$DOCKER" restart -t 0 "$WEB"
IP=$(web_ip)
wait_blocked node_follows_restart in icmp,gre
assert node_blocks_ping_after_restart "ping answered after the restart" ping_none "$NS" "$IP"

# --- completion of container: names from this engine --------------------------------
# shellcheck source=deploy/completion/fwctl.bash
source deploy/completion/fwctl.bash
COMP_WORDS=(fwctl block icmp container : "${WEB:0:10}")
COMP_CWORD=5
COMPREPLY=()
_fwctl
expect_eq completion_container_names "$WEB" "${COMPREPLY[*]}"

# --- stop: SIGTERM ends the node at once, the rules stay --------------------------
run timeout 30 "$DOCKER" stop -t 10 "$NODE"
code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$NODE")
expect_eq node_stops_cleanly "0:0" "$RC:$code" "$(last_run)"
expect_eq rules_survive_node "icmp,gre" "$(blocked_now out)"

t_done
