#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: a bridge with two containers, all in network
# namespaces of their own; fwctl blocks ICMP on the bridge; ping stops, HTTP
# goes on; then the counters and the status. Everything is removed at the end
# unless KEEP=1.
#
#   fwdemohost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwdemoc1, httpd)
#                                    +-- vethc2 == eth0 .12 (fwdemoc2, httpd)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
FWCTL=${FWCTL:-$ROOT/build/fwctl}
export FWCTL # topo.sh down detaches with it
readonly TOPO=$ROOT/netns/topo.sh
readonly PREFIX=${DEMO_PREFIX:-fwdemo}
readonly H=${PREFIX}host

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m%s\033[0m\n' "$*"
	else
		printf '\n%s\n' "$*"
	fi
}

# show CMD...: prints the command as typed, then runs it; a failure is part of
# the story, not the end of it.
show() {
	printf '  $ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/    /' || true
}

# Runs CMD in NS with only the network namespace switched, so fwctl's bpffs
# stays the host's.
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

ping_line() {
	local ns=$1 addr=$2
	printf '  $ ping -c 3 %s   (from %s)\n' "$addr" "$ns"
	in_ns "$ns" busybox ping -c 3 -i 0.2 -W 1 "$addr" 2>&1 |
		grep -E 'packets transmitted|sendto' | sed 's/^/    /' || true
}

http_line() {
	local ns=$1 addr=$2
	printf '  $ curl http://%s/   (from %s)\n' "$addr" "$ns"
	in_ns "$ns" curl -sS -m 3 "http://$addr/" 2>&1 | sed 's/^/    /' || true
}

teardown() {
	if [ "${KEEP:-0}" == 1 ]; then
		say "KEEP=1: the topology stays. Try 'build/fwctl -n $H status';"
		echo "remove it with: bash netns/topo.sh down -p $PREFIX"
		return
	fi
	say "Tearing down (fwctl detach --all, namespaces, servers)."
	bash "$TOPO" down -p "$PREFIX"
}

main() {
	[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (network namespaces, BPF)" >&2; exit 1; }
	[ -x "$FWCTL" ] || { echo "demo.sh: $FWCTL missing: run 'make' first" >&2; exit 1; }
	command -v curl >/dev/null || { echo "demo.sh: needs curl" >&2; exit 1; }

	say "Building a bridge (docker0) and two containers, each in its own namespace."
	bash "$TOPO" down -p "$PREFIX"
	bash "$TOPO" up -p "$PREFIX" -c 2
	trap teardown EXIT
	eval "$(bash "$TOPO" env -p "$PREFIX")"
	local c1=$TOPO_NET4.11 c2=$TOPO_NET4.12
	echo "  host namespace $H: docker0 $TOPO_NET4.1; containers ${PREFIX}c1 $c1, ${PREFIX}c2 $c2"

	say "Before: ping and HTTP both work."
	ping_line "$H" "$c1"
	http_line "$H" "$c1"

	say "Block ICMP on the bridge: it covers docker0 and every port on it."
	show "$FWCTL" -n "$H" block icmp docker0

	say "Ping from the host to c1, and from c1 to c2 across the bridge: no replies."
	ping_line "$H" "$c1"
	ping_line "${PREFIX}c1" "$c2"

	say "HTTP (TCP) still passes, both ways."
	http_line "$H" "$c1"
	http_line "${PREFIX}c1" "$c2"

	say "What fwctl counted (6 echo requests dropped, 98 bytes each):"
	show "$FWCTL" -n "$H" stats

	say "What is attached where: generic XDP on the bridge, native on the veths."
	show "$FWCTL" -n "$H" status
}

main "$@"
