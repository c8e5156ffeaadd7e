#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_privs.sh - least privilege and safe state.
#
# Capabilities: fwctl runs under setpriv (libcap2-bin's sibling in
# util-linux) with only the capabilities named, as uid 0 without the rest of
# root's powers, and as a non-root uid. It starts inside the namespace
# (nsenter by the test), because entering one with -n is setns(), which the
# kernel allows only with CAP_SYS_ADMIN. The set each command needs:
#
#   status, stats, stats --reset, save, block/unblock on an attached
#   interface, detach, detach --all            CAP_BPF + CAP_NET_ADMIN
#   block/attach of a new interface            + CAP_PERFMON: the verifier
#       allows variable-offset packet pointers (IPv4 options, IPv6 extension
#       headers) only where Spectre v1 masking may be skipped, which takes
#       CAP_PERFMON (CAP_SYS_ADMIN implies it)
#   -n NETNS                                   + CAP_SYS_ADMIN (setns)
#   a non-root uid                             + CAP_DAC_OVERRIDE, since
#       /sys/fs/bpf/fwctl is root's and 0700
#
# Each check runs the command with that set and verifies what it did against
# root's own view (save, status, the kernel's XDP program on the interface),
# and that a set one capability short is refused without changing anything.
#
# Safe state: the directories are 0700 and the pins 0600, root's; fwctl
# refuses a state directory or pin that is foreign-owned, open to others or
# a symlink. Those are planted only in the state of namespaces this test
# creates, and put back (or removed) before it ends.
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_root
require_fwctl
require_cmd setpriv nsenter jq ip stat
setpriv --list-caps | grep -qx perfmon || t_skip_file "setpriv does not know CAP_BPF/CAP_PERFMON"
# A uid and a gid nobody uses, for the non-root runs and the planted owner.
USER_UID=${PRIVS_UID:-4242}
OTHER_UID=$((USER_UID + 1))

bare_ns pv
NS=$BARE
ip -n "$NS" link add pv0 type veth peer name pv1 &&
	ip -n "$NS" link set pv0 up && ip -n "$NS" link set pv1 up ||
	{ t_fail topology "cannot create the veth pair"; t_done; }

PLANTED=()
# What this file plants is undone first; then lib.sh's cleanup.
# shellcheck disable=SC2317 # run by the EXIT trap
privs_cleanup() {
	local p
	for p in "${PLANTED[@]}"; do
		rm -f "$p" 2>/dev/null || rmdir "$p" 2>/dev/null
	done
	# State left by a non-root run is that uid's: root's fwctl refuses it.
	for p in $(state_dir "$NS"); do
		[ "$(stat -c %u "$p")" == 0 ] || rm -rf "$p"
	done
	ip -n "$NS" link set dev pv0 xdp off 2>/dev/null
	t_cleanup
}
trap privs_cleanup EXIT

# as UID CAPS CMD...: fwctl CMD in the namespace as UID with exactly CAPS
# ("bpf,net_admin"; "" for none), nothing inherited beyond them.
as() {
	local uid=$1 caps=$2 set=-all
	shift 2
	[ -n "$caps" ] && set="-all,+${caps//,/,+}"
	run nsenter --net="/run/netns/$NS" setpriv --reuid="$uid" --regid="$uid" --clear-groups \
		--inh-caps="$set" --ambient-caps="$set" --bounding-set="$set" -- "$FWCTL" "$@"
}

# The kernel's and fwctl's view, to judge what a restricted run did: root's,
# or with VIEW_AS="UID CAPS" that operator's (root refuses state a non-root
# operator made: it is not root's).
VIEW_AS=
view() {
	echo "xdp: $(ip -n "$NS" -j link show pv0 | jq -r '.[0].xdp.prog.name // "none"')"
	if [ -n "$VIEW_AS" ]; then
		# shellcheck disable=SC2086 # uid and caps
		as $VIEW_AS save
		printf '%s\n%s\n' "$OUT" "$ERR" | grep -v '^#' | sed '/^$/d'
	else
		fw -n "$NS" save 2>&1 | grep -v '^#'
	fi
}

clean() {
	fw -n "$NS" -q detach --all >/dev/null 2>&1
	ip -n "$NS" link set dev pv0 xdp off 2>/dev/null
}

# caps NAME UID CAPS WANT_RC WANT_VIEW CMD...: CMD as UID with CAPS exits
# WANT_RC and leaves root's view equal to WANT_VIEW (a string, or "-" for
# "unchanged").
caps_check() {
	local name=$1 uid=$2 caps=$3 rc=$4 want=$5 before got
	shift 5
	before=$(view)
	[ "$want" == - ] && want=$before
	as "$uid" "$caps" "$@"
	got=$(view)
	if [ "$RC" -eq "$rc" ] && [ "$got" == "$want" ]; then
		t_ok "$name"
	else
		t_fail "$name" "with {$caps} as uid $uid: exit $RC (want $rc), state $( [ "$got" == "$want" ] && echo as expected || echo wrong)" \
			"$(last_run)" "root's view before:" "$before" "want:" "$want" "got:" "$got"
	fi
}

MIN=bpf,net_admin
LOAD=bpf,net_admin,perfmon
NONE_VIEW="xdp: none"
ICMP_VIEW=$(printf 'xdp: fw_xdp\nblock icmp pv0')

# --- capabilities, uid 0 ------------------------------------------------------

clean
caps_check caps/no-caps-refused 0 "" 1 - block icmp pv0
caps_check caps/bpf-alone-refused 0 bpf 1 - block icmp pv0
caps_check caps/net_admin-alone-refused 0 net_admin 1 - block icmp pv0
caps_check caps/block-new-iface-without-perfmon-refused 0 "$MIN" 1 - block icmp pv0
caps_check caps/block-new-iface-bpf+net_admin+perfmon 0 "$LOAD" 0 "$ICMP_VIEW" block icmp pv0

clean
fw -n "$NS" -q block icmp pv0 >/dev/null 2>&1
caps_check caps/status-bpf+net_admin 0 "$MIN" 0 - -j status
[ "$RC" -eq 0 ] && expect_eq caps/status-same-as-root "$(fw_state "$NS")" "$(jq -S . <<<"$OUT")"
caps_check caps/stats-bpf+net_admin 0 "$MIN" 0 - -j stats
caps_check caps/stats-reset-bpf+net_admin 0 "$MIN" 0 - stats --reset
caps_check caps/save-bpf+net_admin 0 "$MIN" 0 - save
caps_check caps/block-attached-bpf+net_admin 0 "$MIN" 0 \
	"$(printf 'xdp: fw_xdp\nblock icmp,udp pv0')" block udp pv0
caps_check caps/unblock-bpf+net_admin 0 "$MIN" 0 "$ICMP_VIEW" unblock udp pv0
caps_check caps/detach-bpf+net_admin 0 "$MIN" 0 "$NONE_VIEW" detach pv0
clean
fw -n "$NS" -q block icmp pv0 >/dev/null 2>&1
caps_check caps/detach-all-bpf+net_admin 0 "$MIN" 0 "$NONE_VIEW" detach --all

# Entering a namespace is setns(): CAP_SYS_ADMIN, whatever fwctl does.
clean
fw -n "$NS" -q block icmp pv0 >/dev/null 2>&1
caps_check caps/netns-switch-without-sys_admin-refused 0 "$MIN" 1 - -n "/run/netns/$NS" status
caps_check caps/netns-switch-bpf+net_admin+sys_admin 0 "$MIN,sys_admin" 0 - -n "/run/netns/$NS" status

# --- capabilities, a non-root uid ----------------------------------------------

clean
if ! setpriv --reuid="$USER_UID" --regid="$USER_UID" --clear-groups test -x "$FWCTL"; then
	t_skip uid "uid $USER_UID cannot execute $FWCTL"
else
	VIEW_AS="$USER_UID $MIN,dac_override"
	caps_check uid/without-dac_override-refused "$USER_UID" "$LOAD" 1 - block icmp pv0
	caps_check uid/block-with-dac_override "$USER_UID" "$LOAD,dac_override" 0 "$ICMP_VIEW" \
		block icmp pv0
	caps_check uid/status-with-dac_override "$USER_UID" "$MIN,dac_override" 0 - status
	caps_check uid/detach-all-with-dac_override "$USER_UID" "$MIN,dac_override" 0 \
		"$NONE_VIEW" detach --all
	as "$USER_UID" "$LOAD,dac_override,sys_admin" detach --all
	VIEW_AS=
fi

# --- doctor without privileges --------------------------------------------------

# doctor says what is missing, in lower-case words, and exits 1 (issue 14.7):
# as nobody (65534) with no capability, and as root with all of them. Under
# -j its one document names what is missing (no second, error, document).
run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$FWCTL" -j doctor
DOC=$OUT
if [ "$RC" -eq 1 ] && is_json "$DOC" &&
	[ "$(json "$DOC" '.checks[] | select(.check == "privileges") | .status')" == missing ] &&
	[ "$(json "$DOC" '.missing | index("privileges") != null')" == true ] &&
	[ "$(json "$DOC" '[.checks[].status] - ["ok", "degraded", "missing"] | length')" == 0 ] &&
	[ "$(json "$DOC" '.netns')" == host ] &&
	[ -z "$ERR" ]; then
	t_ok doctor/unprivileged-missing-exit-1
else
	t_fail doctor/unprivileged-missing-exit-1 \
		"want exit 1, privileges 'missing', lower-case words, netns, one JSON document and nothing on stderr" "$(last_run)"
fi
run setpriv --reuid=65534 --regid=65534 --clear-groups -- "$FWCTL" doctor
if [ "$RC" -eq 1 ] && grep -qE '^missing +privileges ' <<<"$OUT" && ! grep -qE '^(OK|MISSING|DEGRADED) ' <<<"$OUT" &&
	[[ $ERR == "fwctl: doctor: missing: "*privileges* ]]; then
	t_ok doctor/unprivileged-text-lower-case
else
	t_fail doctor/unprivileged-text-lower-case "want 'missing  privileges' and exit 1" "$(last_run)"
fi
run "$FWCTL" -j doctor
if is_json "$OUT" &&
	[ "$(json "$OUT" '.checks[] | select(.check == "privileges") | .status')" == ok ] &&
	{ [ "$RC" -eq 0 ] || [ "$(json "$OUT" '.missing | length')" -gt 0 ]; }; then
	t_ok doctor/root-privileges-ok
else
	t_fail doctor/root-privileges-ok "root's doctor: privileges not ok, or exit 1 with nothing missing" \
		"$(last_run)"
fi

# --- modes of what fwctl creates ------------------------------------------------

clean
fw -n "$NS" -q block icmp pv0 >/dev/null 2>&1
DIR=$(state_dir "$NS")
if [ -z "$DIR" ]; then
	t_fail perms/state "no state directory for $NS after block"
else
	bad=$(stat -c '%a %u %F %n' /sys/fs/bpf/fwctl "$DIR" | grep -v '^700 0 directory ')
	[ -z "$bad" ] && t_ok perms/dirs-0700-root || t_fail perms/dirs-0700-root "wrong mode or owner" "$bad"
	pins=$(find "$DIR" -mindepth 1 | wc -l)
	bad=$(find "$DIR" -mindepth 1 -exec stat -c '%a %u %F %n' {} + | grep -v '^600 0 regular')
	[ "$pins" -ge 5 ] && [ -z "$bad" ] && t_ok perms/pins-0600-root ||
		t_fail perms/pins-0600-root "$pins entries; wrong mode, owner or type:" "$bad"
fi

# --- planted: foreign owner, open modes, symlinks -----------------------------

# refused NAME: status and block both refuse, with fwctl's message, and
# change nothing the kernel runs.
refused() {
	local name=$1 xdp_before xdp_after
	xdp_before=$(ip -n "$NS" -j link show pv0 | jq -r '.[0].xdp.prog.id // 0')
	run fw -n "$NS" status
	local rc1=$RC err1=$ERR
	run fw -n "$NS" block udp pv0
	xdp_after=$(ip -n "$NS" -j link show pv0 | jq -r '.[0].xdp.prog.id // 0')
	if [ "$rc1" -eq 1 ] && [ "$RC" -eq 1 ] && [[ $err1 == *"refusing unsafe"* ]] &&
		[[ $ERR == *"refusing unsafe"* ]] && [ "$xdp_before" == "$xdp_after" ]; then
		t_ok "$name"
	else
		t_fail "$name" "not refused" "status: exit $rc1: $err1" "block: exit $RC: $ERR" \
			"XDP program before $xdp_before, after $xdp_after"
	fi
}

if [ -n "$DIR" ]; then
	before=$(fw_state "$NS")

	chown "$OTHER_UID:$OTHER_UID" "$DIR"
	refused plant/foreign-owned-state-dir
	chown 0:0 "$DIR"

	chmod 0750 "$DIR"
	refused plant/group-readable-state-dir
	chmod 0700 "$DIR"

	chown "$OTHER_UID" "$DIR/fw_rules"
	refused plant/foreign-owned-pin
	chown 0 "$DIR/fw_rules"

	chmod 0644 "$DIR/fw_rules"
	refused plant/world-readable-pin
	chmod 0600 "$DIR/fw_rules"

	# bpffs refuses names with a dot.
	if mv "$DIR/fw_rules" "$DIR/fw_rules_real"; then
		if ln -s fw_rules_real "$DIR/fw_rules"; then
			refused plant/symlinked-pin
			rm -f "$DIR/fw_rules"
		else
			t_fail plant/symlinked-pin "cannot plant the symlink"
		fi
		mv "$DIR/fw_rules_real" "$DIR/fw_rules"
	else
		t_fail plant/symlinked-pin "cannot move the pin aside"
	fi

	expect_eq plant/state-intact-after-restoring "$before" "$(fw_state "$NS")"
fi

# A symlink where a new namespace's state directory will go, pointing at a
# decoy directory on bpffs: fwctl must not follow it.
bare_ns pv2
NS2=$BARE
ip -n "$NS2" link add pv2a type veth peer name pv2b && ip -n "$NS2" link set pv2a up
ino2=$(stat -L -c %i "/run/netns/$NS2")
decoy=/sys/fs/bpf/fwtest-decoy-$$
link=/sys/fs/bpf/fwctl/ns$ino2
if [ -e "$link" ]; then
	t_fail plant/symlinked-state-dir "$link exists before the test"
elif mkdir -m 0700 "$decoy" && PLANTED+=("$link" "$decoy") && ln -s "$decoy" "$link"; then
	run fw -n "$NS2" block icmp pv2a
	xdp=$(ip -n "$NS2" -j link show pv2a | jq -r '.[0].xdp.prog.id // 0')
	if [ "$RC" -eq 1 ] && [[ $ERR == *"refusing unsafe"* ]] && [ -L "$link" ] &&
		[ -z "$(ls -A "$decoy")" ] && [ "$xdp" == 0 ]; then
		t_ok plant/symlinked-state-dir
	else
		t_fail plant/symlinked-state-dir "followed or not refused" "$(last_run)" \
			"decoy holds: $(ls -A "$decoy" | tr '\n' ' ')" "XDP on pv2a: $xdp"
	fi
	rm -f "$link"
	rmdir "$decoy"
else
	t_fail plant/symlinked-state-dir "cannot plant the symlink"
fi

t_done
