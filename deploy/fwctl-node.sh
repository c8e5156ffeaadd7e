#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fwctl-node - the main process of the fwctl DaemonSet's container (busybox sh).
#
#   1. restore the ruleset file (the ConfigMap): atomic; a bad file changes
#      nothing, and at start it ends the container so the error shows;
#   2. swap in this image's BPF programs where older ones run (attach
#      --upgrade), so a new image really deploys new code;
#   3. run `fwctl watch` (with its metrics file and /metrics, if asked for)
#      until stopped;
#   4. meanwhile, every FWCTL_RELOAD_SECONDS, compare the file's checksum and
#      restore it when it changed. Kubelet updates a ConfigMap volume by
#      swapping a symlink, which inotify on the file does not see; a checksum
#      does, whatever the update looks like.
# Stopping the container leaves the rules enforced (the filter outlives fwctl).
#
# Environment: FWCTL_RULES (default /etc/fwctl/rules.conf), FWCTL_RELOAD_SECONDS
# (default 10), FWCTL_METRICS_FILE (none), FWCTL_METRICS_INTERVAL (default 15),
# FWCTL_METRICS_LISTEN (ADDRESS:PORT to serve /metrics on; none), FWCTL
# (default fwctl).
set -u

FWCTL=${FWCTL:-fwctl}
RULES=${FWCTL_RULES:-/etc/fwctl/rules.conf}
RELOAD=${FWCTL_RELOAD_SECONDS:-10}
METRICS=${FWCTL_METRICS_FILE:-}
METRICS_INTERVAL=${FWCTL_METRICS_INTERVAL:-15}
LISTEN=${FWCTL_METRICS_LISTEN:-}

log() {
	echo "fwctl-node: $*" >&2
}

checksum() {
	sha256sum <"$RULES" 2>/dev/null | cut -d' ' -f1
}

# The state must go to the host's bpffs: one the container mounted itself would
# die with the container, and the pinned links with it.
if [ "$(stat -f -c %t /sys/fs/bpf 2>/dev/null)" != cafe4a11 ]; then
	log "/sys/fs/bpf is not the host's bpffs: mount it into the container (hostPath)"
	exit 1
fi
case $RELOAD in
'' | *[!0-9]* | 0) log "bad FWCTL_RELOAD_SECONDS '$RELOAD'"; exit 2 ;;
esac

last=$(checksum)
if [ -z "$last" ]; then
	log "cannot read $RULES; keeping the rules in force"
elif $FWCTL restore "$RULES"; then
	log "restored $RULES (sha256 $last)"
else
	log "$RULES rejected; the rules in force stay"
	exit 1
fi
$FWCTL attach --upgrade || log "could not upgrade the attached programs; the old ones run on"

reload() {
	sum=$1
	while sleep "$RELOAD"; do
		now=$(checksum)
		[ "$now" = "$sum" ] && continue
		sum=$now
		if [ -z "$now" ]; then
			log "cannot read $RULES; keeping the rules in force"
		elif $FWCTL restore "$RULES"; then
			log "restored $RULES (sha256 $now)"
		else
			log "$RULES rejected; the rules in force stay"
		fi
	done
}

set --
[ -n "$METRICS" ] && set -- "$@" --metrics-file "$METRICS" --metrics-interval "$METRICS_INTERVAL"
[ -n "$LISTEN" ] && set -- "$@" --metrics-listen "$LISTEN"
$FWCTL watch "$@" &
watch_pid=$!
reload "$last" &
reload_pid=$!
trap 'kill -TERM "$watch_pid" 2>/dev/null' TERM INT
wait "$watch_pid"
rc=$?
# A signal interrupts the first wait; the second collects watch's own status.
if [ "$rc" -gt 128 ]; then
	wait "$watch_pid"
	rc=$?
fi
kill "$reload_pid" 2>/dev/null
exit "$rc"
