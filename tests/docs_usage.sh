#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs_usage.sh - one source for the usage: the README's usage section is
# docs/usage.md word for word (tools/mkreadme.sh --check), docs/usage.md names
# every command and option that `fwctl help` lists, and fwctl(8) rendered from
# it (tools/mkman.sh) passes groff's and man's warnings. Needs no root.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

USAGE=docs/usage.md
# README=FILE checks another copy (a proposed README before it lands).
README=${README:-README.md}

run bash tools/mkreadme.sh --check "$README" "$USAGE"
if [ "$RC" -eq 0 ]; then
	t_ok readme_usage_in_sync
else
	t_fail readme_usage_in_sync "$README's usage section differs from $USAGE" \
		"fix: bash tools/mkreadme.sh" "$(last_run)"
fi

require_fwctl

# Commands from the command table as `fwctl help` prints it: "  NAME  ARGS".
run fw help
commands=$(sed -n '/^commands:/,/^$/p' <<<"$OUT" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
if [ "$RC" -ne 0 ] || [ -z "$commands" ]; then
	t_fail help_parsed "cannot read the command list from 'fwctl help'" "$(last_run)"
	t_done
fi
# The synopsis with continuation lines joined to the line they continue.
synopsis=$(sed -n '/^### Synopsis/,/^### /p' "$USAGE" |
	awk '/^ +[^ ]/ { sub(/^ +/, " "); line = line $0; next }
	     { if (NR > 1) print line; line = $0 } END { print line }')
missing=
for c in $commands; do
	grep -qE "^fwctl $c( |$)" <<<"$synopsis" || missing+=" $c(synopsis)"
	grep -qE "^- \`$c( |\`)" "$USAGE" || missing+=" $c(commands)"
done
expect_eq every_command_documented "" "${missing# }" \
	"commands in 'fwctl help': ${commands//$'\n'/ }"

# Every long option each command's help names, and the global ones.
missing=
for c in $commands; do
	run fw help "$c"
	while read -r o; do
		grep -qE -- "^fwctl $c .*$o([^a-z-]|$)" <<<"$synopsis" || missing+=" $c$o"
	done < <(grep -oE -- '--[a-z][a-z-]*' <<<"$OUT" | sort -u)
done
run fw help
for o in $(sed -n '1,/^commands:/p' <<<"$OUT" | grep -oE -- '(^| )-[a-zA-Z],? +--[a-z][a-z-]*' |
	tr -d ' ,'); do
	short=${o:0:2} long=${o:2}
	grep -qF -- "\`$short\`, \`$long" "$USAGE" || missing+=" $short,$long"
done
expect_eq every_option_documented "" "${missing# }"

# Sections a man page is expected to have.
missing=
for s in Synopsis Description 'Global options' Commands 'Exit status' Environment Files Examples; do
	grep -qx "### $s" "$USAGE" || missing+=" '$s'"
done
for w in DOCKER_HOST FWCTL_TC /sys/fs/bpf/fwctl /etc/fwctl/rules.conf --strict container: netns: pid:; do
	grep -qF -- "$w" "$USAGE" || missing+=" $w"
done
expect_eq usage_sections "" "${missing# }"

if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	t_skip man_renders "needs man and groff (apt-get install man-db groff-base)"
	t_done
fi
page=$T_TMP/fwctl.8
run bash tools/mkman.sh "$USAGE" "$(cat VERSION)"
printf '%s\n' "$OUT" >"$page"
if [ "$RC" -ne 0 ]; then
	t_fail man_renders "tools/mkman.sh failed" "$(last_run)"
	t_done
fi
run groff -man -ww -z "$page"
expect_eq man_groff_clean "0:" "$RC:$ERR" "$(last_run)"
run env MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page"
missing=
for c in $commands; do
	grep -qE -- "^ +fwctl $c( |$)" <<<"$OUT" || missing+=" $c"
done
if [ "$RC" -eq 0 ] && [ -z "$ERR" ] && [ -z "$missing" ] &&
	grep -q "^NAME" <<<"$OUT" && grep -q "fwctl $(cat VERSION)" <<<"$OUT"; then
	t_ok man_renders
else
	t_fail man_renders "man -l: exit $RC, stderr '$ERR', commands missing:${missing:- none}" \
		"$(head -20 <<<"$OUT")"
fi
run lexgrog "$page"
if [ "$RC" -eq 0 ] && grep -q 'fwctl - ' <<<"$OUT"; then
	t_ok man_whatis
else
	t_fail man_whatis "mandb could not read the NAME section" "$(last_run)"
fi

t_done
