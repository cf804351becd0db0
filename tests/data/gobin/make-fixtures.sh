#!/bin/bash
# Rebuilds the Go binary fixtures: small programs that die with
# "fatal error: concurrent map writes" under GOTRACEBACK=crash, their
# cores (zstd) and executables (xz), and the runtime's traceback (stderr).
# Needs the Go toolchains at /usr/lib/go-1.X and core dumps to ./core.
# Unit tests never run this: they use the committed outputs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=/tmp/mapsleuth-gobin
rm -rf "$work" && mkdir -p "$work" && cp "$here"/src/* "$work"/
cd "$work"

build() { # name version flags...
  local name=$1 v=$2; shift 2
  GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 \
    /usr/lib/go-1.$v/bin/go build "$@" -o "$work/$name" .
}
crash() { # name [exe to keep instead]
  local name=$1
  mkdir -p "run-$name" && pushd "run-$name" >/dev/null
  ulimit -c unlimited
  GOTRACEBACK=crash GOMAXPROCS=2 "../$name" 2>stderr.txt || true
  test -s core || { echo "no core for $name" >&2; exit 1; }
  zstd -19 -q -f core -o "$here/$name.core.zst"
  cp stderr.txt "$here/$name.stderr.txt"
  popd >/dev/null
}
keep() { xz -9 -c "$work/$1" >"$here/$1.xz"; }

build go119 19 -ldflags=-w;                         crash go119; keep go119
build go122 22 -ldflags=-w;                         crash go122; keep go122
build go122-pie-stripped 22 -buildmode=pie '-ldflags=-s -w'
crash go122-pie-stripped; keep go122-pie-stripped
build go124 24 -ldflags=-w;                         crash go124; keep go124
# One PIE run, analyzed with the executable and with a stripped copy of it.
build go126-pie 26 -buildmode=pie -ldflags=-w;      crash go126-pie; keep go126-pie
cp go126-pie go126-pie-stripped && strip go126-pie-stripped && keep go126-pie-stripped
build go127 27 -ldflags=-w;                         crash go127; keep go127
# No core: only the executable, for the split map group layout.
GOEXPERIMENT=mapsplitgroup build go127-split 27 -ldflags=-w; keep go127-split
GOEXPERIMENT=noswissmap build go124-noswiss 24 -ldflags=-w; keep go124-noswiss
chmod 644 "$here"/*.zst "$here"/*.xz "$here"/*.txt
ls -la "$here"
