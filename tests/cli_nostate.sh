#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_nostate.sh - read-only commands in a namespace fwctl never touched:
# they succeed, report nothing attached, create no state, and with -j print
# exactly one JSON document; refused commands (swapped arguments, a missing
# interface, targets that cover nothing) say why in one line, exit 2, and
# create no state either, in JSON under -j. Then save -j of one rule.
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

# refused NAME REGEX CMD...: exit 2, one "fwctl: " line matching REGEX.
refused() {
	local name=$1 re=$2
	shift 2
	run "$@"
	if [ "$RC" -eq 2 ] && [ "$(printf '%s' "$ERR" | grep -c '')" -eq 1 ] &&
		grep -qE -- "^fwctl: .*$re" <<<"$ERR"; then
		t_ok "$name"
	else
		t_fail "$name" "want exit 2 and one stderr line matching /$re/" "$(last_run)"
	fi
}
refused swapped_arguments "'vx0' is an interface; usage: fwctl block PROTO" \
	fw -n "$BARE" block vx0 icmp
refused missing_interface_dym "no interface 'vx' in netns $BARE \(did you mean vx[01] or vx[01]\?\)" \
	fw -n "$BARE" block icmp vx
refused missing_interface_dym_after "no interface 'vx2' in netns $BARE \(did you mean vx[01] or vx[01]\?\)" \
	fw block icmp vx2 -n "$BARE"
refused protocol_dym "unknown protocol 'icpm' \(did you mean icmp\?\)" \
	fw -n "$BARE" block icpm vx0
refused lo_covers_nothing "'lo' covers nothing" fw -n "$BARE" block icmp lo
refused own_netns_covers_nothing "'netns:$BARE' covers nothing" \
	fw -n "$BARE" block icmp "netns:$BARE"
printf 'block icmp vx0\nblock udp netns:%s\n' "$BARE" >"$T_TMP/self.rules"
refused restore_own_netns "self.rules:2: target 'netns:$BARE' covers nothing" \
	fw -n "$BARE" restore --check "$T_TMP/self.rules"
run fw block icmp vx0 --dir IN --dry-run -n "$BARE"
expect_eq dry_run_globals_after "0|+ block icmp vx0 --dir in" "$RC|$OUT" "$(last_run)"
run fw -n "$BARE" -j block icmp lo
if [ "$RC" -eq 2 ] && [ -z "$ERR" ] && is_json "$OUT" &&
	json "$OUT" -e '(.error | test("covers nothing")) and .exit == 2' >/dev/null; then
	t_ok json_refusal
else
	t_fail json_refusal "want exit 2, {\"error\", \"exit\": 2} on stdout, stderr empty" "$(last_run)"
fi
one_json json_save_empty fw -n "$BARE" -j save
expect_eq json_save_empty_shape "$BARE []" "$(json "$OUT" '.netns + " " + (.rules | tojson)' 2>&1)"
expect_eq no_state_created "" "$(state_dir "$BARE")"

# save -j of a rule, beside the text it saves.
check block_one fw -n "$BARE" block udp vx0 --dir out --mode generic
one_json json_save fw -n "$BARE" -j save
expect_eq json_save_rule '{"target":"vx0","in":[],"out":["udp"],"strict":{"in":false,"out":false},"except":{"in":[],"out":[]},"mode":"generic","hook":"xdp"}' \
	"$(json "$OUT" -c '.rules[0]' 2>&1)" "$(last_run)"
run fw -n "$BARE" save
expect_eq text_save_kept "block udp vx0 --dir out --mode generic" "$(grep -v '^#' <<<"$OUT")" \
	"$(last_run)"
check detach_all fw -n "$BARE" detach --all
expect_eq no_state_left "" "$(state_dir "$BARE")"

# The same namespace as a path: the caller's namespace is never touched.
one_json json_netns_path fw -n "/run/netns/$BARE" -j status

t_done
