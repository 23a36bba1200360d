#!/usr/bin/env bash
# Fetches the two English texts of the real-model study (docs/real-model.md) into
# ${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}/texts/ and prints their paths, calibration
# then evaluation, as the last two lines of stdout (progress goes to stderr):
#   calibration: the Jargon File 4.4.7, Debian package jargon-text 4.4.7-4.1
#                (/usr/share/doc/jargon-text/jargon.txt.gz), about 400,000 tokens;
#   evaluation:  the Debian Reference 2.100, Debian package debian-reference-en 2.100
#                (/usr/share/debian-reference/debian-reference.en.txt.gz) from its body's
#                first chapter on (the table of contents skipped), about 230,000 tokens.
# Both packages are Debian 12's, fetched with `apt-get download` (no installation) and
# checked against scripts/texts.sha256; a mismatch fails. The plain text is made once:
# every line's indentation (spaces, tabs, U+00A0) is dropped, the lines of a paragraph are joined by one space,
# paragraphs are separated by one blank line, and lines drawn with box characters (tables)
# are left out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ACTSPARSE_CACHE:-$HOME/.cache/actsparse}
dir=$cache/texts
say() { echo "fetch-texts: $*" >&2; }
die() { echo "fetch-texts: $*" >&2; exit 1; }

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

# fetch PACKAGE VERSION: the .deb into $dir, checked.
fetch() {
  local pkg=$1 ver=$2 deb want got
  deb=$dir/${pkg}_${ver}_all.deb
  want=$(awk -v n="$(basename "$deb")" '$2 == n { print $1 }' "$root/scripts/texts.sha256")
  [ -n "$want" ] || die "scripts/texts.sha256 has no line for $(basename "$deb")"
  if [ ! -f "$deb" ] || [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$want" ]; then
    rm -f "$deb"
    say "downloading $pkg=$ver (apt-get download)"
    if ! (cd "$dir" && apt-get download "$pkg=$ver" >"$dir/apt.log" 2>&1); then
      say "apt-get download failed; running apt-get update once"
      apt-get update >"$dir/apt-update.log" 2>&1 || die "apt-get update failed (see $dir/apt-update.log)"
      (cd "$dir" && apt-get download "$pkg=$ver" >"$dir/apt.log" 2>&1) ||
        die "cannot download $pkg=$ver: $(tail -n1 "$dir/apt.log")"
    fi
    got=$(sha256sum "$deb" | cut -d' ' -f1)
    [ "$got" = "$want" ] || die "$deb has sha256 $got, expected $want (scripts/texts.sha256)"
  fi
  echo "$deb"
}

# The paragraphs of a text on stdin, as described above.
paragraphs() {
  awk '
    /│|├|─|┌|└|┐|┘|┬|┴|┼|═|║/ { next }  # alternatives, not a bracket: mawk reads bytes
    { sub(/^([ \t]|\302\240)+/, ""); sub(/([ \t\r]|\302\240)+$/, "") }  # \302\240: U+00A0
    $0 == "" { if (p != "") { print p; print ""; p = "" } next }
    { p = (p == "" ? $0 : p " " $0) }
    END { if (p != "") print p }'
}

# make OUT DEB MEMBER START: the member of DEB (gzip), from the line matching START on.
make_text() {
  local out=$1 deb=$2 member=$3 start=$4 tmp
  [ -s "$out" ] && [ "$out" -nt "$deb" ] && return 0
  tmp=$(mktemp -d "$dir/.x.XXXXXX")
  dpkg-deb -x "$deb" "$tmp"
  zcat "$tmp/$member" | awk -v s="$start" 'found || $0 ~ s { found = 1; print }' | paragraphs >"$out.part"
  rm -rf "$tmp"
  [ -s "$out.part" ] || die "$member in $deb gave no text"
  mv -f "$out.part" "$out"
}

jargon=$(fetch jargon-text 4.4.7-4.1)
reference=$(fetch debian-reference-en 2.100)
# The Jargon File from its first chapter (its heading's spaces are U+00A0, two bytes each); the Debian Reference from its first section (the
# unindented heading: the table of contents indents it).
make_text "$dir/jargon-4.4.7.txt" "$jargon" usr/share/doc/jargon-text/jargon.txt.gz '^Chapter.+1[.].+Hacker Slang'
make_text "$dir/debian-reference-2.100.txt" "$reference" usr/share/debian-reference/debian-reference.en.txt.gz \
  '^1[.]1[.].+Console basics$'
say "calibration text: $dir/jargon-4.4.7.txt ($(wc -c <"$dir/jargon-4.4.7.txt") bytes)"
say "evaluation text: $dir/debian-reference-2.100.txt ($(wc -c <"$dir/debian-reference-2.100.txt") bytes)"
echo "$dir/jargon-4.4.7.txt"
echo "$dir/debian-reference-2.100.txt"
