#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deploy_systemd.sh - the boot units in deploy/systemd: `systemd-analyze
# verify` passes on both (with ExecStart pointed at the fwctl under test, as
# `make install` points it at $(PREFIX)/sbin, and the man page of
# Documentation=man:fwctl(8) findable), they say what the boot order needs,
# and `make install` with DESTDIR and PREFIX=/usr puts every file in place
# with units that run the installed binary; `make uninstall` removes them.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

UNITS=(deploy/systemd/fwctl-restore.service deploy/systemd/fwctl-watch.service)
require_fwctl

# has NAME UNIT LINE...: ok when UNIT has every LINE, whole.
has() {
	local name=$1 unit=$2 l missing=
	shift 2
	for l in "$@"; do
		grep -qxF -- "$l" "$unit" || missing+=" '$l'"
	done
	expect_eq "$name" "" "${missing# }"
}

has restore_unit_fields deploy/systemd/fwctl-restore.service \
	Type=oneshot RemainAfterExit=yes DefaultDependencies=no \
	Wants=network-pre.target 'Before=network-pre.target shutdown.target' \
	ConditionPathExists=/etc/fwctl/rules.conf \
	'ExecStart=/usr/local/sbin/fwctl restore /etc/fwctl/rules.conf' \
	'ExecReload=/usr/local/sbin/fwctl restore /etc/fwctl/rules.conf' \
	WantedBy=sysinit.target
has watch_unit_fields deploy/systemd/fwctl-watch.service \
	Type=simple 'ExecStart=/usr/local/sbin/fwctl watch' Restart=on-failure \
	'After=fwctl-restore.service sys-fs-bpf.mount' WantedBy=multi-user.target
caps=$(grep -h '^CapabilityBoundingSet=' "${UNITS[@]}" | sort -u)
expect_eq same_capabilities 1 "$(grep -c . <<<"$caps")" "$caps"

if ! command -v systemd-analyze >/dev/null; then
	t_skip verify "needs systemd-analyze (apt-get install systemd)"
else
	# The units as installed: ExecStart on the binary under test.
	mkdir -p "$T_TMP/units" "$T_TMP/man/man8"
	for u in "${UNITS[@]}"; do
		sed "s|/usr/local/sbin/fwctl|$FWCTL|g" "$u" >"$T_TMP/units/${u##*/}"
	done
	bash tools/mkman.sh docs/usage.md "$(cat VERSION)" >"$T_TMP/man/man8/fwctl.8"
	# verify loads units from the working directory when named as paths.
	(cd "$T_TMP/units" && MANPATH=$T_TMP/man systemd-analyze verify \
		./fwctl-restore.service ./fwctl-watch.service) >"$T_TMP/verify.out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s "$T_TMP/verify.out" ]; then
		t_ok verify
	else
		t_fail verify "systemd-analyze verify: exit $rc" "$(cat "$T_TMP/verify.out")"
	fi
	# The check itself checks: a misspelt key is reported.
	printf '[Service]\nTyp=oneshot\nExecStart=%s doctor\n' "$FWCTL" >"$T_TMP/units/fwbad.service"
	out=$(cd "$T_TMP/units" && systemd-analyze verify --man=no ./fwbad.service 2>&1)
	if grep -q "Unknown key" <<<"$out"; then
		t_ok verify_catches_typos
	else
		t_fail verify_catches_typos "a misspelt key went unreported" "$out"
	fi
fi

# --- make install / uninstall ----------------------------------------------------
if ! command -v make >/dev/null; then
	t_skip install "needs make"
	t_done
fi
out_dir=$(dirname "$FWCTL")
dest=$T_TMP/dest
run make -s OUTPUT="$out_dir" DESTDIR="$dest" PREFIX=/usr install
if [ "$RC" -ne 0 ]; then
	t_fail install "make install failed" "$(last_run)"
	t_done
fi
missing=
for f in usr/sbin/fwctl usr/share/man/man8/fwctl.8 usr/share/bash-completion/completions/fwctl \
	usr/lib/systemd/system/fwctl-restore.service usr/lib/systemd/system/fwctl-watch.service; do
	[ -f "$dest/$f" ] || missing+=" $f"
done
expect_eq install_files "" "${missing# }" "$(cd "$dest" && find . -type f)"
run "$dest/usr/sbin/fwctl" --version
expect_eq installed_binary_runs "0" "$RC" "$(last_run)"
bad=$(grep -h '^Exec' "$dest"/usr/lib/systemd/system/fwctl-*.service | grep -v '=/usr/sbin/fwctl ')
expect_eq installed_units_use_prefix "" "$bad" \
	"make install must rewrite /usr/local/sbin/fwctl to \$(PREFIX)/sbin/fwctl in the units"
if command -v man >/dev/null; then
	run man -l "$dest/usr/share/man/man8/fwctl.8"
	if [ "$RC" -eq 0 ] && grep -q 'fwctl restore' <<<"$OUT"; then
		t_ok installed_man_page
	else
		t_fail installed_man_page "man -l cannot show the installed page" "$(last_run)"
	fi
fi
run make -s OUTPUT="$out_dir" DESTDIR="$dest" PREFIX=/usr uninstall
left=$(find "$dest" -type f 2>/dev/null)
if [ "$RC" -eq 0 ] && [ -z "$left" ]; then
	t_ok uninstall
else
	t_fail uninstall "make uninstall left files behind" "$left" "$(last_run)"
fi

t_done
