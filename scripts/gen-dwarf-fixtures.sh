#!/usr/bin/env bash
# Rebuilds the executables under tests/data/dwarf/ (xz -9 compressed):
#   fixture-go1.22.xz, fixture-go1.26.xz   tests/data/dwarf/src, with DWARF
#   fixture-go1.22-stripped.xz             same, -ldflags='-s -w'
#   cgo-go1.22-nodwarf.xz                  tests/data/dwarf/cgo (C code with .eh_frame), -ldflags=-w
# Needs Go 1.22 and 1.26 in /usr/lib/go-1.X and gcc. Tests never run this.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=$here/tests/data/dwarf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # MINOR SRC OUT CGO LDFLAGS
  (cd "$data/$2" && GOTOOLCHAIN=local GOFLAGS= GOOS=linux GOARCH=amd64 CGO_ENABLED=$4 \
     CGO_CFLAGS="-O2 -g0" /usr/lib/go-1.$1/bin/go build -trimpath -ldflags="$5" -o "$work/$3" .)
  xz -9 -c "$work/$3" > "$data/$3.xz"
  echo "gen-dwarf-fixtures: $3.xz $(stat -c %s "$data/$3.xz") bytes" >&2
}

build 22 src fixture-go1.22 0 ""
build 26 src fixture-go1.26 0 ""
build 22 src fixture-go1.22-stripped 0 "-s -w"
build 22 cgo cgo-go1.22-nodwarf 1 "-w"
