#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_block.sh - a protocol blocked on a bridge is dropped between the host and
# its containers and between containers, while other protocols pass; unblock
# brings it back.
#
#   fwtestblkhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestblkc1, httpd)
#                                       +-- vethc2 == eth0 .12 (fwtestblkc2, httpd)
#
# The bridge rule must cover its ports: traffic between c1 and c2 never reaches
# docker0's own XDP hook, only vethc1's and vethc2's.
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up blk 2
C1=${TOPO_PREFIX}c1
C2=${TOPO_PREFIX}c2

topo_baseline

check block_icmp fw -n "$H" block icmp docker0
assert host_ping_dropped "host ping to c1 still answered" ping_none "$H" "${C_IP4[1]}"
assert host_http_passes "HTTP host -> c1 broken by an ICMP block" http_ok "$H" "${C_IP4[1]}" "$C1"
assert c2c_ping_dropped "c1 -> c2 ping still answered (bridge rule must cover ports)" \
	ping_none "$C1" "${C_IP4[2]}"
assert c2c_http_passes "HTTP c1 -> c2 broken by an ICMP block" http_ok "$C1" "${C_IP4[2]}" "$C2"
assert c2h_ping_dropped "c1 -> bridge address ping still answered" ping_none "$C1" "$BR_IP4"
# icmp is protocol 1; IPv6 ping is ipv6-icmp (58) and must pass.
assert ping6_passes "IPv6 ping broken by an icmp (v4) block" ping_ok "$H" "${C_IP6[1]}"

check unblock_icmp fw -n "$H" unblock icmp docker0
assert host_ping_back "host ping to c1 not answered after unblock" ping_ok "$H" "${C_IP4[1]}"
assert c2c_ping_back "c1 -> c2 ping not answered after unblock" ping_ok "$C1" "${C_IP4[2]}"

check block_tcp fw -n "$H" block tcp docker0
assert tcp_http_dropped "HTTP host -> c1 answered with tcp blocked" http_fails "$H" "${C_IP4[1]}"
assert tcp_http6_dropped "HTTP over IPv6 answered with tcp blocked" http_fails "$H" "${C_IP6[1]}"
assert tcp_ping_passes "ping broken by a tcp block" ping_ok "$H" "${C_IP4[1]}"
check unblock_all fw -n "$H" unblock all docker0
assert http_back "HTTP host -> c1 not answered after unblock all" http_ok "$H" "${C_IP4[1]}" "$C1"

# ipv6-icmp also carries neighbour discovery, so IPv6 dies with it; IPv4 lives.
check block_ipv6_icmp fw -n "$H" block ipv6-icmp docker0
assert ping6_dropped "IPv6 ping answered with ipv6-icmp blocked" ping_none "$H" "${C_IP6[1]}"
assert ping4_passes "IPv4 ping broken by an ipv6-icmp block" ping_ok "$H" "${C_IP4[1]}"
check unblock_icmpv6_alias fw -n "$H" unblock icmpv6 docker0
assert ping6_back "IPv6 ping not answered after unblock icmpv6" ping_ok "$H" "${C_IP6[1]}" 3

# A number and mixed case name the same protocols.
check block_by_number fw -n "$H" block 1,TCP docker0
assert number_ping_dropped "ping answered with protocol 1 blocked" ping_none "$H" "${C_IP4[1]}"
assert number_http_dropped "HTTP answered with TCP blocked" http_fails "$H" "${C_IP4[1]}"
check unblock_by_name fw -n "$H" unblock icmp,tcp docker0
ping_and_http_ok() {
	ping_ok "$H" "${C_IP4[1]}" && http_ok "$H" "${C_IP4[1]}" "$C1"
}
assert all_back "ping or HTTP not back after unblock" ping_and_http_ok

# The same with TCX links (FWCTL_TC=tcx) in place of cls_bpf filters: they
# filter alike, are pinned, and detach leaves neither links nor pins.
check detach_for_tcx fw -n "$H" detach --all
check block_icmp_tcx env FWCTL_TC=tcx "$FWCTL" -n "$H" block icmp docker0
tc_kinds() {
	fw -n "$H" -j status | jq -r '[.interfaces[].tc.kind] | unique | join(",")'
}
assert tcx_in_status "status names another TC kind than tcx: $(tc_kinds)" \
	test "$(tc_kinds)" = tcx
tcx_pins() {
	local pins=(/sys/fs/bpf/fwctl/ns"$(stat -L -c %i "/run/netns/$H")"/fw_tcx_out_*)
	[ -e "${pins[0]}" ] && echo ${#pins[@]} || echo 0
}
assert tcx_pinned "expected 3 pinned TCX egress links, found $(tcx_pins)" test "$(tcx_pins)" = 3
assert tcx_ping_dropped "host ping to c1 answered with TCX links" ping_none "$H" "${C_IP4[1]}"
assert tcx_c2c_ping_dropped "c1 -> c2 ping answered with TCX links" ping_none "$C1" "${C_IP4[2]}"
assert tcx_http_passes "HTTP host -> c1 broken with TCX links" http_ok "$H" "${C_IP4[1]}" "$C1"
# Links whose program is one of fwctl's TC programs (bpftool 7.1 prints no
# program names for links).
fw_tcx_links() {
	local progs
	progs=$(bpftool -j prog show | jq -c '[.[] | select(.name | startswith("fw_tc_")) | .id]')
	bpftool -j link show | jq -r --argjson p "$progs" '.[] | select(.prog_id as $i | $p | index($i)) | .id' | sort
}
tcx_before=$(fw_tcx_links)
assert tcx_links_seen "bpftool lists no TCX link of fwctl's programs" test -n "$tcx_before"
check detach_tcx fw -n "$H" detach --all
no_tcx_left() {
	[ -z "$(comm -12 <(echo "$tcx_before") <(fw_tcx_links))" ]
}
assert tcx_links_gone "a TCX link of fwctl is left after detach" no_tcx_left
assert tcx_ping_back "ping not back after detach" ping_ok "$H" "${C_IP4[1]}"

t_done
