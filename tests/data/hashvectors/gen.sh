#!/usr/bin/env bash
# Regenerates the runtime hash vectors: for each Go version, on amd64
# (natively) and arm64 (under qemu-aarch64, whose default CPU has AES),
# with the AES hash and with the fallback (GODEBUG=cpu.aes=off).
# Usage: tests/data/hashvectors/gen.sh   (needs /usr/lib/go-1.X, qemu-user)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
for ver in 1.22 1.26 1.27; do
  go=/usr/lib/go-$ver/bin/go
  flags=()
  # go1.23+ checks pulls of runtime internals by name.
  [[ $ver != 1.22 ]] && flags=(-ldflags=-checklinkname=0)
  for arch in amd64 arm64; do
    exe=$tmp/hv-$ver-$arch
    GOTOOLCHAIN=local GOOS=linux GOARCH=$arch CGO_ENABLED=0 "$go" build "${flags[@]}" -o "$exe" .
    run=("$exe")
    [[ $arch == arm64 ]] && run=(qemu-aarch64 "$exe")
    HASHVECTORS_WANT=aes-$arch "${run[@]}" > "go$ver-$arch-aes.txt"
    GODEBUG=cpu.aes=off HASHVECTORS_WANT=memhash-fallback "${run[@]}" > "go$ver-$arch-fallback.txt"
  done
done
