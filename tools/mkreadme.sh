#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkreadme.sh - put docs/usage.md into the README, between the lines
#   <!-- usage:begin ... -->
#   <!-- usage:end -->
# so the README's usage section and fwctl(8) (tools/mkman.sh) have one source.
# The HTML comment lines at the top of docs/usage.md stay out.
#
# usage: bash tools/mkreadme.sh [--check] [-o OUT] [README [USAGE]]
#   (default)  rewrite README (README.md) in place
#   -o OUT     write the result to OUT instead ("-": stdout)
#   --check    change nothing; exit 1 and show the difference when README is
#              not up to date with USAGE (docs/usage.md)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check=
out=
while [ $# -gt 0 ]; do
	case $1 in
	--check) check=1 ;;
	-o)
		[ $# -ge 2 ] || { echo "mkreadme.sh: -o needs a file" >&2; exit 2; }
		out=$2
		shift
		;;
	-h | --help)
		sed -n 's/^# usage: /usage: /p' "${BASH_SOURCE[0]}"
		exit 0
		;;
	-*) echo "mkreadme.sh: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
readme=${1:-$ROOT/README.md}
usage=${2:-$ROOT/docs/usage.md}
for f in "$readme" "$usage"; do
	[ -r "$f" ] || { echo "mkreadme.sh: cannot read '$f'" >&2; exit 1; }
done

begins=$(grep -c '^<!-- usage:begin' "$readme" || true)
ends=$(grep -c '^<!-- usage:end' "$readme" || true)
if [ "$begins" != 1 ] || [ "$ends" != 1 ]; then
	echo "mkreadme.sh: $readme needs exactly one '<!-- usage:begin -->' and one" \
		"'<!-- usage:end -->' line (found $begins and $ends)" >&2
	exit 1
fi

new=$(mktemp)
trap 'rm -f "$new"' EXIT
# The body: usage.md without its leading comment lines.
awk -v usage="$usage" '
function body(    line, started) {
	started = 0
	while ((getline line < usage) > 0) {
		if (!started && line ~ /^<!--.*-->[ \t]*$/)
			continue
		started = 1
		print line
	}
	close(usage)
}
/^<!-- usage:begin/ { print; body(); skip = 1; next }
/^<!-- usage:end/ { skip = 0 }
!skip { print }
' "$readme" >"$new"

if [ -n "$check" ]; then
	if ! diff -u --label "$readme" --label "$readme (from $usage)" "$readme" "$new"; then
		echo "mkreadme.sh: $readme is out of date: run 'bash tools/mkreadme.sh'" >&2
		exit 1
	fi
	exit 0
fi
if [ "$out" == - ]; then
	cat "$new"
elif [ -n "$out" ]; then
	cp "$new" "$out"
else
	cat "$new" >"$readme"
fi
