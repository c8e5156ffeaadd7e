#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_errors.sh - every error: the right exit status (2 usage, 1 runtime), one
# line on stderr starting with "fwctl: ", and the state exactly as before.
#
#   fwtesterrhost: docker0 172.31.X.1 --+-- vethc1 == eth0 .11 (fwtesterrc1)
#                                       +-- vethc2 == eth0 .12 (fwtesterrc2)
# shellcheck disable=SC2317 # helpers run through assert()
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

require_root
require_fwctl
require_cmd jq
topo_up err 2
C1=${TOPO_PREFIX}c1
topo_baseline

BPFFS=/sys/fs/bpf/fwctl

# expect_error NAME CODE REGEX CMD...: CMD exits CODE with one stderr line that
# starts with "fwctl: " and matches REGEX (case-insensitive; "" for any), and
# the namespace's state is what it was.
expect_error() {
	local name=$1 code=$2 re=$3 before after lines
	shift 3
	before=$(fw_state "$H")
	run "$@"
	after=$(fw_state "$H")
	lines=$(printf '%s' "$ERR" | grep -c '')
	if [ "$RC" -ne "$code" ]; then
		t_fail "$name" "expected exit $code, got $RC" "$(last_run)"
	elif [ "$lines" -ne 1 ] || [[ $ERR != "fwctl: "* ]]; then
		t_fail "$name" "want one stderr line starting 'fwctl: ', got $lines" "$(last_run)"
	elif [ -n "$re" ] && ! grep -qiE "$re" <<<"$ERR"; then
		t_fail "$name" "message does not match /$re/" "$(last_run)"
	elif [ "$before" != "$after" ]; then
		t_fail "$name" "state changed" "$(diff <(echo "$before") <(echo "$after"))"
	else
		t_ok "$name"
	fi
}

# A failed first command must not even create the namespace's state.
expect_error fresh_unknown_proto 2 bogus fw -n "$H" block bogus docker0
expect_error fresh_native_on_bridge 1 native fw -n "$H" block icmp docker0 --mode native
expect_eq fresh_no_state_created "" "$(state_dir "$H")"

# Some state to keep unchanged from here on.
check setup_block fw -n "$H" block udp vethc2

# Usage errors: exit 2.
expect_error unknown_proto 2 bogus fw -n "$H" block bogus docker0
expect_error proto_256 2 256 fw -n "$H" block 256 docker0
expect_error proto_negative 2 '' fw -n "$H" block -1 docker0
expect_error proto_empty_list 2 '' fw -n "$H" block '' docker0
expect_error proto_empty_item 2 '' fw -n "$H" block icmp, docker0
expect_error proto_partly_bad 2 bogus fw -n "$H" block icmp,bogus vethc1
assert partly_bad_blocked_nothing "icmp blocked by a command that failed" \
	ping_ok "$H" "${C_IP4[1]}"
expect_error unblock_unknown_proto 2 bogus fw -n "$H" unblock bogus vethc2
expect_error unknown_interface 2 nosuchif0 fw -n "$H" block icmp nosuchif0
expect_error unknown_netns 2 nosuchns fw -n nosuchns status
expect_error unknown_netns_block 2 nosuchns fw -n nosuchns block icmp docker0
expect_error unknown_netns_target 2 '' fw -n "$H" block icmp netns:fwtestnosuchns
expect_error bad_dir 2 sideways fw -n "$H" block icmp docker0 --dir sideways
expect_error missing_dir_value 2 '' fw -n "$H" block icmp docker0 --dir
expect_error bad_mode 2 fast fw -n "$H" attach vethc1 --mode fast
expect_error bad_mode_block 2 fast fw -n "$H" block icmp vethc1 --mode fast
expect_error bad_hook 2 '' fw -n "$H" attach vethc1 --hook bpf
expect_error missing_target 2 '' fw -n "$H" block icmp
expect_error missing_proto 2 '' fw -n "$H" block
expect_error detach_no_target 2 '' fw -n "$H" detach
expect_error extra_argument 2 '' fw -n "$H" status docker0 extra
expect_error bad_watch 2 '' fw -n "$H" stats --watch abc
expect_error unknown_option 2 '' fw -n "$H" block icmp docker0 --frobnicate

# Runtime errors: exit 1.
expect_error native_on_bridge 1 'native' fw -n "$H" attach docker0 --mode native
# A block on a bridge touches its ports too: all or nothing.
expect_error native_on_bridge_block 1 'native' fw -n "$H" block icmp docker0 --mode native
assert native_failure_blocked_nothing "icmp blocked by a command that failed" \
	ping_ok "$C1" "${C_IP4[2]}"

# Not root: no capabilities after the uid change, whatever the binary can read.
if command -v setpriv >/dev/null; then
	expect_error not_root 1 'root|privilege|permission' \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$FWCTL" -n "$H" block icmp vethc1
else
	t_skip not_root "setpriv missing (util-linux)"
fi

# bpffs unusable: a private mount and pid namespace (so /proc/1/root leads
# nowhere else) with a read-only tmpfs over /sys/fs/bpf. Nothing propagates
# out of it; the host's bpffs is untouched.
hide_bpffs() {
	unshare --mount --propagation private --pid --fork --mount-proc \
		sh -c 'mount -t tmpfs -o ro,size=4k fwctl-test /sys/fs/bpf && exec "$@"' sh "$@"
}
host_state_kept() {
	[ -d "$BPFFS" ] && fw -n "$H" -j status vethc2 |
		jq -e '.interfaces[0].blocked.in == ["udp"]' >/dev/null
}
if unshare --mount --propagation private true 2>/dev/null; then
	expect_error bpffs_unusable 1 '' hide_bpffs "$FWCTL" -n "$H" block icmp vethc1
	# Pins made in a bpffs that vanishes would leave a program nobody can find.
	expect_eq bpffs_no_orphan_prog "" \
		"$(ip -n "$H" -j -d link show dev vethc1 | jq -r '.[0].xdp.prog.id // empty')"
	assert bpffs_host_untouched "host bpffs lost its state" host_state_kept
else
	t_skip bpffs_unusable "cannot make a private mount namespace here"
fi

t_done
