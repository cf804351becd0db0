#!/usr/bin/env bash
# Runs mapsleuth on one case of the committed corpus.
# Usage: scripts/run-fixture.sh BUILD_DIR [CASE] [mapsleuth args...]
#   CASE is a path under fixtures/corpus, e.g. go1.26-default/strkeys.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$1
case=${2:-go1.26-default/strkeys}
shift 2 || shift $#
dir="$here/fixtures/corpus/$case"
[[ -f $dir/core.zst ]] || { echo "no such fixture case: $case" >&2; exit 1; }
cmd=${MAPSLEUTH_CMD:-info}
# The label's shared executable, or the case's own (see fixtures/README.md).
exe=../exe.xz
[[ -f $dir/exe.xz ]] && exe=exe.xz
echo "\$ mapsleuth $cmd fixtures/corpus/$case/core.zst --exe $(realpath -m --relative-to="$here" "$dir/$exe") $*" >&2
exec "$build/cli/mapsleuth" "$cmd" "$dir/core.zst" --exe "$dir/$exe" "$@"
