#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_nostate.sh - read-only commands in a namespace fwctl never touched:
# they succeed, report nothing attached, create no state, and with -j print
# exactly one JSON document.
#
#   fwtestclins: lo, and a veth pair vx0 == vx1 (both ends inside)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq

bare_ns clins
ip -n "$BARE" link add vx0 type veth peer name vx1 && ip -n "$BARE" link set vx0 up

# one_json NAME CMD...: exit 0 and one JSON document on stdout.
one_json() {
	local name=$1
	shift
	run "$@"
	if [ "$RC" -eq 0 ] && is_json "$OUT"; then
		t_ok "$name"
	else
		t_fail "$name" "want exit 0 and one JSON document" "$(last_run)"
	fi
}

one_json json_status fw -n "$BARE" -j status
expect_eq status_nothing_attached 0 "$(json "$OUT" '[.interfaces[]? |
	select(.xdp.attached or .tc.egress or .tc.ingress or
		(.blocked.in // [] | length) > 0 or (.blocked.out // [] | length) > 0)] |
	length' 2>&1)" "$(last_run)"
one_json json_status_target fw -n "$BARE" -j status vx0
one_json json_stats fw -n "$BARE" -j stats
expect_eq stats_no_counters 0 "$(counter dropped_packets "$OUT")" "$(last_run)"
one_json json_long_options fw --netns "$BARE" --json status
one_json json_doctor fw -n "$BARE" -j doctor
check text_status fw -n "$BARE" status
check text_stats fw -n "$BARE" stats
run fw -n "$BARE" save
if [ "$RC" -eq 0 ] && ! printf '%s\n' "$OUT" | grep -v '^#' | grep -q .; then
	t_ok save_empty
else
	t_fail save_empty "want exit 0 and no rule lines" "$(last_run)"
fi
check detach_all_nothing fw -n "$BARE" detach --all
expect_eq no_state_created "" "$(state_dir "$BARE")"

# The same namespace as a path: the caller's namespace is never touched.
one_json json_netns_path fw -n "/run/netns/$BARE" -j status

t_done
