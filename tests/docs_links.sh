#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs_links.sh - the documentation points at things that exist: every
# relative link in README.md, docs/*.md and deploy/**/*.md resolves; every
# repository path a page names in code (`tests/deploy_k8s.sh`,
# `deploy/k8s/canary.yaml`, ...) is there; and every `fwctl COMMAND` the pages
# show in code is a command `fwctl help` knows, with options that command's
# help lists. Needs no root.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

mapfile -t PAGES < <(ls README.md docs/*.md deploy/*/README.md 2>/dev/null)

# --- links ----------------------------------------------------------------------
bad=
for page in "${PAGES[@]}"; do
	dir=$(dirname "$page")
	while IFS= read -r link; do
		target=${link%%#*}
		[ -z "$target" ] && continue
		[[ $target == *://* || $target == mailto:* ]] && continue
		[ -e "$dir/$target" ] || bad+="$page -> $link"$'\n'
	done < <(grep -oE '\]\([^)]+\)' "$page" | sed 's/^](//; s/)$//')
done
expect_eq relative_links "" "${bad%$'\n'}"

# --- repository paths named in code spans ------------------------------------------
bad=
# shellcheck disable=SC2016 # backquotes, not an expansion
for page in "${PAGES[@]}"; do
	while IFS= read -r path; do
		[ -e "$path" ] || bad+="$page: $path"$'\n'
	done < <(grep -oE '`(tests|deploy|docs|tools|xdp|tc|ctl|netns|bench)/[A-Za-z0-9_./-]+`' "$page" |
		tr -d '`' | grep -v '\*' | sort -u)
done
expect_eq repository_paths "" "${bad%$'\n'}"

# --- fwctl commands shown in code ------------------------------------------------
require_fwctl
run fw help
commands=$(sed -n '/^commands:/,/^$/p' <<<"$OUT" | sed -n 's/^  \([a-z][a-z-]*\)\( .*\)*$/\1/p')
[ -n "$commands" ] || t_fail help_parsed "cannot read the command list" "$(last_run)"
# Command lines in fenced blocks ("# fwctl ...", "$ fwctl ...", "fwctl ...")
# and code spans starting with "fwctl ".
shown() {
	awk '/^```/ { code = !code; next }
	     code && /^([#$] )?fwctl / { sub(/^[#$] /, ""); print }' "$1"
	# shellcheck disable=SC2016 # backquotes, not an expansion
	grep -oE '`fwctl [^`]+`' "$1" | tr -d '`'
}
bad=
for page in "${PAGES[@]}"; do
	while IFS= read -r line; do
		read -ra w <<<"$line"
		i=1
		# Global options first: -n/--netns take a value.
		while ((i < ${#w[@]})) && [[ ${w[i]} == -* ]]; do
			[[ ${w[i]} == -n || ${w[i]} == --netns ]] && i=$((i + 1))
			i=$((i + 1))
		done
		cmd=${w[i]:-}
		# Placeholders and prose: COMMAND, [ARGS], ..., a saved file's header.
		case $cmd in
		'' | [A-Z]* | [0-9]* | .* | \[*) continue ;;
		esac
		if ! grep -qxF -- "$cmd" <<<"$commands"; then
			bad+="$page: '$line': no command '$cmd'"$'\n'
			continue
		fi
		opts=$("$FWCTL" help "$cmd" 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)
		for o in "${w[@]:i+1}"; do
			[[ $o == --* ]] || continue
			o=${o%%=*}
			grep -qxF -- "$o" <<<"$opts" || bad+="$page: '$line': '$cmd' has no $o"$'\n'
		done
	done < <(shown "$page")
done
expect_eq commands_shown_exist "" "${bad%$'\n'}"

t_done
