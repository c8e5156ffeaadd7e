#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_crash.sh - kill -9 fwctl at random moments during attach, block and
# restore (CRASH_KILLS per scenario, default 15), and at exact ones: the Nth
# bpf(2) call, N spread from its first change to its end (CRASH_EXACT per scenario,
# default 12, SIGKILL injected by strace); 135 kills in all, the last 27 with
# TCX links (FWCTL_TC=tcx). Then check:
#  - the rules are the old ones or the new ones, never a mix: `-j status`'s
#    rules and `save` (less its comment) equal one of the two rulesets the
#    same command gives when it is not killed;
#  - status tells the truth about the half-made kernel it finds (status only
#    looks, it repairs nothing): the XDP program on each interface is the
#    one `status` names (or none where it names none), a TC program of
#    fwctl's sits on each TC hook exactly where `status` says one does, and
#    there is one pinned TCX link per interface `status` says has one;
#  - the next call works: `status` answers at once (flock dies with its
#    holder, so no stale lock), and the killed command run again to the end
#    gives exactly the new state, with the kernel in agreement.
# The delay before the kill is random (bash $RANDOM, bounded, in
# microseconds): 0 to how long the command takes when left alone (at least
# 5 ms), so the kill lands anywhere from exec to exit. A kill that finds a
# change half made leaves fwctl's dirty mark set: `status` says so, and the
# next changing fwctl repairs it; at least one kill must find it set.
#
#   fwtestcr:  cra <=veth=> crap     crb <=veth=> crbp
# Up to 135 kills, each a fresh attach or restore: 3-4 minutes on a quiet
# 2-core machine, more than twice that beside a parallel build.
# test-timeout: 900
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_fwctl
require_cmd nsenter jq ip strace tc
KILLS=${CRASH_KILLS:-15}

bare_ns cr
NS=$BARE
for p in a b; do
	ip -n "$NS" link add cr$p type veth peer name cr${p}p &&
		ip -n "$NS" link set cr$p up && ip -n "$NS" link set cr${p}p up ||
		{ t_fail topology "cannot create veth pairs"; t_done; }
done

# The canonical state, one line per interface, rule and saved line: status
# without program ids and save without its comment line, all sorted.
snap() {
	local st sv rc
	st=$(fw -n "$NS" -j status 2>>"$T_TMP/snap.err")
	rc=$?
	# 3: something is not enforced, which a half-made change may leave.
	[ $rc -eq 0 ] || [ $rc -eq 3 ] || { echo "status failed: $st"; return; }
	jq -c -S '(.interfaces[]? | {status: .ifname, hook, xdp: .xdp.mode, tc: .tc.kind,
		egress: .tc.egress, ingress: .tc.ingress, blocked, strict}),
		(.rules[]? | {rule: .target, in, out, mode, hook})' <<<"$st" 2>&1 | sort
	sv=$(fw -n "$NS" save 2>&1) || { echo "save failed: $sv"; return; }
	grep -v '^#' <<<"$sv" | sed 's/^/save: /' | sort
}

# The rules alone: what must be old or new right after a kill.
rules_snap() {
	grep -E '"rule":|^save: ' <<<"$1"
}

# what_differs A B: B's lines that A lacks (+) and A's that B lacks (-).
what_differs() {
	diff <(echo "$1") <(echo "$2") | sed -n 's/^> /+ /p; s/^< /- /p'
	return 0
}

# kernel_check: what the kernel runs is what fwctl says. Empty output means
# it agrees; otherwise one line per disagreement.
kernel_check() {
	local st ifc kid sid dir pins want hook ktc stc
	st=$(fw -n "$NS" -j status 2>/dev/null)
	for ifc in cra crb; do
		kid=$(ip -n "$NS" -j link show $ifc | jq -r '.[0].xdp.prog.id // 0')
		sid=$(jq -r --arg i $ifc '[.interfaces[]? | select(.ifname == $i and
			.xdp.attached) | .xdp.prog_id][0] // 0' <<<"$st")
		[ "$kid" == "$sid" ] ||
			echo "$ifc: the kernel runs XDP program $kid, fwctl status says ${sid/#0/none}"
		for hook in ingress egress; do
			ktc=false
			tc -n "$NS" filter show dev $ifc $hook 2>/dev/null | grep -q ' fw_tc_' && ktc=true
			stc=$(jq -r --arg i $ifc --arg h $hook '[.interfaces[]? | select(.ifname == $i and
				.tc.kind == "cls_bpf") | .tc[$h]][0] // false' <<<"$st")
			[ "$ktc" == "$stc" ] ||
				echo "$ifc: fwctl's cls_bpf filter on $hook: kernel $ktc, fwctl status $stc"
		done
	done
	dir=$(state_dir "$NS")
	pins=0
	[ -n "$dir" ] && pins=$(find "$dir" -maxdepth 1 -name 'fw_tcx_out_*' | wc -l)
	want=$(jq '[.interfaces[]? | select(.tc.egress and .tc.kind == "tcx")] | length' \
		<<<"$st" 2>/dev/null)
	[ "$pins" == "${want:-0}" ] ||
		echo "$pins pinned TCX egress links, fwctl status says ${want:-0} interfaces have one"
}

# reset SETUP...: detach everything, clear the kernel's XDP on both
# interfaces (a crashed attach may have left one fwctl does not know), then
# run each SETUP command line.
reset() {
	local c
	fw -n "$NS" -q detach --all >/dev/null 2>&1
	ip -n "$NS" link set dev cra xdp off 2>/dev/null
	ip -n "$NS" link set dev crb xdp off 2>/dev/null
	for c in "$@"; do
		# shellcheck disable=SC2086 # a command line, split on purpose
		fw -n "$NS" -q $c >/dev/null 2>&1 || return 1
	done
}

ms_now() {
	date +%s%3N
}

# bpf_calls SETUP... -- OP: "FIRST LAST": OP's bpf(2) calls from SETUP's
# state, numbered from 1, from its first change (a map update: the dirty
# mark) to its last call; before the first change it only reads.
bpf_calls() {
	local setup=()
	while [ "$1" != -- ]; do
		setup+=("$1")
		shift
	done
	shift
	reset "${setup[@]}" || { echo 0; return; }
	strace -f -e trace=bpf -o "$T_TMP/count" "$FWCTL" -q -n "$NS" "$@" >/dev/null 2>&1
	awk '/bpf\(/ { n++ } /BPF_MAP_UPDATE_ELEM/ && !first { first = n }
		END { print (first ? first : 1), n + 0 }' "$T_TMP/count"
}

printf 'block udp crb --dir in\nblock tcp,gre cra --dir out\n' >"$T_TMP/B.rules"
printf 'block icmp cra\n' >"$T_TMP/A.rules"

# scenario NAME "OP" SETUP...: OP killed KILLS times from the state SETUP makes.
scenario() {
	local name=$1 op=$2
	shift 2
	local old new got kc t0 dur max delay i pid outcome n_old=0 n_new=0 n_mix=0 shown=0 n_repaired=0
	local mix_detail=() kern_detail=() next_detail=() lock_detail=() n_kern=0

	# The two states, from runs left alone; and how long the command takes.
	if ! reset "$@"; then
		t_fail "$name/setup" "cannot set up the old state" "setup: $*"
		return
	fi
	old=$(snap)
	old_r=$(rules_snap "$old")
	t0=$(ms_now)
	# shellcheck disable=SC2086
	run fw -n "$NS" $op
	dur=$(($(ms_now) - t0))
	new=$(snap)
	new_r=$(rules_snap "$new")
	if [ "$RC" -ne 0 ] || [ "$old" == "$new" ]; then
		t_fail "$name/setup" "the command fails or changes nothing" "$(last_run)"
		return
	fi
	kc=$(kernel_check)
	[ -z "$kc" ] || t_fail "$name/setup" "the kernel disagrees with fwctl after '$op'" "$kc"
	# Kills spread over the command's whole run, in microseconds.
	max=$((dur * 1000))
	[ $max -ge 5000 ] || max=5000
	# And kills at exact moments: at bpf(2) calls spread evenly over the
	# command's run (strace injects SIGKILL at the Nth), the first change
	# to the kernel or the pins included.
	local at=() first nbpf
	# shellcheck disable=SC2086 # a command line, split on purpose
	read -r first nbpf < <(bpf_calls "$@" -- $op)
	if [ "${nbpf:-0}" -gt "${first:-0}" ]; then
		for ((i = 0; i < EXACT; i++)); do
			at+=($((first + i * (nbpf - first) / (EXACT > 1 ? EXACT - 1 : 1))))
		done
	fi
	local total=$((KILLS + ${#at[@]}))

	for ((i = 1; i <= total; i++)); do
		if ! reset "$@" || [ "$(snap)" != "$old" ]; then
			t_fail "$name/setup" "cannot get back to the old state (kill $i)"
			return
		fi
		if [ $i -le "$KILLS" ]; then
			delay=$(((RANDOM * 32768 + RANDOM) % (max + 1)))
			# shellcheck disable=SC2086
			"$FWCTL" -q -n "$NS" $op >/dev/null 2>&1 &
			pid=$!
			sleep "$(printf '0.%06d' "$delay")"
			kill -9 $pid 2>/dev/null
			wait $pid 2>/dev/null
			delay="$delay us"
		else
			delay="bpf call ${at[i - KILLS - 1]} of $nbpf"
			# shellcheck disable=SC2086
			strace -f -o /dev/null -e trace=bpf \
				-e inject=bpf:signal=KILL:when="${at[i - KILLS - 1]}" \
				"$FWCTL" -q -n "$NS" $op >/dev/null 2>&1
		fi
		: >"$T_TMP/snap.err"
		got=$(rules_snap "$(snap)")
		if grep -q 'interrupted fwctl' "$T_TMP/snap.err"; then
			n_repaired=$((n_repaired + 1))
			REPAIRS=$((REPAIRS + 1))
		fi
		if [ "$got" == "$old_r" ]; then
			outcome=old n_old=$((n_old + 1))
		elif [ "$got" == "$new_r" ]; then
			outcome=new n_new=$((n_new + 1))
		else
			outcome=mix n_mix=$((n_mix + 1))
			[ $shown -lt 2 ] && mix_detail+=("kill $i at $delay: against the old rules:" \
				"$(what_differs "$old_r" "$got")" "against the new rules:" \
				"$(what_differs "$new_r" "$got")") &&
				shown=$((shown + 1))
		fi
		kc=$(kernel_check)
		if [ -n "$kc" ]; then
			n_kern=$((n_kern + 1))
			[ ${#kern_detail[@]} -lt 6 ] &&
				kern_detail+=("kill $i at $delay (state $outcome):" "$kc")
		fi
		# The next call: no stale lock (status exits 3 while a half-made
		# change leaves something not enforced), and the command
		# completes the change.
		run timeout 5 "$FWCTL" -n "$NS" -j status
		[ "$RC" -eq 0 ] || [ "$RC" -eq 3 ] || lock_detail+=("kill $i at $delay: $(last_run)")
		# shellcheck disable=SC2086
		run timeout 10 "$FWCTL" -q -n "$NS" $op
		got=$(snap)
		kc=$(kernel_check)
		if [ "$RC" -ne 0 ] || [ "$got" != "$new" ] || [ -n "$kc" ]; then
			[ ${#next_detail[@]} -lt 8 ] && next_detail+=(
				"kill $i at $delay (state $outcome), then '$op' again: exit $RC;" \
				"against the new state:" "$(what_differs "$new" "$got")" "$kc")
		fi
		echo "e2e_crash: $name kill $i at $delay of ~$dur: $outcome${kc:+, kernel disagrees}" >&2
	done
	echo "e2e_crash: $name: $total kills: $n_old old, $n_new new, $n_mix mix;" \
		"$n_repaired found mid-change; status and kernel disagreed $n_kern times" >&2

	if [ $n_mix -eq 0 ]; then
		t_ok "$name/old-or-new"
	else
		t_fail "$name/old-or-new" "$n_mix of $total kills left a state that is neither" \
			"$n_old old, $n_new new; command '$op', killed within ${max} us or by strace" \
			"${mix_detail[@]}"
	fi
	if [ $n_kern -eq 0 ]; then
		t_ok "$name/kernel-agrees"
	else
		t_fail "$name/kernel-agrees" "after $n_kern of $total kills status does not show what the kernel runs" \
			"${kern_detail[@]}"
	fi
	if [ ${#lock_detail[@]} -eq 0 ]; then
		t_ok "$name/no-stale-lock"
	else
		t_fail "$name/no-stale-lock" "status did not answer after a kill" "${lock_detail[@]}"
	fi
	if [ ${#next_detail[@]} -eq 0 ]; then
		t_ok "$name/next-call-completes"
	else
		t_fail "$name/next-call-completes" "running the command again did not give the new state" \
			"${next_detail[@]}"
	fi
}

REPAIRS=0
EXACT=${CRASH_EXACT:-12}
scenario attach "attach crb" "block icmp cra"
scenario block-new-iface "block udp,gre crb" "block icmp cra"
scenario block-more "block udp,gre cra --dir in" "block icmp cra" "attach crb"
scenario restore "restore $T_TMP/B.rules" "restore $T_TMP/A.rules"
# Pinned TCX links instead of cls_bpf filters: a link made but not yet
# recorded must not outlive the repair either.
FWCTL_TC=tcx scenario attach-tcx "attach crb" "block icmp cra"
# Kills spread over whole runs must sometimes land mid-change; if none did,
# the checks above proved nothing about repairs.
if [ "$REPAIRS" -gt 0 ]; then
	t_ok kills-landed-mid-change
else
	t_fail kills-landed-mid-change "none of the kills left a change half made"
fi

# detach --all after a killed attach: nothing of ours may stay attached. The
# kill lands in the second half of the command, where the program is loaded.
orphans=()
for ((i = 1; i <= 5; i++)); do
	reset "block icmp cra" || break
	t0=$(ms_now)
	"$FWCTL" -q -n "$NS" block udp crb >/dev/null 2>&1
	dur=$(($(ms_now) - t0))
	reset "block icmp cra" || break
	delay=$((dur / 2 + RANDOM % (dur / 2 + 1)))
	"$FWCTL" -q -n "$NS" block udp crb >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' "$delay")"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	before=$(ip -n "$NS" -j link show crb | jq -r '.[0].xdp.prog | "\(.name // "none") \(.id // "")"')
	fw -n "$NS" -q detach --all >/dev/null 2>&1
	after=$(ip -n "$NS" -j link show crb | jq -r '.[0].xdp.prog | "\(.name // "none") \(.id // "")"')
	[ "${after%% *}" == none ] ||
		orphans+=("killed after $delay ms: crb had XDP '$before'; after detach --all: '$after'")
done
if [ ${#orphans[@]} -eq 0 ]; then
	t_ok detach-all-after-kill-clean
else
	t_fail detach-all-after-kill-clean \
		"${#orphans[@]} of 5: detach --all left an fw_xdp program attached" "${orphans[@]}"
fi

t_done
