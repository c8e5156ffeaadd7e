#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkman.sh - render docs/usage.md (the README's usage section) as fwctl(8).
#
# usage: bash tools/mkman.sh docs/usage.md VERSION > fwctl.8
#
# docs/usage.md keeps to the Markdown this understands, and nothing else:
#   <!-- comment -->           dropped (a whole line)
#   ## Title                   dropped: the page's title comes from .TH/NAME
#   ### Section                .SH SECTION
#   #### Subsection            .SS Subsection
#   ``` ... ```                a literal block (.nf), indented
#   - `TAG`, `TAG2`: text      a tagged paragraph (.TP) when it starts with code
#                              spans and a colon, else a bullet (.IP); lines
#                              indented by two spaces continue the item
#   text lines                 a filled paragraph (.PP); a blank line ends it
#   `code`, **bold**, *it*     \fB...\fR, \fB...\fR, \fI...\fR
#   [text](url)                text
# The date is SOURCE_DATE_EPOCH's if set (reproducible builds), else the
# source file's modification time.
set -euo pipefail

[ $# -eq 2 ] || {
	echo "usage: bash tools/mkman.sh USAGE.md VERSION" >&2
	exit 2
}
src=$1
version=$2
[ -r "$src" ] || {
	echo "mkman.sh: cannot read '$src'" >&2
	exit 1
}
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(stat -c %Y "$src")}" +%Y-%m-%d)

awk -v version="$version" -v date="$date" -v src="$src" '
# Literal replacement of every "from" in s (no regex, no backslash games).
function repl(s, from, to,    out, i) {
	out = ""
	while ((i = index(s, from)) > 0) {
		out = out substr(s, 1, i - 1) to
		s = substr(s, i + length(from))
	}
	return out s
}
function esc_text(s) {
	return repl(s, "\\", "\\e")
}
# In code, hyphens are real minus signs (options must copy and paste), and
# inline code is never hyphenated (\% before it).
function esc_code(s) {
	return repl(esc_text(s), "-", "\\-")
}
# Emphasis and links in running text (never inside code spans).
function emph(s,    out, i, j, t) {
	out = ""
	while ((i = index(s, "**")) > 0 && (j = index(substr(s, i + 2), "**")) > 0) {
		out = out substr(s, 1, i - 1) "\\fB" substr(s, i + 2, j - 1) "\\fR"
		s = substr(s, i + j + 3)
	}
	s = out s
	out = ""
	while (match(s, /\*[^* ][^*]*\*/)) {
		out = out substr(s, 1, RSTART - 1) "\\fI" substr(s, RSTART + 1, RLENGTH - 2) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	out = ""
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		t = substr(s, RSTART + 1, RLENGTH - 2)
		out = out substr(s, 1, RSTART - 1) substr(t, 1, index(t, "]") - 1)
		s = substr(s, RSTART + RLENGTH)
	}
	return out s
}
function inline(s,    out, i, j) {
	out = ""
	while ((i = index(s, "`")) > 0 && (j = index(substr(s, i + 1), "`")) > 0) {
		out = out emph(esc_text(substr(s, 1, i - 1))) "\\fB\\%" esc_code(substr(s, i + 1, j - 1)) "\\fR"
		s = substr(s, i + j + 1)
	}
	out = out emph(esc_text(s))
	# A control character at the start of a line would be read as a request.
	if (out ~ /^[.\047]/)
		out = "\\&" out
	return out
}
function flush(    n) {
	if (buf == "")
		return
	if (kind == "item" && match(buf, /^`[^`]+`(, `[^`]+`)*: /)) {
		n = RLENGTH
		print ".TP"
		print inline(substr(buf, 1, n - 2))
		print inline(substr(buf, n + 1))
	} else if (kind == "item") {
		print ".IP \\(bu 2"
		print inline(buf)
	} else {
		print ".PP"
		print inline(buf)
	}
	buf = ""
	kind = ""
}
BEGIN {
	print ".\\\" SPDX-License-Identifier: GPL-2.0"
	print ".\\\" Generated from " src " by tools/mkman.sh: edit that file, not this one."
	printf ".TH FWCTL 8 \"%s\" \"fwctl %s\" \"System Administration\"\n", date, version
	print ".SH NAME"
	print "fwctl \\- drop whole IP protocols per interface, bridge or container, with XDP and TC"
	incode = 0
	buf = ""
}
incode {
	if ($0 ~ /^```/) {
		print ".fi"
		print ".RE"
		incode = 0
		next
	}
	line = esc_code($0)
	if (line ~ /^[.\047]/)
		line = "\\&" line
	print line
	next
}
/^<!--.*-->[ \t]*$/ { next }
/^```/ {
	flush()
	print ".PP"
	print ".RS 4"
	print ".nf"
	incode = 1
	next
}
/^## / { flush(); next }
/^### / { flush(); print ".SH " toupper(substr($0, 5)); next }
/^#### / { flush(); print ".SS " substr($0, 6); next }
/^[ \t]*$/ { flush(); next }
/^- / {
	flush()
	kind = "item"
	buf = substr($0, 3)
	next
}
/^  [^ ]/ && kind == "item" {
	sub(/^ +/, "")
	buf = buf " " $0
	next
}
{
	if (buf == "")
		kind = "para"
	sub(/^ +/, "")
	buf = buf == "" ? $0 : buf " " $0
}
END {
	if (incode) {
		print "mkman.sh: " src ": unterminated code block" > "/dev/stderr"
		exit 1
	}
	flush()
}
' "$src"
