#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_exceptions.sh - the most specific target wins. `block icmp docker0`,
# then `unblock icmp netns:<c3>` (the monitoring container):
#   - ICMP between c3 and the host passes, both ways;
#   - ICMP between c3 and another container is dropped: the other side's
#     port still blocks it, and the drops are counted there, exactly;
#   - ICMP between two other containers, and between them and the host, is
#     dropped as before.
# status shows the exception and reports everything enforced; save writes it
# as stated and restore brings it back; unblocking what the bridge does not
# block changes nothing and says so; blocking it again ends the exception.
#
#   fwtestexchost: docker0 --+-- vethc1 == c1    (blocks icmp, through docker0)
#                            +-- vethc2 == c2    (blocks icmp, through docker0)
#                            +-- vethc3 == c3    (excepted: passes icmp)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq

topo_up exc 3
topo_baseline
C1=${TOPO_PREFIX}c1
C2=${TOPO_PREFIX}c2
MON=${TOPO_PREFIX}c3

check block_bridge fw -n "$H" block icmp docker0
run fw -n "$H" unblock icmp "netns:$MON"
if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then
	t_ok except_quietly
else
	t_fail except_quietly "want exit 0 and nothing said" "$(last_run)"
fi

status=$(fw -n "$H" -j status)
expect_eq status_enforced 0 "$(
	fw -n "$H" status >/dev/null 2>&1
	echo $?
)" "$(fw -n "$H" status 2>&1)"
expect_eq mon_port_passes_icmp " " "$(blocked_numbers "$status" vethc3 in) $(blocked_numbers "$status" vethc3 out)" \
	"$status"
expect_eq other_port_blocks_icmp "1 1" "$(blocked_numbers "$status" vethc1 in) $(blocked_numbers "$status" vethc1 out)"
expect_eq bridge_leaves_icmp_to_ports " " "$(blocked_numbers "$status" docker0 in) $(blocked_numbers "$status" docker0 out)"
expect_eq status_lists_exception "icmp icmp" "$(json "$status" --arg t "netns:$MON" \
	'[.rules[] | select(.target == $t) | .except.in[], .except.out[]] | join(" ")')" "$status"

expect_eq status_text_exception 1 "$(fw -n "$H" status 2>&1 |
	grep -cx "netns:$MON: excepted from its bridge's rule: to: icmp  from: icmp")" \
	"$(fw -n "$H" status 2>&1)"

assert host_to_mon "host -> c3 not answered" ping_ok "$H" "${C_IP4[3]}"
assert mon_to_host "c3 -> host (docker0) not answered" ping_ok "$MON" "$BR_IP4"
assert host_to_c1_dropped "host -> c1 answered" ping_none "$H" "${C_IP4[1]}"
assert c1_to_c2_dropped "c1 -> c2 answered" ping_none "$C1" "${C_IP4[2]}"

# c1 -> c3: c1's own port drops the echo requests on their way in.
before=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc1 icmp in)
assert c1_to_mon_dropped "c1 -> c3 answered" ping_none "$C1" "${C_IP4[3]}" 4
after=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc1 icmp in)
expect_eq c1_to_mon_drops_counted 4 "$((after - before))"
# c3 -> c1: c3's port passes them, c1's port drops them on their way out
# to c1 (the receiving side's hook: exact, no ENOBUFS resends).
before=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc1 icmp out)
assert mon_to_c1_dropped "c3 -> c1 answered" ping_none "$MON" "${C_IP4[1]}" 3
after=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc1 icmp out)
expect_eq mon_to_c1_drops_counted 3 "$((after - before))"

# A change of another port's rule keeps the exception: the bridge's own
# policy is worked out with every port's exceptions in view.
check block_other_port fw -n "$H" block tcp vethc2 --dir out
assert host_to_mon_after_other_change "host -> c3 not answered after 'block tcp vethc2'" \
	ping_ok "$H" "${C_IP4[3]}"
expect_eq enforced_after_other_change 0 "$(
	fw -n "$H" status >/dev/null 2>&1
	echo $?
)" "$(fw -n "$H" status 2>&1)"
check unblock_other_port fw -n "$H" unblock tcp vethc2 --dir out

# Save writes the exception as stated; restore brings it back.
run fw -n "$H" save
saved=$(grep -v '^#' <<<"$OUT")
expect_eq saved_as_stated 1 "$(grep -cx "unblock icmp netns:$MON" <<<"$saved")" "$saved"
printf '%s\n' "$saved" >"$T_TMP/rules.conf"
check detach_all fw -n "$H" detach --all
check restore fw -n "$H" restore "$T_TMP/rules.conf"
expect_eq restore_same_rules "$saved" "$(fw -n "$H" save | grep -v '^#')" \
	"$(fw -n "$H" save 2>&1)"
assert restored_host_to_mon "host -> c3 not answered after restore" ping_ok "$H" "${C_IP4[3]}"
assert restored_host_to_c2 "host -> c2 answered after restore" ping_none "$H" "${C_IP4[2]}"

# What the bridge does not block cannot be excepted: nothing changes.
before=$(fw -n "$H" save | grep -v '^#')
run fw -n "$H" unblock udp vethc2
if [ "$RC" -eq 0 ] && grep -q "no rule blocks udp on vethc2; nothing changed" <<<"$ERR"; then
	t_ok noop_says_so
else
	t_fail noop_says_so "want exit 0 and 'no rule blocks udp on vethc2; nothing changed'" \
		"$(last_run)"
fi
expect_eq noop_changes_nothing "$before" "$(fw -n "$H" save | grep -v '^#')"

# A port by name, one direction: host -> c2 passes docker0 and vethc2 out,
# c2's answer is dropped on its way in, where it is counted.
check except_port_out fw -n "$H" unblock icmp vethc2 --dir out
before=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc2 icmp in)
assert host_to_c2_one_way "host -> c2 answered" ping_none "$H" "${C_IP4[2]}" 3
after=$(counter dropped_packets "$(fw -n "$H" -j stats)" vethc2 icmp in)
expect_eq c2_answers_dropped 3 "$((after - before))"

# Blocking again ends the exception.
check block_again fw -n "$H" block icmp "netns:$MON"
assert mon_blocked_again "host -> c3 answered after block" ping_none "$H" "${C_IP4[3]}"
expect_eq exception_gone 0 "$(fw -n "$H" save | grep -c "^unblock icmp netns:$MON")"

t_done
