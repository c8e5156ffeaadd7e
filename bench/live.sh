#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# live.sh - live drop cost over a veth: a UDP flood of a fixed packet count
# from a sender namespace into a receiver namespace, each case with its own
# filter, measured as packets per second and busy CPU time per packet
# (/proc/stat, all CPUs), with the filter's own drop counter checked against
# the packets sent. bench/run.sh sources this file and interleaves the cases
# round by round; run on its own it does the same for the cases named:
#
#   bash bench/live.sh [-r ROUNDS] [-n PACKETS] [CASE...]   (root)
#
#   fwbench-PID-tx ("container")           fwbench-PID-rx ("host")
#   trafgen / udp_flood, CPU 0
#   fwb-tx 10.201.0.1  [tc egress]  ==veth==>  [XDP | tc ingress | nft
#                                               ingress | iptables raw]
#                                              fwb-rx 10.201.0.2, UDP port 9
#                                              (nothing listens)
#
# Part "rx": trafgen's 60-byte UDP frames, every filter on the receiving
# veth. trafgen (netsniff-ng 0.6.8) runs on CPU 0 with --no-sock-mem and the
# qdisc path (-q), so its frames take dev_queue_xmit like a socket's; the
# receive side runs in the same CPU's softirq, so one core does TX and RX.
# Part "ctr": the same 60-byte datagrams from an ordinary UDP socket
# (bench/udp_flood.c, CPU 0), dropped either on the host side of the veth or
# inside the container at TC egress, before they cross the veth. trafgen
# cannot serve there: its packet socket skips TC egress (qdisc bypass) or,
# on the qdisc path, resends a frame TC egress dropped forever.

# name|part|compared with|goal|what runs
LIVE_CASES=(
	"none|rx|-|-|no filter: UDP finds no socket and drops (counted as UdpNoPorts)"
	"xdp-drop-native|rx|none|-|do-nothing XDP_DROP, native (ip link set xdpdrv)"
	"xdp-drop-generic|rx|none|-|do-nothing XDP_DROP, generic (ip link set xdpgeneric)"
	"tc-drop|rx|none|-|do-nothing TC_ACT_SHOT, cls_bpf da on clsact ingress"
	"nft-ingress|rx|none|-|nft netdev ingress: meta l4proto udp counter drop"
	"ipt-legacy-raw|rx|none|-|iptables-legacy -t raw -A PREROUTING -p udp -j DROP"
	"ipt-nft-raw|rx|none|-|iptables-nft -t raw -A PREROUTING -p udp -j DROP"
	"xdp-filter|rx|xdp-drop-native|-|xdp-filter load -f udp (native) + port -p udp 9"
	"fwctl-xdp-native|rx|xdp-drop-native|1.05|fwctl -n RX block udp fwb-rx"
	"fwctl-xdp-generic|rx|xdp-drop-generic|1.05|fwctl -n RX block udp fwb-rx --mode generic"
	"fwctl-tc|rx|nft-ingress|1.00|fwctl -n RX block udp fwb-rx --hook tc"
	"ctr-none|ctr|-|-|socket flood, no filter: UDP drops on the host side (UdpNoPorts)"
	"ctr-host-fwctl-xdp|ctr|ctr-egress-fwctl|-|host-side veth: fwctl -n RX block udp fwb-rx (XDP native)"
	"ctr-host-fwctl-tc|ctr|ctr-egress-fwctl|-|host-side veth: fwctl -n RX block udp fwb-rx --hook tc"
	"ctr-egress-tc-drop|ctr|ctr-none|-|container side: do-nothing TC_ACT_SHOT on clsact egress"
	"ctr-egress-nft|ctr|ctr-none|-|container side: nft netdev egress: meta l4proto udp counter drop"
	"ctr-egress-fwctl|ctr|ctr-egress-nft|-|container side: fwctl -n TX block udp fwb-tx --dir out (TC egress)"
)

LIVE_HEADER="round	part	case	gen	sent	counted	count_src	stack_in	wall_s	pps	busy_all_s	bg_all_s	busy_cpu0_s	bg_cpu0_s	own_s	us_pkt_all	us_pkt_cpu0	us_pkt_own	us_pkt_wall	status"

live_field() { # live_field CASE N: the Nth |-field of CASE's line
	local c
	for c in "${LIVE_CASES[@]}"; do
		[ "${c%%|*}" = "$1" ] && {
			cut -d'|' -f"$2" <<<"$c"
			return 0
		}
	done
	return 1
}

live_names() {
	local c
	for c in "${LIVE_CASES[@]}"; do echo "${c%%|*}"; done
}

# A MAC address as trafgen bytes: 02:fb:.. -> 0x02, 0xfb, ..
live_hex() { sed 's/^/0x/; s/:/, 0x/g' <<<"$1"; }

# trafgen's frame: 60 bytes, fixed MACs, IPv4 UDP 10.201.0.1:40000 -> :9.
live_trafgen_cfg() {
	B_TGCFG=$BENCH_TMP/udp.cfg
	cat >"$B_TGCFG" <<-EOF
		{
		  $(live_hex $B_RXMAC), $(live_hex $B_TXMAC), c16(0x0800),
		  0x45, 0x00, c16(46), c16(1), c16(0x4000), 64, 17, csumip(14, 33),
		  ${B_TXIP//./, }, ${B_RXIP//./, },
		  c16(40000), c16($B_PORT), c16(26), c16(0),
		  fill(0x41, 18)
		}
	EOF
}

# xdp-filter pins its maps in /sys/fs/bpf/xdp-filter, one instance per
# bpffs: a sleeper in a private mount namespace (inside the receiver's
# network namespace) holds a bpffs of its own, so this run never meets
# another user's xdp-filter, and `nsenter -t HOLDER -m -n` reaches it.
live_xf_start() {
	nsenter --net="/run/netns/$B_RX" unshare --mount --propagation private \
		sh -c 'mount -t bpf bpf /sys/fs/bpf && exec sleep 600' &
	B_XF_HOLDER=$!
	local _
	for _ in $(seq 50); do
		[ "$(cat "/proc/$B_XF_HOLDER/comm" 2>/dev/null)" = sleep ] && return 0
		sleep 0.02
	done
	return 1
}

live_xf() { nsenter -t "$B_XF_HOLDER" -m -n xdp-filter "$@"; }

live_xf_stop() {
	[ -n "${B_XF_HOLDER:-}" ] || return 0
	live_xf unload "$B_RXIF" >/dev/null 2>&1
	kill "$B_XF_HOLDER" 2>/dev/null
	wait "$B_XF_HOLDER" 2>/dev/null
	B_XF_HOLDER=
}

# Attach CASE's filter; its messages go to the log.
live_attach() {
	local rx=(ip netns exec "$B_RX") tx=(ip netns exec "$B_TX")
	case $1 in
	none | ctr-none) ;;
	xdp-drop-native) ip -n "$B_RX" link set dev "$B_RXIF" xdpdrv obj "$B_DROP_OBJ" sec xdp ;;
	xdp-drop-generic) ip -n "$B_RX" link set dev "$B_RXIF" xdpgeneric obj "$B_DROP_OBJ" sec xdp ;;
	tc-drop)
		tc -n "$B_RX" qdisc add dev "$B_RXIF" clsact &&
			tc -n "$B_RX" filter add dev "$B_RXIF" ingress bpf da obj "$B_DROP_OBJ" sec tc
		;;
	ctr-egress-tc-drop)
		tc -n "$B_TX" qdisc add dev "$B_TXIF" clsact &&
			tc -n "$B_TX" filter add dev "$B_TXIF" egress bpf da obj "$B_DROP_OBJ" sec tc
		;;
	nft-ingress)
		"${rx[@]}" nft -f - <<-EOF
			table netdev fwbench {
				chain c {
					type filter hook ingress device "$B_RXIF" priority 0;
					meta l4proto udp counter drop
				}
			}
		EOF
		;;
	ctr-egress-nft)
		"${tx[@]}" nft -f - <<-EOF
			table netdev fwbench {
				chain c {
					type filter hook egress device "$B_TXIF" priority 0;
					meta l4proto udp counter drop
				}
			}
		EOF
		;;
	ipt-legacy-raw) "${rx[@]}" iptables-legacy -t raw -A PREROUTING -p udp -j DROP ;;
	ipt-nft-raw) "${rx[@]}" iptables-nft -t raw -A PREROUTING -p udp -j DROP ;;
	xdp-filter)
		live_xf_start && live_xf load -f udp "$B_RXIF" && live_xf port -p udp "$B_PORT"
		;;
	fwctl-xdp-native | ctr-host-fwctl-xdp) "$FWCTL" -n "$B_RX" block udp "$B_RXIF" ;;
	fwctl-xdp-generic) "$FWCTL" -n "$B_RX" block udp "$B_RXIF" --mode generic ;;
	fwctl-tc | ctr-host-fwctl-tc) "$FWCTL" -n "$B_RX" block udp "$B_RXIF" --hook tc ;;
	ctr-egress-fwctl) "$FWCTL" -n "$B_TX" block udp "$B_TXIF" --dir out ;;
	*) return 1 ;;
	esac
}

# What CASE's filter says it dropped, and where that figure comes from:
# "COUNT SOURCE". The do-nothing XDP programs keep no counter: what the veth
# received minus what reached IP is what they dropped.
live_count() {
	case $1 in
	none | ctr-none) echo "$(b_snmp "$B_RX" Udp NoPorts) UdpNoPorts" ;;
	xdp-drop-native | xdp-drop-generic)
		echo "$(($(b_rx_packets "$B_RX" "$B_RXIF") - $(b_snmp "$B_RX" Ip InReceives))) rx-minus-IpIn"
		;;
	tc-drop) echo "$(b_clsact_drops "$B_RX" "$B_RXIF") clsact-drops" ;;
	ctr-egress-tc-drop) echo "$(b_clsact_drops "$B_TX" "$B_TXIF") clsact-drops" ;;
	nft-ingress) echo "$(b_nft_packets "$B_RX" netdev fwbench) nft-counter" ;;
	ctr-egress-nft) echo "$(b_nft_packets "$B_TX" netdev fwbench) nft-counter" ;;
	ipt-legacy-raw | ipt-nft-raw)
		local ipt=iptables-legacy
		[ "$1" = ipt-nft-raw ] && ipt=iptables-nft
		echo "$(ip netns exec "$B_RX" "$ipt" -t raw -L PREROUTING -v -x -n |
			awk '$3 == "DROP" { n += $1 } END { print n + 0 }') $ipt-counter"
		;;
	xdp-filter)
		echo "$(live_xf status | awk '$1 == "XDP_DROP" { print $2; exit }') xdp-filter-status"
		;;
	fwctl-* | ctr-host-fwctl-*) echo "$(b_fwctl_dropped "$B_RX" "$B_RXIF" in) fwctl-stats" ;;
	ctr-egress-fwctl) echo "$(b_fwctl_dropped "$B_TX" "$B_TXIF" out) fwctl-stats" ;;
	esac
}

# Run one CASE once (round R, PACKETS packets) and print its TSV row.
# Every load is bounded: trafgen and udp_flood by count and by time. They
# run at nice -20 so that, on a shared machine, other work mostly moves to
# the other CPU instead of interleaving with the flood on CPU 0.
live_case() {
	local name=$1 round=$2 n=$3 part gen out c0 c1 src s0 s1 st t0 t1 p0 p1 z0 z1 ba bz k0 k1 u0 u1
	local sent status=ok limit=$((15 + n / 100000)) log=$BENCH_TMP/live.log
	part=$(live_field "$name" 2) || {
		b_log "live: unknown case '$name'"
		return 1
	}
	gen=trafgen
	[ "$part" = ctr ] && gen=udp_flood
	row() {
		local IFS='	'
		echo "$round	$part	$name	$gen	$*"
	}

	echo "== $name round $round" >>"$log"
	if ! b_topo_up >>"$log" 2>&1; then
		b_topo_down
		row 0 0 - 0 0 0 0 0 0 0 0 0 0 0 0 "error:topology"
		return 1
	fi
	if ! live_attach "$name" >>"$log" 2>&1; then
		live_xf_stop
		b_topo_down
		row 0 0 - 0 0 0 0 0 0 0 0 0 0 0 0 "error:attach"
		return 1
	fi
	read -r c0 src <<<"$(live_count "$name")"
	s0=$(b_snmp "$B_RX" Ip InReceives)
	read -r ba bz <<<"$(b_cpu_background)"
	read -r k0 <<<"$(b_ksoftirqd_ticks)"
	b_children_cpu u0
	read -r p0 z0 <<<"$(b_cpu_snap)"
	t0=$(date +%s%N)
	if [ "$gen" = trafgen ]; then
		out=$(timeout -k 2 "$limit" nice -n -20 ip netns exec "$B_TX" trafgen -o "$B_TXIF" \
			-i "$B_TGCFG" -n "$n" -P 1 --no-sock-mem -Q -q 2>&1)
		st=$?
	else
		out=$(timeout -k 2 "$limit" nice -n -20 ip netns exec "$B_TX" "$UDP_FLOOD" -c 0 \
			-t $((limit - 3)) "$B_RXIP" "$B_PORT" "$n" 2>&1)
		st=$?
	fi
	t1=$(date +%s%N)
	read -r p1 z1 <<<"$(b_cpu_snap)"
	b_children_cpu u1
	read -r k1 <<<"$(b_ksoftirqd_ticks)"
	if [ "$gen" = trafgen ]; then
		# trafgen starts its lines with \r
		sent=$(tr -d '\r' <<<"$out" | awk '/packets outgoing/ { print $1; exit }')
	else
		sent=$(awk '$1 == "sent" { print $2; exit }' <<<"$out")
	fi
	printf '%s\n' "$out" >>"$log"
	read -r c1 src <<<"$(live_count "$name")"
	s1=$(b_snmp "$B_RX" Ip InReceives)
	live_xf_stop
	b_topo_down

	sent=${sent:-0}
	if [ "$st" -ne 0 ]; then
		status="error:$gen-exit-$st"
	elif [ "$sent" -ne "$n" ]; then
		status="error:sent-$sent-of-$n"
	elif [ "$((c1 - c0))" -ne "$sent" ]; then
		status=mismatch
	fi
	awk -v n="$sent" -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" -v z0="$z0" \
		-v z1="$z1" -v ba="$ba" -v bz="$bz" -v hz="$(getconf CLK_TCK)" -v c="$((c1 - c0))" \
		-v src="$src" -v s="$((s1 - s0))" -v st="$status" -v u0="$u0" -v u1="$u1" \
		-v k="$((k1 - k0))" \
		-v pre="$round	$part	$name	$gen" '
		BEGIN { w = (t1 - t0) / 1e9; a = (p1 - p0) / hz; z = (z1 - z0) / hz
			ga = ba * w; gz = bz * w; o = u1 - u0 + k / hz
			printf "%s\t%d\t%d\t%s\t%d\t%.4f\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.4f\t%.4f\t%.4f\t%.4f\t%s\n",
			       pre, n, c, src, s, w, n ? n / w : 0, a, ga, z, gz, o,
			       n ? a * 1e6 / n : 0, n ? z * 1e6 / n : 0, n ? o * 1e6 / n : 0,
			       n ? w * 1e6 / n : 0, st }'
}

# On its own: rounds of the named cases (default all), rows on stdout.
live_main() {
	local rounds=3 n=1000000 r c cases=()
	while getopts 'r:n:' opt; do
		case $opt in
		r) rounds=$OPTARG ;;
		n) n=$OPTARG ;;
		*)
			sed -n 's/^#   bash /usage: bash /p' "$0" >&2
			return 2
			;;
		esac
	done
	shift $((OPTIND - 1))
	cases=("$@")
	[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(live_names)
	[ "$(id -u)" -eq 0 ] || b_die "needs root (namespaces, BPF programs)"
	b_need trafgen xdp-filter nft iptables-legacy iptables-nft tc jq clang nsenter unshare
	b_tmp_init
	trap 'live_xf_stop; b_topo_down; b_tmp_cleanup' EXIT
	trap 'exit 130' INT TERM
	b_build_trivial
	b_build_flood
	live_trafgen_cfg
	echo "$LIVE_HEADER"
	for r in $(seq "$rounds"); do
		for c in "${cases[@]}"; do
			live_case "$c" "$r" "$n"
		done
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck source=bench/lib.sh
	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
	live_main "$@"
fi
