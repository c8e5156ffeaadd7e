#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_basic.sh - what fwctl says about itself: --version, help, help COMMAND,
# and how it turns away an unknown command or option (exit 2, one line on
# stderr starting with "fwctl: "). Touches no network namespace.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_fwctl

# The commands of the contract's grammar (shared/DESIGN.md).
COMMANDS=(attach detach block unblock stats status save restore watch monitor doctor help)

# usage_error NAME CMD...: exit 2 and exactly one "fwctl: " line on stderr.
usage_error() {
	local name=$1
	shift
	run "$@"
	if [ "$RC" -ne 2 ]; then
		t_fail "$name" "expected exit 2, got $RC" "$(last_run)"
	elif [ "$(printf '%s' "$ERR" | grep -c '')" -ne 1 ] || [[ $ERR != "fwctl: "* ]]; then
		t_fail "$name" "want one stderr line starting 'fwctl: '" "$(last_run)"
	else
		t_ok "$name"
	fi
}

run fw --version
version=$(cat VERSION)
if [ "$RC" -eq 0 ] && grep -qF "$version" <<<"$OUT" && [ -z "$ERR" ]; then
	t_ok version
else
	t_fail version "want exit 0 and '$version' on stdout" "$(last_run)"
fi

run fw help
missing=$(for c in "${COMMANDS[@]}"; do grep -qw -- "$c" <<<"$OUT" || echo "$c"; done)
if [ "$RC" -eq 0 ] && [ -z "$missing" ]; then
	t_ok help_lists_commands
else
	t_fail help_lists_commands "exit $RC; help does not mention: ${missing//$'\n'/ }" "$(last_run)"
fi

for c in "${COMMANDS[@]}"; do
	run fw help "$c"
	if [ "$RC" -eq 0 ] && grep -qw -- "$c" <<<"$OUT"; then
		t_ok "help_$c"
	else
		t_fail "help_$c" "want exit 0 and the command named on stdout" "$(last_run)"
	fi
done

run fw help block
if grep -q -- '--dir' <<<"$OUT" && grep -q 'PROTO' <<<"$OUT"; then
	t_ok help_block_details
else
	t_fail help_block_details "help block does not explain PROTO and --dir" "$(last_run)"
fi

usage_error unknown_command fw frobnicate
usage_error unknown_global_option fw --frobnicate status
usage_error help_unknown_command fw help frobnicate
usage_error missing_netns_value fw status -n
expect_exit 2 no_command fw
usage_error json_unknown_command fw -j frobnicate

t_done
