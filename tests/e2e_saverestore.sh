#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_saverestore.sh - `save` prints the rules as stated, `restore` of that
# output rebuilds the same state, a bad line is named and changes nothing,
# and a restore never leaves a moment where the rules are not enforced.
#
#   fwtestsavhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtestsavc1)
#                                       +-- vethc2 == eth0 .12 (fwtestsavc2)
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

t_done
