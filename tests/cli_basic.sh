#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_basic.sh - what fwctl says about itself: --version, help, help COMMAND,
# and how it turns away an unknown command or option (exit 2, one line on
# stderr starting with "fwctl: ", "did you mean" where a name is close), with
# global options before or after the command; --help for every command (exit
# 0, stdout, nothing run, no root); and under -j, errors, --version and help
# as JSON on stdout. Touches no network namespace.
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

# usage_says NAME REGEX CMD...: a usage error whose line matches REGEX.
usage_says() {
	local name=$1 re=$2
	shift 2
	run "$@"
	if [ "$RC" -eq 2 ] && [ -z "$OUT" ] && [ "$(printf '%s' "$ERR" | grep -c '')" -eq 1 ] &&
		grep -qE -- "^fwctl: .*$re" <<<"$ERR"; then
		t_ok "$name"
	else
		t_fail "$name" "want exit 2 and one stderr line matching /$re/" "$(last_run)"
	fi
}
usage_says dym_command 'did you mean stats or status\?' fw stauts
usage_says dym_option "unknown option '--dri' \(did you mean --dir\?\)" \
	fw block icmp eth0 --dri in
usage_says dym_value "bad --dir 'ot' \(did you mean out\?\): use in, out or both" \
	fw block icmp eth0 --dir ot
usage_says dym_help_command 'did you mean unblock\?' fw help unblok
usage_says missing_value "option '--dir' needs a value" fw block icmp eth0 --dir
usage_says missing_argument 'expected PROTO\[,PROTO...\] TARGET' fw block icmp
usage_says extra_argument "unexpected argument 'b'" fw status a b
usage_says doctor_no_argument "unexpected argument 'x'" fw doctor x
usage_says flag_no_value "'--force' takes no value" fw attach eth0 --force=yes
usage_says quiet_and_verbose '-q and -v' fw status -q -v
# '--' ends the options: what follows is an argument, even --version.
usage_says dashdash "help: unknown command '--version'" fw help -- --version

# Global options after the command: -j and --version as well as before.
run fw help block -j
expect_eq global_after_command "block" "$(json "$OUT" .name 2>&1)" "$(last_run)"
run fw help --version
if [ "$RC" -eq 0 ] && grep -qF "$version" <<<"$OUT"; then
	t_ok version_after_command
else
	t_fail version_after_command "want the version" "$(last_run)"
fi

# --- --help for every command: stdout, exit 0, nothing run ----------------------
cd "$T_TMP" || exit 1
missing=
for c in "${COMMANDS[@]}"; do
	for h in --help -h; do
		run fw "$c" "$h"
		if [ "$RC" -ne 0 ] || [ -n "$ERR" ] || ! grep -q "^usage: fwctl $c" <<<"$OUT"; then
			missing+=" $c$h($RC)"
		fi
	done
done
expect_eq help_every_command "" "${missing# }"
expect_eq save_help_writes_nothing "" "$(find "$T_TMP" -mindepth 1 ! -name out ! -name err)"
run fw block icmp eth0 --frobnicate --help
expect_eq help_wins_over_bad_option "0" "$RC" "$(last_run)"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$FWCTL" block --help
	if [ "$RC" -eq 0 ] && grep -q '^usage: fwctl block' <<<"$OUT"; then
		t_ok help_needs_no_root
	else
		t_fail help_needs_no_root "want exit 0 and the usage as nobody" "$(last_run)"
	fi
fi
cd "$T_ROOT" || exit 1

# --- -j: errors, --version and help as JSON on stdout ---------------------------
if ! command -v jq >/dev/null; then
	t_skip json "needs jq"
	t_done
fi
# json_error NAME CODE CMD...: exit CODE, nothing on stderr, and on stdout
# one document {"error": "...", "exit": CODE}.
json_error() {
	local name=$1 code=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$code" ] && [ -z "$ERR" ] && is_json "$OUT" &&
		[ "$(json "$OUT" '(.error | type) + " " + (.exit | tostring)')" == "string $code" ]; then
		t_ok "$name"
	else
		t_fail "$name" "want exit $code and {\"error\": ..., \"exit\": $code} on stdout only" \
			"$(last_run)"
	fi
}
json_error json_unknown_command 2 fw -j frobnicate
json_error json_after_unknown_command 2 fw frobnicate -j
json_error json_unknown_option 2 fw -j block icmp eth0 --frobnicate
# Bounded: a watch that took -j would run until killed.
json_error json_watch_refused 2 timeout 10 "$FWCTL" -j watch
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	json_error json_runtime_error 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$FWCTL" -j status
fi
run fw --version -j
expect_eq json_version "$version true" \
	"$(json "$OUT" '.version + " " + (.abi | type == "number" | tostring)' 2>&1)" "$(last_run)"
run fw -j help
expect_eq json_help_commands "${COMMANDS[*]}" \
	"$(json "$OUT" '[.commands[].name] | join(" ")' 2>&1)" "$(last_run)"
expect_eq json_help_globals "-n -j -q -v -V -h" \
	"$(json "$OUT" '[.global_options[].short] | join(" ")' 2>&1)"
run fw -j help block
expect_eq json_help_block_dir "in out both" \
	"$(json "$OUT" '.options[] | select(.name == "--dir") | .values | join(" ")' 2>&1)"

t_done
