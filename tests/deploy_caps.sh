#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_caps.sh - the least privilege the units (CapabilityBoundingSet=) and
# the DaemonSet (capabilities.add) grant is enough, and each capability in it
# is needed: fwctl runs as root with only that bounding set (setpriv, and
# no_new_privs as NoNewPrivileges=yes sets it) through block, container (pid:)
# targets, status, stats, save, restore, watch, doctor and detach; it mounts
# bpffs itself where none is mounted; and it opens no socket but the families
# RestrictAddressFamilies= allows.
#
#   fwtestcaphost: docker0 -- vethc1 == fwtestcapc1 (httpd)
#                          -- vethc2 == fwtestcapc2 (httpd)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

UNIT=deploy/systemd/fwctl-watch.service
require_root
require_fwctl
require_cmd setpriv nsenter unshare

# CAP_SYS_ADMIN CAP_NET_ADMIN ... -> +sys_admin,+net_admin,...
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[ -n "$caps" ] || t_skip_file "$UNIT has no CapabilityBoundingSet="
setpriv_caps() {
	local c out=
	for c in "$@"; do
		c=${c#CAP_}
		out+=",+${c,,}"
	done
	echo "${out#,}"
}
# shellcheck disable=SC2086 # one capability per word
BOUND=$(setpriv_caps $caps)

# lim CAPS CMD...: CMD as root with only CAPS, as the units run it.
# shellcheck disable=SC2317 # called through check and run
lim() {
	local set=$1
	shift
	setpriv --bounding-set="-all${set:+,$set}" --inh-caps=-all --no-new-privs -- "$@"
}

topo_up cap 2
P1=$(ip netns pids "${TOPO_PREFIX}c1" | head -1)
[ -n "$P1" ] || t_fail topology "no process in ${TOPO_PREFIX}c1"

# --- the whole workload with the unit's capabilities -----------------------------
check caps_block_bridge lim "$BOUND" "$FWCTL" -q -n "$H" block icmp docker0
check caps_block_pid_target lim "$BOUND" "$FWCTL" -q -n "$H" block udp "pid:$P1" --dir in
check caps_status lim "$BOUND" "$FWCTL" -n "$H" -j status
want=$(blocked_numbers "$OUT" docker0 in)
expect_eq caps_status_shows_rules "1" "$want" "$(last_run)"
check caps_stats lim "$BOUND" "$FWCTL" -n "$H" stats --prometheus
check caps_save lim "$BOUND" "$FWCTL" -n "$H" save "$T_TMP/saved.conf"
printf 'block icmp docker0\nblock gre vethc1 --dir out\n' >"$T_TMP/rules.conf"
check caps_restore_check lim "$BOUND" "$FWCTL" restore --check "$T_TMP/rules.conf"
check caps_restore lim "$BOUND" "$FWCTL" -q -n "$H" restore "$T_TMP/rules.conf"
# It logs that it started, and nothing else: the rules are in place already,
# so there is nothing to do and nothing to complain about.
run lim "$BOUND" timeout 3 "$FWCTL" -n "$H" watch
if [ "$RC" -eq 124 ] && ! grep -qvE '^(<6>)?fwctl: watch [^ ]*: started$' <<<"$ERR"; then
	t_ok caps_watch
else
	t_fail caps_watch "watch should run until stopped, with nothing to do or report" \
		"$(last_run)"
fi
run lim "$BOUND" "$FWCTL" doctor
full=$("$FWCTL" doctor 2>&1 | awk '{ print $1, $2 }')
expect_eq caps_doctor_same_verdicts "$full" "$(awk '{ print $1, $2 }' <<<"$OUT")" "$(last_run)"
check caps_detach lim "$BOUND" "$FWCTL" -n "$H" detach --all
left=$(ip -n "$H" -d link show | grep -E 'prog/xdp|xdpgeneric|xdpdrv')
expect_eq detach_all_leaves_nothing "" "$left"

# --- each capability is needed -----------------------------------------------------
# without CAP: the operation that needs it fails, with the rest of the set.
needed() {
	local cap=$1 name=$2 rest c
	shift 2
	rest=$(for c in $caps; do [ "$c" != "$cap" ] && echo "$c"; done)
	# shellcheck disable=SC2086 # one capability per word
	run lim "$(setpriv_caps $rest)" "$@"
	if [ "$RC" -ne 0 ]; then
		t_ok "$name"
	else
		t_fail "$name" "$cap is in the set but nothing needed it" "$(last_run)"
	fi
	"$FWCTL" -q -n "$H" detach --all >/dev/null 2>&1
}
for c in $caps; do
	case $c in
	CAP_SYS_ADMIN) needed "$c" needs_sys_admin "$FWCTL" -q -n "$H" block icmp vethc1 ;;
	CAP_NET_ADMIN)
		needed "$c" needs_net_admin in_ns "$H" "$FWCTL" -q block icmp vethc1
		;;
	CAP_SYS_PTRACE) needed "$c" needs_sys_ptrace "$FWCTL" -q -n "$H" block icmp "pid:$P1" ;;
	*) t_fail "needs_${c,,}" "no check says why $c is needed" ;;
	esac
done

# --- mounting bpffs where there is none ----------------------------------------------
# A private mount namespace with /sys/fs/bpf unmounted: the host's stays as it is.
# shellcheck disable=SC2016 # expanded by the inner bash
script='umount /sys/fs/bpf 2>/dev/null
setpriv --bounding-set="-all,'$BOUND'" --inh-caps=-all --no-new-privs -- \
	"$0" -q -n "$1" block icmp vethc1 || exit 1
[ "$(stat -f -c %t /sys/fs/bpf)" = cafe4a11 ] || exit 2
"$0" -q -n "$1" detach --all'
run unshare --mount --propagation private bash -c "$script" "$FWCTL" "$H"
if [ "$RC" -eq 0 ]; then
	t_ok caps_mount_bpffs
else
	t_fail caps_mount_bpffs "fwctl could not mount bpffs with the unit's capabilities" \
		"$(last_run)"
fi

# --- socket families (RestrictAddressFamilies=) ------------------------------------------
allowed=$(sed -n 's/^RestrictAddressFamilies=//p' "$UNIT")
if ! command -v strace >/dev/null; then
	t_skip socket_families "needs strace (apt-get install strace)"
else
	# shellcheck disable=SC2016 # expanded by the inner bash
	run strace -f -qq -e trace=socket -o "$T_TMP/strace" bash -c '
		f=$0 h=$1 p=$2 d=$3
		"$f" -q -n "$h" block icmp docker0
		"$f" -q -n "$h" block udp "pid:$p"
		"$f" -n "$h" status
		"$f" -n "$h" stats --prometheus
		"$f" -n "$h" save >"$d/s.conf"
		"$f" -q -n "$h" restore "$d/rules.conf"
		timeout 2 "$f" -n "$h" watch
		"$f" doctor
		DOCKER_HOST=unix://$d/no.sock "$f" -q -n "$h" status container:x
		"$f" -n "$h" detach --all' "$FWCTL" "$H" "$P1" "$T_TMP"
	used=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$T_TMP/strace" | sed 's/socket(//' | sort -u)
	extra=$(for f in $used; do grep -qw "$f" <<<"$allowed" || echo "$f"; done)
	if [ -n "$used" ] && [ -z "$extra" ]; then
		t_ok socket_families
	else
		t_fail socket_families "fwctl opened sockets outside '$allowed': ${extra:-none traced}"
	fi
fi

t_done
