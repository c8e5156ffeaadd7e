#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_cliedge.sh - the command line as a careless or hostile user types it:
# arguments with newlines, escapes and bytes that are not UTF-8, an option
# given twice, a ruleset file that never ends, Docker down behind a
# container target, output into a full disk. Each must end in one error
# line (or, under -j, one JSON document and an empty stderr), the
# documented exit status, and the namespace's state as it was.
#
#   fwtestcliedge: lo, and a veth pair vx0 == vx1 (both ends inside)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq

bare_ns cliedge
ip -n "$BARE" link add vx0 type veth peer name vx1 && ip -n "$BARE" link set vx0 up &&
	ip -n "$BARE" link set vx1 up
check setup_block fw -n "$BARE" block udp vx0 --mode generic

# The state a failed command must leave: the rules and the kernel's view.
snapshot() {
	fw_state "$BARE"
	"$FWCTL" -n "$BARE" save 2>&1 | grep -v '^#'
}

# fails NAME CODE REGEX CMD...: CMD exits CODE with one stderr line that
# starts with "fwctl: " and matches REGEX, and the state is unchanged.
fails() {
	local name=$1 code=$2 re=$3 before after
	shift 3
	before=$(snapshot)
	run timeout 30 "$@"
	after=$(snapshot)
	if [ "$RC" -ne "$code" ]; then
		t_fail "$name" "expected exit $code, got $RC" "$(last_run)"
	elif [ "$(printf '%s' "$ERR" | grep -c '')" -ne 1 ] || [[ $ERR != "fwctl: "* ]]; then
		t_fail "$name" "want one stderr line starting 'fwctl: '" "$(last_run)"
	elif ! grep -qE -- "$re" <<<"$ERR"; then
		t_fail "$name" "message does not match /$re/" "$(last_run)"
	elif [ "$before" != "$after" ]; then
		t_fail "$name" "state changed" "$(diff <(echo "$before") <(echo "$after"))"
	else
		t_ok "$name"
	fi
}

# json_fails NAME CODE JQ CMD...: under -j: exit CODE, one JSON document
# on stdout with .exit CODE for which JQ holds, nothing on stderr, the state
# unchanged.
json_fails() {
	local name=$1 code=$2 filter=$3 before after
	shift 3
	before=$(snapshot)
	run timeout 30 "$@"
	after=$(snapshot)
	if [ "$RC" -ne "$code" ] || [ -n "$ERR" ] || ! is_json "$OUT"; then
		t_fail "$name" "want exit $code, one JSON document, stderr empty" "$(last_run)"
	elif ! json "$OUT" -e --argjson c "$code" ".exit == \$c and ($filter)" >/dev/null; then
		t_fail "$name" "document does not satisfy: $filter" "$(last_run)"
	elif [ "$before" != "$after" ]; then
		t_fail "$name" "state changed" "$(diff <(echo "$before") <(echo "$after"))"
	else
		t_ok "$name"
	fi
}

# Arguments that are not one line of text: the message stays one line of
# UTF-8, the bytes shown as \xNN.
fails newline_in_command 2 "unknown command 'bl\\\\x0aock'" "$FWCTL" -n "$BARE" $'bl\nock'
fails newline_in_target 2 "no interface 'vx\\\\x0a0'" "$FWCTL" -n "$BARE" block icmp $'vx\n0'
fails escape_in_protocol 2 "unknown protocol 'ic\\\\x1b\[2Jmp'" \
	"$FWCTL" -n "$BARE" block $'ic\e[2Jmp' vx0
json_fails json_not_utf8_command 2 '.error | test("unknown command .\\\\xff")' \
	"$FWCTL" -n "$BARE" -j $'\xff'
json_fails json_not_utf8_target 2 '.error | test("no interface .v\\\\xfex")' \
	"$FWCTL" -n "$BARE" -j block icmp $'v\xfex'
printf 'block icmp vx0\nblock bo\xffgus vx0\nblock gre\x01 vx0\n' >"$T_TMP/bytes.rules"
json_fails json_restore_not_utf8 2 '[.errors[].line] == [2, 3]' \
	"$FWCTL" -n "$BARE" -j restore --check "$T_TMP/bytes.rules"

# An option given twice with two values: the first was silently dropped.
fails twice_dir 2 "option '--dir' given twice \('in', then 'out'\)" \
	"$FWCTL" -n "$BARE" block icmp vx0 --dir in --dir out
fails twice_mode 2 "option '--mode' given twice" \
	"$FWCTL" -n "$BARE" attach vx1 --mode native --mode=generic
fails twice_netns 2 "option '-n' given twice" "$FWCTL" -n fwtestnosuchns -n "$BARE" block icmp vx0
printf 'block icmp vx0 --dir in --dir out\n' >"$T_TMP/twice.rules"
fails twice_in_ruleset 2 "twice.rules:1: .*given twice" "$FWCTL" -n "$BARE" restore "$T_TMP/twice.rules"
run fw -n "$BARE" block icmp vx0 --dir IN --dir in --dry-run
expect_eq twice_same_value "0|- block udp vx0 --mode generic|+ block icmp,udp vx0 --dir in --mode generic|+ block udp vx0 --dir out --mode generic" \
	"$RC|$(tr '\n' '|' <<<"$OUT" | sed 's/|$//')" "$(last_run)"

# Options that would be ignored, numbers that are not plain decimals: refused.
json_fails json_human 2 '.error | test("-H does not go with -j")' "$FWCTL" -n "$BARE" -j stats -H
fails watch_interval_alone 2 "--metrics-interval goes with --metrics-file" \
	"$FWCTL" -n "$BARE" watch --metrics-interval 5
fails hex_seconds 2 "bad --watch '0x1'" "$FWCTL" -n "$BARE" stats --watch 0x1 --count 1

# A ruleset file that never ends is refused, not read until memory runs out
# (bounded here: 2 GiB of address space, 30 s).
# shellcheck disable=SC2016 # "$@" is the inner sh's
SMALL=(sh -c 'ulimit -v 2097152 && exec "$@"' sh)
fails endless_ruleset 2 "/dev/zero: larger than 16 MiB" "${SMALL[@]}" "$FWCTL" -n "$BARE" restore --check /dev/zero
fails endless_ruleset_restore 2 "larger than 16 MiB" "${SMALL[@]}" "$FWCTL" -n "$BARE" restore /dev/zero

# Docker down behind a container target: one error, not a warning before it
# in the same words; under -j nothing on stderr.
export DOCKER_HOST="unix://$T_TMP/no-docker.sock"
fails docker_down_one_line 1 "cannot reach Docker" "$FWCTL" -n "$BARE" block icmp container:web
json_fails json_docker_down 1 '.error | test("cannot reach Docker")' \
	"$FWCTL" -n "$BARE" -j block icmp container:web
unset DOCKER_HOST

# Output that cannot be written is a failure (save > FILE on a full disk
# exited 0 with FILE empty); with -j the error goes to stderr, the only way.
for cmd in "save" "-j save" "status" "-j status" "help"; do
	# shellcheck disable=SC2086 # the words of cmd
	fails "full_stdout_${cmd// /_}" 1 "cannot write the output" \
		sh -c 'exec "$@" >/dev/full' sh "$FWCTL" -n "$BARE" $cmd
done
fails full_stdout_json_error 2 "unknown command 'bogus'" \
	sh -c 'exec "$@" >/dev/full' sh "$FWCTL" -n "$BARE" -j bogus
fails closed_stdout 1 "cannot write the output" \
	sh -c 'exec "$@" >&-' sh "$FWCTL" -n "$BARE" status

# monitor --packets -w FILE that fails (a target not found) leaves FILE as
# it was: it was emptied to a pcap header before anything was checked.
echo precious >"$T_TMP/keep.pcap"
fails packets_bad_target 2 "no interface 'nosuch0'" \
	"$FWCTL" -n "$BARE" monitor --packets nosuch0 -w "$T_TMP/keep.pcap" --count 1
expect_eq packets_file_kept precious "$(cat "$T_TMP/keep.pcap")"

# Nothing to do is said, and makes nothing: detach of a target with no rule,
# attach --upgrade with nothing attached and unblock where fwctl has no
# state said nothing (unblock with state does, as documented); stats
# --reset where fwctl never was made its state.
EMPTY=$T_PREFIX_ROOT${T_FILE#e2e_}2
T_BARE+=("$EMPTY")
ip netns del "$EMPTY" 2>/dev/null
ip netns add "$EMPTY" && ip -n "$EMPTY" link add vx0 type veth peer name vx1
run fw -n "$BARE" detach vx1
expect_eq detach_no_rule_says "0|fwctl: no rule for vx1; nothing changed" "$RC|$ERR" "$(last_run)"
run fw -n "$EMPTY" unblock icmp vx0
expect_eq unblock_no_state_says "0|fwctl: no rule blocks icmp on vx0; nothing changed" \
	"$RC|$ERR" "$(last_run)"
run fw -n "$EMPTY" detach vx0
expect_eq detach_no_state_says "0|fwctl: no rule for vx0; nothing changed" "$RC|$ERR" "$(last_run)"
run fw -n "$EMPTY" attach --upgrade vx0
expect_eq upgrade_nothing_says "0|fwctl: nothing of fwctl is attached to vx0; nothing upgraded" \
	"$RC|$ERR" "$(last_run)"
run fw -n "$EMPTY" stats --reset
expect_eq stats_reset_no_state "0|" "$RC|$(state_dir "$EMPTY")" "$(last_run)"

# save FILE on a full disk: FILE keeps its old rules (it was emptied, then
# written in part, and the next boot restored what was left). 100 rules for
# namespaces that do not exist yet make more than a page of text; a private
# mount namespace holds the full 8 KiB tmpfs, which goes with it.
{
	echo "block udp vx0 --mode generic"
	for i in $(seq 100); do echo "block icmp netns:fwtest-cliedge-missing-namespace-$i"; done
} >"$T_TMP/many.rules"
check many_rules fw -n "$BARE" restore "$T_TMP/many.rules"
# shellcheck disable=SC2016,SC2317 # run through run(); the script is sh's
full_save() {
	unshare --mount --propagation private sh -c '
		d=$1; shift
		mount -t tmpfs -o size=8k fwtest-cliedge "$d" || exit 99
		echo "old rules" >"$d/rules.conf"
		dd if=/dev/zero of="$d/fill" bs=1k count=64 2>/dev/null
		"$@" save "$d/rules.conf"
		echo "rc=$? $(cat "$d/rules.conf") $(ls -A "$d" | tr "\n" " ")" >&2' \
		sh "$T_TMP/small" "$FWCTL" -n "$BARE"
}
mkdir -p "$T_TMP/small"
run full_save
expect_eq save_full_disk_keeps_old "rc=1 old rules fill rules.conf " "$(tail -1 <<<"$ERR")" \
	"$(last_run)"
expect_eq save_full_disk_one_line 2 "$(printf '%s' "$ERR" | grep -c '')" "$(last_run)"

check detach_all fw -n "$BARE" detach --all
expect_eq no_state_left "" "$(state_dir "$BARE")"

t_done
