#!/usr/bin/env bash
# Regenerates analyzer/goruntime/layouts/go1.XX[-variant].json: the layouts
# of the Go runtime structs for stripped executables, read from the DWARF
# of a small program built with each installed Go toolchain, for amd64 and
# arm64, plus the constants DWARF lacks (scripts/goconsts).
#
# Needs: the toolchains in /usr/lib/go-1.X (or GO_ROOTS="1.22=/path ..."),
# a built mapsleuth-layouts (BUILD_DIR, default build-dwarf or build).
#   scripts/gen-layouts.sh [MINOR...]     e.g. scripts/gen-layouts.sh 22 26
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-}
if [[ -z $build ]]; then
  for b in "$here/build-dwarf" "$here/build"; do
    [[ -x $b/analyzer/mapsleuth-layouts ]] && build=$b && break
  done
fi
tool=$build/analyzer/mapsleuth-layouts
[[ -x $tool ]] || { echo "gen-layouts: build mapsleuth-layouts first (BUILD_DIR)" >&2; exit 1; }

out=$here/analyzer/goruntime/layouts
src=$here/tests/data/dwarf/src
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

minors=("$@")
[[ ${#minors[@]} -gt 0 ]] || minors=(19 21 22 23 24 25 26 27)

# gen MINOR VARIANT GOEXPERIMENT
gen() {
  local minor=$1 variant=$2 exp=$3
  local goroot=/usr/lib/go-1.$minor
  local go=$goroot/bin/go
  [[ -x $go ]] || { echo "gen-layouts: no Go 1.$minor at $goroot, skipped" >&2; return 0; }
  local name=go1.$minor${variant:+-$variant}
  local args=()
  for arch in amd64 arm64; do
    (cd "$src" && GOTOOLCHAIN=local GOFLAGS= GOOS=linux GOARCH=$arch CGO_ENABLED=0 \
       GOEXPERIMENT=$exp "$go" build -trimpath -o "$work/$name-$arch" .)
    args+=("$arch=$work/$name-$arch")
  done
  (cd "$here/scripts/goconsts" && GOTOOLCHAIN=local GOFLAGS= "$go" run . "$goroot") \
    > "$work/$name-consts.json"
  "$tool" --variant "$variant" --consts "$work/$name-consts.json" "${args[@]}" \
    > "$out/$name.json.tmp"
  mv "$out/$name.json.tmp" "$out/$name.json"
  echo "gen-layouts: wrote $out/$name.json" >&2
}

for m in "${minors[@]}"; do
  gen "$m" "" ""
  case $m in
    24|25) gen "$m" noswissmap noswissmap ;;
  esac
  if [[ -e /usr/lib/go-1.$m/src/internal/goexperiment/exp_mapsplitgroup_on.go ]]; then
    gen "$m" mapsplitgroup mapsplitgroup
  fi
done
