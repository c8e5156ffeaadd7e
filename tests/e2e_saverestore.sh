#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_saverestore.sh - `save` prints the rules as stated, `restore` of that
# output rebuilds the same state, a bad line is named and changes nothing
# (under -j every bad line is in the one error document on stdout, none on
# stderr), and a restore never leaves a moment where the rules are not enforced.
#
#   fwtestsavhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestsavc1)
#                                       +-- vethc2 == eth0 .12 (fwtestsavc2)
#                  v#1 == pv1, -v2 == pv2, v<0xff> == pv3      (names to quote)
#                  vab 192.0.2.1/30 == eth0 .2 ("a b": a namespace with a space)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up sav 2
C1=${TOPO_PREFIX}c1
topo_baseline

# What an interface enforces, without the ids that change on every load.
enforced() {
	fw -n "$H" -j status 2>&1 | jq -cS '[.interfaces[]? | {ifname, mode: .xdp.mode,
		in: (.blocked.in // [] | sort), out: (.blocked.out // [] | sort)}] |
		sort_by(.ifname)' 2>&1
}

# rules TEXT: the rule lines of a ruleset, comments and blanks dropped.
rules() {
	printf '%s\n' "$1" | sed 's/#.*//; s/[[:space:]]*$//' | grep -v '^$'
}

check attach_generic fw -n "$H" attach vethc2 --mode generic
check block_port_out fw -n "$H" block udp,gre vethc1 --dir out
check block_bridge fw -n "$H" block icmp docker0
run fw -n "$H" save
SAVED=$OUT
if [ "$RC" -eq 0 ] &&
	rules "$SAVED" | grep -qE '^block icmp docker0( --dir both)?( |$)' &&
	rules "$SAVED" | grep -E '^block ' | grep -w vethc1 | grep -q -- '--dir out' &&
	rules "$SAVED" | grep -E '^block (udp,gre|gre,udp) vethc1' >/dev/null &&
	rules "$SAVED" | grep -qE '^attach vethc2 .*--mode generic'; then
	t_ok save_prints_rules
else
	t_fail save_prints_rules "want the three rules as stated" "$(last_run)"
fi
# The bridge's ports are covered by its rule, not rules of their own.
expect_eq save_no_expansion "" "$(rules "$SAVED" | grep -E '^block icmp vethc2')" "$SAVED"

run fw -n "$H" save "$T_TMP/saved.rules"
expect_eq save_to_file "0 $(rules "$SAVED" | md5sum)" \
	"$RC $(rules "$(cat "$T_TMP/saved.rules" 2>/dev/null)" | md5sum)" "$(last_run)"

# Round trip: from nothing back to the same enforcement.
before=$(enforced)
check detach_all fw -n "$H" detach --all
check restore_roundtrip fw -n "$H" restore "$T_TMP/saved.rules"
expect_eq roundtrip_same_state "$before" "$(enforced)"
assert roundtrip_enforced "host ping to c1 answered after restore" ping_none "$H" "${C_IP4[1]}"

# Comments and blank lines are ignored; the file replaces the whole ruleset.
cat >"$T_TMP/replace.rules" <<'RULES'
# only tcp toward c1 from now on

block tcp vethc1   # HTTP to c1 stops
RULES
check restore_replaces fw -n "$H" restore "$T_TMP/replace.rules"
assert replaced_icmp_gone "ping to c1 still dropped after a restore without icmp" \
	ping_ok "$H" "${C_IP4[1]}"
assert replaced_tcp_blocked "HTTP to c1 answered after restore of a tcp block" \
	http_fails "$H" "${C_IP4[1]}"
expect_eq replaced_save "block tcp vethc1" \
	"$(rules "$(fw -n "$H" save)" | sed 's/ --dir both//; s/ --mode auto//; s/ --hook xdp//')"

# A bad line: named, exit 2, nothing changed; --check only validates.
cat >"$T_TMP/bad.rules" <<'RULES'
block icmp docker0
block bogus vethc2
RULES
before=$(enforced)
run fw -n "$H" restore "$T_TMP/bad.rules"
if [ "$RC" -eq 2 ] && [ "$(printf '%s' "$ERR" | grep -c '')" -eq 1 ] &&
	[[ $ERR == "fwctl: "* ]] && grep -qE '(line |:)2\b' <<<"$ERR"; then
	t_ok restore_bad_line_named
else
	t_fail restore_bad_line_named "want exit 2 and one 'fwctl: ' line naming line 2" \
		"$(last_run)"
fi
expect_eq restore_bad_changes_nothing "$before" "$(enforced)"
expect_exit 2 check_bad fw -n "$H" restore --check "$T_TMP/bad.rules"
check check_good fw -n "$H" restore --check "$T_TMP/saved.rules"
expect_eq check_changes_nothing "$before" "$(enforced)"
expect_exit 1 restore_missing_file fw -n "$H" restore "$T_TMP/no-such.rules"

# No gap: c1 pings c2 every 10 ms while the same icmp rule is restored over
# and over; a single reply means a moment without the rule.
check restore_icmp fw -n "$H" restore "$T_TMP/saved.rules"
in_ns "$C1" "${PING[@]}" -c 150 -i 0.01 -W 1 "${C_IP4[2]}" >"$T_TMP/flood" 2>&1 &
flood=$!
sleep 0.1
fails=0
for ((i = 0; i < 5; i++)); do
	fw -n "$H" restore "$T_TMP/saved.rules" >/dev/null 2>&1 || fails=$((fails + 1))
done
wait "$flood"
expect_eq restore_no_gap_exit 0 "$fails"
expect_eq restore_no_gap 0 "$(grep -c ' bytes from ' "$T_TMP/flood")" "$(tail -3 "$T_TMP/flood")"

# --- names the kernel allows and the format must keep -------------------------
# `#` (a comment outside quotes), a leading `-` (an option), a byte that is not
# UTF-8, and a namespace named with a space, as a netns: target.
ODD=$'v\xff'
AB="a b"
T_BARE+=("$AB")
ip netns del "$AB" 2>/dev/null
run bash -c "ip netns add '$AB' &&
	ip -n $H link add 'v#1' type veth peer name pv1 &&
	ip -n $H link add name -v2 type veth peer name pv2 &&
	ip -n $H link add \$'v\\xff' type veth peer name pv3 &&
	ip -n $H link add vab type veth peer name eth0 netns '$AB' &&
	for l in 'v#1' -v2 \$'v\\xff' pv1 pv2 pv3 vab; do ip -n $H link set \"\$l\" up || exit; done &&
	ip -n $H addr add 192.0.2.1/30 dev vab &&
	ip -n '$AB' link set eth0 up && ip -n '$AB' link set lo up &&
	ip -n '$AB' addr add 192.0.2.2/30 dev eth0"
if [ "$RC" -ne 0 ]; then
	t_fail odd_names_topology "cannot make the interfaces and namespace" "$(last_run)"
	t_done
fi
assert odd_ns_baseline "host cannot ping namespace 'a b' before any rule" ping_ok "$H" 192.0.2.2
check odd_block_hash fw -n "$H" block icmp 'v#1'
check odd_block_dash fw -n "$H" block udp --dir out -- -v2
check odd_block_byte fw -n "$H" block gre,udp "$ODD" --dir in
check odd_block_netns fw -n "$H" block icmp "netns:$AB"
assert odd_ns_blocked "ping into namespace 'a b' answered with icmp blocked" \
	ping_none "$H" 192.0.2.2

# Status shows the name that is not UTF-8, escaped, with its bytes.
run fw -n "$H" -j status
expect_eq status_json_not_utf8 'v\xff 76ff gre,udp' \
	"$(json "$OUT" '.interfaces[] | select(.ifname_hex == "76ff") |
		"\(.ifname) \(.ifname_hex) \(.blocked.in | sort | join(","))"')" "$(last_run)"
run fw -n "$H" status
if grep -qE '^v\\xff +' <<<"$OUT"; then
	t_ok status_text_not_utf8
else
	t_fail status_text_not_utf8 "want a row for v\\xff" "$(last_run)"
fi

run fw -n "$H" save "$T_TMP/odd.rules"
SAVED=$(cat "$T_TMP/odd.rules" 2>/dev/null)
if [ "$RC" -eq 0 ] && grep -qxF 'block icmp "v#1"' <<<"$SAVED" &&
	grep -qxF 'block udp --dir out -- -v2' <<<"$SAVED" &&
	grep -qxF 'block udp,gre "v\xff" --dir in' <<<"$SAVED" &&
	grep -qxF 'block icmp "netns:a b"' <<<"$SAVED"; then
	t_ok odd_save_quoted
else
	t_fail odd_save_quoted "want the names quoted, -v2 after --" "$(last_run)" "$SAVED"
fi
before=$(enforced)
before_rules=$(fw -n "$H" -j status | jq -cS '.rules | sort_by(.target)')
check odd_detach_all fw -n "$H" detach --all
expect_eq odd_detached "[]" "$(enforced)"
check odd_restore fw -n "$H" restore "$T_TMP/odd.rules"
expect_eq odd_same_state "$before" "$(enforced)"
expect_eq odd_same_rules "$before_rules" \
	"$(fw -n "$H" -j status | jq -cS '.rules | sort_by(.target)')"
expect_eq odd_same_save "$(rules "$SAVED")" "$(rules "$(fw -n "$H" save)")"
assert odd_ns_blocked_again "ping into namespace 'a b' answered after restore" \
	ping_none "$H" 192.0.2.2

# --- every bad line, the diff restore would make, dry runs ---------------------
printf '%s\n' 'block bogus vethc1' 'block icmp vethc1' 'frob vethc2' \
	"block udp vethc1 # $(printf 'x%.0s' {1..1100})" >"$T_TMP/bad3.rules"
printf 'block icmp vethc1\0block udp vethc2\n' >>"$T_TMP/bad3.rules"
before=$(enforced)
run fw -n "$H" restore --check "$T_TMP/bad3.rules"
if [ "$RC" -eq 2 ] && grep -q 'bad3.rules:1: unknown protocol' <<<"$ERR" &&
	grep -q 'bad3.rules:3: ' <<<"$ERR" && grep -q 'bad3.rules:4: line longer' <<<"$ERR" &&
	grep -q 'bad3.rules:5: NUL byte' <<<"$ERR" && grep -q '4 bad lines' <<<"$ERR" &&
	! grep -q 'bad3.rules:2:' <<<"$ERR"; then
	t_ok check_every_bad_line
else
	t_fail check_every_bad_line "want lines 1, 3, 4, 5 named and exit 2" "$(last_run)"
fi
# Under -j: one document on stdout, with every bad line in "errors", nothing
# on stderr, nothing changed; restore and restore --check alike.
for c in "restore --check" "restore"; do
	n=${c// /_}
	# shellcheck disable=SC2086 # the words of the command
	run fw -n "$H" -j $c "$T_TMP/bad3.rules"
	expect_eq "json_${n}_exit2" 2 "$RC" "$(last_run)"
	expect_eq "json_${n}_no_stderr" "" "$ERR"
	if is_json "$OUT"; then
		expect_eq "json_${n}_lines" '2|4 bad lines|1,3,4,5' \
			"$(json "$OUT" '"\(.exit)|\(.error | sub(".*: "; ""))|\([.errors[].line] | join(","))"')"
		expect_eq "json_${n}_reasons" "unknown protocol 'bogus'|line longer than|NUL byte" \
			"$(json "$OUT" '[(.errors[0].error | split(" (")[0]), (.errors[2].error |
				.[0:16]), (.errors[3].error | .[0:8])] | join("|")')" "$OUT"
	else
		t_fail "json_${n}_one_document" "stdout is not one JSON document" "$(last_run)"
	fi
done
expect_eq json_bad_changes_nothing "$before" "$(enforced)"
# More bad lines than are listed: the first FW_RULESET_MAX_ERRORS (20), and
# the count in the error.
for i in $(seq 1 25); do echo "block bogus$i vethc1"; done >"$T_TMP/bad25.rules"
run fw -n "$H" -j restore --check "$T_TMP/bad25.rules"
expect_eq json_many_listed "2|20|20|and 5 more bad lines (25 in all)||" \
	"$RC|$(json "$OUT" '"\(.errors | length)|\(.errors[-1].line)|\(.error | sub(".*: "; ""))"')|$ERR|" \
	"$(last_run)"
cat >"$T_TMP/next.rules" <<'RULES'
block udp,gre vethc1 --dir out
block icmp "v#1"
RULES
fw -n "$H" restore "$T_TMP/next.rules" >/dev/null 2>&1
sed -i 's/^block udp,gre vethc1 --dir out$/block udp vethc1 --dir out/' "$T_TMP/next.rules"
echo 'block tcp "netns:a b" --dir in' >>"$T_TMP/next.rules"
before=$(enforced)
run fw -n "$H" restore --check "$T_TMP/next.rules"
expect_eq check_prints_diff "0|- block udp,gre vethc1 --dir out|+ block udp vethc1 --dir out|+ block tcp \"netns:a b\" --dir in" \
	"$RC|$(printf '%s' "$OUT" | paste -sd'|')" "$(last_run)"
expect_eq check_diff_changes_nothing "$before" "$(enforced)"

run fw -n "$H" block gre vethc2 --dry-run
expect_eq dry_run_block "0|+ block gre vethc2" "$RC|$(printf '%s' "$OUT" | paste -sd'|')" \
	"$(last_run)"
run fw -n "$H" unblock udp vethc1 --dir out --dry-run
expect_eq dry_run_unblock "0|- block udp,gre vethc1 --dir out|+ block gre vethc1 --dir out" \
	"$RC|$(printf '%s' "$OUT" | paste -sd'|')" "$(last_run)"
expect_eq dry_run_changes_nothing "$before" "$(enforced)"
pins=$(ls /sys/fs/bpf/fwctl/ 2>&1)
run fw -n "$AB" block icmp eth0 --dry-run
expect_eq dry_run_no_state "0|+ block icmp eth0|$pins" \
	"$RC|$(printf '%s' "$OUT" | paste -sd'|')|$(ls /sys/fs/bpf/fwctl/ 2>&1)" "$(last_run)"
expect_exit 2 dry_run_not_attach fw -n "$H" attach vethc2 --dry-run

t_done
