#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_completion.sh - deploy/completion/fwctl.bash, sourced and called the
# way bash calls it (COMP_WORDS split at spaces and at ':' as readline does,
# COMP_CWORD, COMP_LINE): commands and options as `fwctl help` lists them,
# option values, protocols from /etc/protocols, interfaces of the -n
# namespace, netns: names; then once through real readline in tmux.
# Container names are checked in deploy_image.sh, where a Docker engine runs.
#
#   fwtestcmp: lo, fwcmpdummy0 <-> fwcmpdummy1, fwcmpa <-> fwcmpb (veth pairs)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

COMPLETION=$T_ROOT/deploy/completion/fwctl.bash
require_root
# shellcheck source=deploy/completion/fwctl.bash
source "$COMPLETION"

# complete LINE: what the completion offers for LINE (the cursor at its end),
# one word per line in REPLY_LINES.
complete_line() {
	local line=$1 w part
	local -a words=()
	read -ra raw <<<"$line"
	for w in "${raw[@]}"; do
		# readline splits at ':' (COMP_WORDBREAKS) and keeps it as a word.
		while [[ $w == *:* ]]; do
			part=${w%%:*}
			[ -n "$part" ] && words+=("$part")
			words+=(:)
			w=${w#*:}
		done
		[ -n "$w" ] && words+=("$w")
	done
	[[ $line == *" " ]] && words+=("")
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_fwctl
	REPLY_LINES=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u)
}

# offers NAME LINE WORD...: ok when every WORD is among the replies.
offers() {
	local name=$1 line=$2 w missing=
	shift 2
	complete_line "$line"
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$REPLY_LINES" || missing+=" '$w'"
	done
	if [ -z "$missing" ]; then
		t_ok "$name"
	else
		t_fail "$name" "'$line<TAB>' does not offer$missing" "got: ${REPLY_LINES//$'\n'/ }"
	fi
}

# lacks NAME LINE WORD...: ok when no WORD is among the replies.
lacks() {
	local name=$1 line=$2 w extra=
	shift 2
	complete_line "$line"
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$REPLY_LINES" && extra+=" '$w'"
	done
	if [ -z "$extra" ]; then
		t_ok "$name"
	else
		t_fail "$name" "'$line<TAB>' offers$extra" "got: ${REPLY_LINES//$'\n'/ }"
	fi
}

# --- commands and options, against fwctl's command table (`fwctl -j help`) -----
if [ -x "$FWCTL" ] && command -v jq >/dev/null; then
	table=$("$FWCTL" -j help)
	commands=$(jq -r '.commands[].name' <<<"$table" | sort)
	complete_line "fwctl "
	expect_eq commands_match_table "$commands" "$REPLY_LINES"
	# Each command's options, exactly (and --help); the valued ones, long
	# and short, exactly; each fixed set of values, exactly.
	wrong=
	for c in $commands; do
		want=$(jq -r --arg c "$c" '.commands[] | select(.name == $c) | .options[].name' \
			<<<"$table" | sort)
		complete_line "fwctl $c --"
		[ "$(printf '%s\n' "$want" --help | sed '/^$/d' | sort -u)" == "$REPLY_LINES" ] ||
			wrong+=" $c(options: ${REPLY_LINES//$'\n'/ })"
		want=$(jq -r --arg c "$c" '.commands[] | select(.name == $c) | .options[] |
			select(.arg != null) | .name, (.short // empty)' <<<"$table" | sort)
		got=$(_fwctl_cmd_valued "$c" | tr ' ' '\n' | sed '/^$/d' | sort)
		[ "$want" == "$got" ] || wrong+=" $c(valued: ${got//$'\n'/ })"
		while IFS=$'\t' read -r o vals; do
			complete_line "fwctl $c $o "
			[ "$(tr ' ' '\n' <<<"$vals" | sort)" == "$REPLY_LINES" ] ||
				wrong+=" $c$o(${REPLY_LINES//$'\n'/ })"
		done < <(jq -r --arg c "$c" '.commands[] | select(.name == $c) | .options[] |
			select(.values) | (.values | join(" ")) as $v |
			(.name, (.short // empty)) | [., $v] | @tsv' <<<"$table")
	done
	expect_eq options_match_table "" "${wrong# }"
	want=$(jq -r '.global_options[] | .short, .name' <<<"$table" | sort)
	got=$(tr ' ' '\n' <<<"$_fwctl_globals" | sort)
	expect_eq globals_match_table "$want" "$got"
else
	t_skip commands_match_table "$FWCTL not built, or no jq"
fi
offers global_options "fwctl -" -n --netns -j --json -q --quiet -v --verbose -V --version
offers help_command "fwctl help bl" block
# Global options after the command: -n's namespace is the one completed in,
# and its value is not a positional argument.
offers global_after_command "fwctl status -n " pid:
lacks stats_human_is_a_flag "fwctl stats -H " xdp tc
offers after_global_option "fwctl -j st" stats status

# --- option values ------------------------------------------------------------------
offers dir_values "fwctl block icmp eth0 --dir " in out both
offers mode_values "fwctl attach eth0 --mode " auto native generic
offers hook_values "fwctl block icmp eth0 --hook " xdp tc
lacks watch_value_free "fwctl stats --watch " in out both

# --- protocols ------------------------------------------------------------------------
offers proto_names "fwctl block " icmp tcp udp gre ipv6-icmp icmpv6 sctp esp
offers proto_prefix "fwctl block ic" icmp icmpv6
offers proto_list "fwctl block icmp,ud" icmp,udp
offers unblock_all "fwctl unblock a" all
lacks block_no_all "fwctl block a" all
# Aliases from /etc/protocols, lower-cased: the file is the source.
if grep -qE '^ipv6-icmp[[:space:]]+58[[:space:]]+IPv6-ICMP' /etc/protocols 2>/dev/null; then
	lacks proto_lowercase "fwctl block IPv6" IPv6-ICMP
fi

# --- interfaces of the -n namespace, netns: names ----------------------------------
bare_ns cmp
NS=$BARE
if ! ip -n "$NS" link add fwcmpdummy0 type veth peer name fwcmpdummy1 ||
	! ip -n "$NS" link add fwcmpa type veth peer name fwcmpb; then
	t_fail topology "cannot add interfaces to $NS"
	t_done
fi
offers ifaces_of_netns "fwctl -n $NS block icmp " lo fwcmpdummy0 fwcmpa fwcmpb container: netns: pid:
offers ifaces_long_netns "fwctl --netns $NS detach fwcmp" fwcmpdummy0 fwcmpa fwcmpb
offers ifaces_netns_path "fwctl -n /run/netns/$NS status fwcmpd" fwcmpdummy0
lacks ifaces_own_netns "fwctl block icmp fwcmp" fwcmpdummy0 fwcmpa
offers netns_names "fwctl -n fwtestc" "$NS"
# Split at ':' as readline does: the reply is what follows the colon.
offers netns_target "fwctl block icmp netns:fwtestc" "$NS"
offers netns_target_empty "fwctl -n $NS unblock all netns:" "$NS"
offers pid_prefix "fwctl -n p" pid:
offers second_positional "fwctl -n $NS block icmp --dir in fwcmpdu" fwcmpdummy0
offers netns_after_command "fwctl block icmp -n $NS fwcmpdu" fwcmpdummy0
offers short_dir_value "fwctl -n $NS block icmp -d in fwcmpdu" fwcmpdummy0
lacks after_target "fwctl -n $NS block icmp fwcmpa " fwcmpdummy0 icmp
offers files_for_restore "fwctl restore --check $T_ROOT/VERS" "$T_ROOT/VERSION"

# --- once through real readline --------------------------------------------------------
if ! command -v tmux >/dev/null; then
	t_skip readline "needs tmux (apt-get install tmux)"
	t_done
fi
sock=fwcmp$$
pane() { tmux -L "$sock" capture-pane -p | grep -v '^$'; }
tmux -L "$sock" new-session -d -x 200 -y 30 "bash --norc --noprofile"
T_TMUX=$sock
trap 'tmux -L "$T_TMUX" kill-server 2>/dev/null; t_cleanup' EXIT
tmux -L "$sock" send-keys "PS1='$ '; source '$COMPLETION'" Enter
# readline NAME KEYS WANT: types KEYS, Tab, then X (capture-pane drops
# trailing blanks, so the X shows whether Tab added a space); ok when the
# screen shows WANT.
readline() {
	local name=$1 keys=$2 want=$3 screen=
	tmux -L "$sock" send-keys C-u "$keys" Tab X
	for _ in $(seq 1 25); do
		screen=$(pane)
		grep -qF -- "$want" <<<"$screen" && break
		sleep 0.2
	done
	if grep -qF -- "$want" <<<"$screen"; then
		t_ok "$name"
	else
		t_fail "$name" "bash did not complete '$keys<TAB>' to '$want'" "$screen"
	fi
}
readline readline_netns_target "fwctl -n $NS block icmp netns:${NS:0:8}" \
	"block icmp netns:$NS X"
readline readline_interface "fwctl -n $NS detach fwcmpa" "detach fwcmpa X"
readline readline_prefix_nospace "fwctl -n $NS detach conta" "detach container:X"

t_done
