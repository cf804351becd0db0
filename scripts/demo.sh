#!/usr/bin/env bash
# One command: install dependencies, build, and run mapsleuth on a bundled
# real core from the fixture corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
"$here/scripts/build.sh" "$here/build"
case=${1:-$(cat "$here/fixtures/demo-case" 2>/dev/null || echo)}
# The diagnosis of the crash (MAPSLEUTH_CMD=info|stack|goroutines for the
# other views).
MAPSLEUTH_CMD=${MAPSLEUTH_CMD:-analyze} exec "$here/scripts/run-fixture.sh" "$here/build" "$case"
