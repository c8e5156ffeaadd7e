# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Bash completion for fwctl: commands, each command's options and their values,
# protocol names (/etc/protocols), interfaces (of the -n namespace when one is
# given), container:NAME (Docker, when reachable), netns:NAME (/run/netns).
# Installed as $(PREFIX)/share/bash-completion/completions/fwctl; works with
# or without the bash-completion package.

# The command table (`fwctl -j help`; tests/deploy_completion.sh checks these
# against it): commands, each one's options, and those of them that take a
# value, so the word after them is not a positional argument.
_fwctl_commands='attach detach block unblock stats status save restore watch monitor doctor help'
_fwctl_globals='-n --netns -j --json -q --quiet -v --verbose -V --version -h --help'
_fwctl_global_valued='-n --netns'

# _fwctl_cmd_opts CMD: its options' long names; _fwctl_cmd_valued CMD: its
# options that take a value, long and short.
_fwctl_cmd_opts() {
	case $1 in
	attach) echo '--mode --hook --force --upgrade' ;;
	detach) echo '--all' ;;
	block) echo '--dir --strict --mode --hook --force --dry-run' ;;
	unblock) echo '--dir --dry-run' ;;
	stats) echo '--watch --count --all --reset --prometheus --human' ;;
	restore) echo '--check' ;;
	watch) echo '--netns --metrics-file --metrics-interval --metrics-listen --recheck' ;;
	monitor) echo '--interval --count --human --packets --rate --write' ;;
	esac
}
_fwctl_cmd_valued() {
	case $1 in
	attach) echo '--mode -m --hook -H' ;;
	block) echo '--dir -d --mode -m --hook -H' ;;
	unblock) echo '--dir -d' ;;
	stats) echo '--watch -w --count -c' ;;
	watch) echo '--netns --metrics-file -m --metrics-interval -i --metrics-listen --recheck' ;;
	monitor) echo '--interval -i --count -c --rate -r --write -w' ;;
	esac
}

# Network namespace names, as `ip netns` sees them.
_fwctl_netns_names() {
	local f
	for f in /run/netns/*; do
		[ -e "$f" ] && printf '%s\n' "${f##*/}"
	done
}

# Interface names, in the namespace $1 (a name, a path or pid:PID) if given.
# Peer suffixes (veth0@if3) are cut; reading another namespace by path needs
# root, and failing quietly is fine for a completion.
_fwctl_ifaces() {
	local ns=$1
	local -a argv=(ip -o link show)
	case $ns in
	'') ;;
	pid:*) argv=(nsenter "--net=/proc/${ns#pid:}/ns/net" ip -o link show) ;;
	*/*) argv=(nsenter "--net=$ns" ip -o link show) ;;
	*) argv=(ip -n "$ns" -o link show) ;;
	esac
	timeout 2 "${argv[@]}" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

# Running containers' names, when a Docker engine answers within 2 seconds.
_fwctl_containers() {
	command -v docker >/dev/null 2>&1 || return 0
	if [ -z "${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ]; then
		return 0
	fi
	timeout 2 docker ps --format '{{.Names}}' 2>/dev/null
}

# Protocol names: /etc/protocols' names and aliases, lower case (fwctl is
# case-insensitive), plus icmpv6.
_fwctl_protocols() {
	{
		[ -r /etc/protocols ] && awk '!/^[ \t]*(#|$)/ {
			for (i = 1; i <= NF && $i !~ /^#/; i++)
				if (i != 2) print tolower($i)
		}' /etc/protocols
		echo icmpv6
	} | sort -u
}

# Replies for a word that readline split at ':' (COMP_WORDBREAKS): only the
# part after the last colon is replaced, so strip what comes before it.
_fwctl_colon_trim() {
	local cur=$1 pre i
	[[ $cur == *:* && $COMP_WORDBREAKS == *:* ]] || return 0
	pre=${cur%"${cur##*:}"}
	for i in "${!COMPREPLY[@]}"; do
		COMPREPLY[i]=${COMPREPLY[i]#"$pre"}
	done
}

# _fwctl_add WORDS CUR: the words that start with CUR, added to COMPREPLY.
_fwctl_add() {
	local w
	while IFS= read -r w; do
		COMPREPLY+=("$w")
	done < <(compgen -W "$1" -- "$2")
}

_fwctl_nospace() {
	type compopt >/dev/null 2>&1 && compopt -o nospace 2>/dev/null
}

# TARGET: interfaces, or container:/netns:/pid: and what follows them.
_fwctl_target() {
	local cur=$1 ns=$2 w
	local -a words=()
	case $cur in
	container:*)
		while IFS= read -r w; do words+=("container:$w"); done < <(_fwctl_containers)
		;;
	netns:*)
		while IFS= read -r w; do words+=("netns:$w"); done < <(_fwctl_netns_names)
		;;
	pid:*) return 0 ;;
	*)
		while IFS= read -r w; do words+=("$w"); done < <(_fwctl_ifaces "$ns")
		words+=(container: netns: pid:)
		;;
	esac
	_fwctl_add "${words[*]}" "$cur"
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] && _fwctl_nospace
	_fwctl_colon_trim "$cur"
}

# PROTO[,PROTO...]: completes the name after the last comma.
_fwctl_proto() {
	local cur=$1 extra=$2 head='' last=$1 p
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		last=${cur##*,}
	fi
	while IFS= read -r p; do
		COMPREPLY+=("$head$p")
	done < <(compgen -W "$(_fwctl_protocols) $extra" -- "$last")
}

_fwctl_files() {
	local f
	while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$1")
	type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
}

_fwctl() {
	local -a words=()
	local i w cur prev cmd='' ns='' npos=0 skip=0 glue=0
	# Put back together what readline split at ':' (pid:1, container:web).
	for ((i = 0; i <= COMP_CWORD && i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == : && ${#words[@]} -gt 1 ]]; then
			words[-1]+=:
			glue=1
		elif ((glue)); then
			words[-1]+=$w
			glue=0
		else
			words+=("$w")
		fi
	done
	((${#words[@]})) || words=('')
	[[ $COMP_CWORD -ge ${#COMP_WORDS[@]} ]] && words+=('')
	cur=${words[-1]}
	prev=
	((${#words[@]} > 1)) && prev=${words[-2]}
	COMPREPLY=()

	# The command, its arguments, and options anywhere: the command's own
	# first (watch's --netns), then the global ones (-n before or after).
	local dashdash=0 valued
	for ((i = 1; i < ${#words[@]} - 1; i++)); do
		w=${words[i]}
		if ((skip)); then
			skip=0
			continue
		fi
		if ((!dashdash)) && [[ $w == -* ]]; then
			valued=" $(_fwctl_cmd_valued "$cmd") "
			case $w in
			--) dashdash=1 ;;
			--*=*) ;;
			*)
				if [[ $valued == *" $w "* ]]; then
					skip=1
				elif [[ " $_fwctl_global_valued " == *" $w "* ]]; then
					ns=${words[i + 1]:-} skip=1
				fi
				;;
			esac
			[[ $w == --netns=* && $cmd != watch ]] && ns=${w#--netns=}
			continue
		fi
		if [ -z "$cmd" ]; then
			cmd=$w
		else
			npos=$((npos + 1))
		fi
	done

	if [ -z "$cmd" ]; then
		case $prev in
		-n | --netns)
			_fwctl_add "$(_fwctl_netns_names) pid:" "$cur"
			[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == pid: ]] && _fwctl_nospace
			_fwctl_colon_trim "$cur"
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			_fwctl_add "$_fwctl_globals" "$cur"
		else
			_fwctl_add "$_fwctl_commands" "$cur"
		fi
		return 0
	fi
	# Values of the option just typed (-H is a flag of stats and monitor).
	case $cmd:$prev in
	*:--dir | *:-d) _fwctl_add 'in out both' "$cur"; return 0 ;;
	*:--mode | attach:-m | block:-m) _fwctl_add 'auto native generic' "$cur"; return 0 ;;
	*:--hook | attach:-H | block:-H) _fwctl_add 'xdp tc' "$cur"; return 0 ;;
	*:--netns | *:-n)
		_fwctl_add "$(_fwctl_netns_names) pid:" "$cur"
		_fwctl_colon_trim "$cur"
		return 0
		;;
	*:--metrics-file | watch:-m | *:--write | monitor:-w)
		_fwctl_files "$cur"
		return 0
		;;
	*:--watch | *:--count | *:--interval | *:--metrics-interval | *:--metrics-listen | *:--recheck) return 0 ;;
	*:--rate | stats:-[wc] | monitor:-[icr] | watch:-i) return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		_fwctl_add "$(_fwctl_cmd_opts "$cmd") --help" "$cur"
		return 0
	fi

	case $cmd in
	attach | detach | stats | status | monitor)
		((npos == 0)) && _fwctl_target "$cur" "$ns"
		;;
	block)
		case $npos in
		0) _fwctl_proto "$cur" '' ;;
		1) _fwctl_target "$cur" "$ns" ;;
		esac
		;;
	unblock)
		case $npos in
		0) _fwctl_proto "$cur" all ;;
		1) _fwctl_target "$cur" "$ns" ;;
		esac
		;;
	save | restore)
		((npos == 0)) && _fwctl_files "$cur"
		;;
	help)
		((npos == 0)) && _fwctl_add "$_fwctl_commands" "$cur"
		;;
	esac
	return 0
}

complete -F _fwctl fwctl
