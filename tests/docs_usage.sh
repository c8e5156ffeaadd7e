#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs_usage.sh - one source for the usage: the README's usage section is
# docs/usage.md word for word (tools/mkreadme.sh --check); docs/usage.md's
# synopsis is the command table's (`fwctl -j help`: every form of every
# command, and nothing else), and it names every global option; and fwctl(8)
# rendered from it (tools/mkman.sh) passes groff's and man's warnings. Needs
# no root.
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
require_cmd jq

# The command table, as the parser uses it.
run fw -j help
table=$OUT
commands=$(json "$table" '.commands[].name' 2>/dev/null)
if [ "$RC" -ne 0 ] || [ -z "$commands" ]; then
	t_fail help_parsed "cannot read the command table from 'fwctl -j help'" "$(last_run)"
	t_done
fi
# shellcheck disable=SC2016 # sed and jq programs, not shell expansions
# The synopsis with continuation lines joined to the line they continue, and
# blanks squeezed: "fwctl block PROTO[,PROTO...] TARGET [--dir in|out|both] ...".
synopsis=$(sed -n '/^### Synopsis/,/^### /p' "$USAGE" | sed -n '/^```$/,/^```$/p' | grep -v '^```' |
	awk '/^ +[^ ]/ { sub(/^ +/, " "); line = line $0; next }
	     { if (NR > 1) print line; line = $0 } END { print line }' | tr -s ' ' | sed 's/ $//')
# Every form of every command, as the table has it.
# shellcheck disable=SC2016 # a jq program
forms=$(json "$table" '.commands[] | .name as $n | .synopsis[] |
	"fwctl " + $n + (if . == "" then "" else " " + . end)')
missing=
while read -r f; do
	grep -qxF -- "$f" <<<"$synopsis" || missing+=$'\n'"  $f"
done <<<"$forms"
expect_eq synopsis_has_table "" "${missing#$'\n'}" "forms of the table missing from $USAGE's synopsis"
# ... and nothing else, but the general usage line and --version.
usage=$(json "$table" '"fwctl " + (.usage | sub("^fwctl "; ""))')
extra=
while read -r l; do
	[ -z "$l" ] || [ "$l" == "$usage" ] || [ "$l" == "fwctl --version" ] ||
		grep -qxF -- "$l" <<<"$forms" || extra+=$'\n'"  $l"
done <<<"$synopsis"
expect_eq synopsis_only_table "" "${extra#$'\n'}" "lines of $USAGE's synopsis not in the table"

missing=
for c in $commands; do
	grep -qE "^- \`$c( |\`)" "$USAGE" || missing+=" $c(commands)"
done
# Global options: "`-n`, `--netns" in the Global options section.
while read -r o; do
	grep -qF -- "\`${o% *}\`, \`${o#* }" "$USAGE" || missing+=" $o"
done < <(json "$table" '.global_options[] | .short + " " + .name')
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
