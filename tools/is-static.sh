#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# is-static.sh FILE: exit 0 when FILE (symlinks followed) is an ELF executable
# with no program interpreter (no PT_INTERP header), i.e. statically linked,
# 1 otherwise. Reads the ELF headers with od, so it needs neither `file` nor
# binutils; ldd cannot tell, since it calls a static-pie "statically linked"
# on one glibc and "not a dynamic executable" on another.
set -u
f=$(readlink -f "$1" 2>/dev/null) && [ -r "$f" ] || exit 1
# u BYTE_OFFSET SIZE: an unsigned little-endian field of the file.
u() { od -An -t "u$2" -j "$1" -N "$2" --endian=little "$f" | tr -d ' '; }
[ "$(od -An -c -N 4 "$f" | tr -d ' ')" == '177ELF' ] || exit 1
class=$(u 4 1) data=$(u 5 1)
[ "$data" == 1 ] || exit 1 # big-endian ELF: not on the machines fwctl runs on
if [ "$class" == 2 ]; then
	phoff=$(u 32 8) phentsize=$(u 54 2) phnum=$(u 56 2)
else
	phoff=$(u 28 4) phentsize=$(u 42 2) phnum=$(u 44 2)
fi
for ((i = 0; i < phnum; i++)); do
	[ "$(u $((phoff + i * phentsize)) 4)" == 3 ] && exit 1 # PT_INTERP
done
exit 0
