#!/usr/bin/env bash
# One command: install what the mapsleuth CLI needs, build the CLI (only
# it: no tests, no Python module), and run it on a bundled real core from
# the fixture corpus. A previous build in build/ (this script's, or
# scripts/test.sh's: the same flags) is reused, so a second run only runs.
#
#   scripts/demo.sh [CASE]        CASE: a directory under fixtures/corpus
#   MAPSLEUTH_CMD=info|stack|goroutines scripts/demo.sh   the other views
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${MAPSLEUTH_DEMO_BUILD:-$here/build}
case=${1:-$(cat "$here/fixtures/demo-case" 2>/dev/null || echo)}
start=$SECONDS
step() { printf 'demo [%dm%02ds] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*" >&2; }

step "1/3 Debian packages for building the CLI (scripts/setup.sh --cli; apt-get only for missing ones)"
"$here/scripts/setup.sh" --cli

if [[ -f $build/CMakeCache.txt ]]; then
  step "2/3 building the mapsleuth CLI in $build (reusing the build there)"
else
  step "2/3 configuring $build for the CLI only"
  # The flags scripts/test.sh builds with, so that it reuses these objects
  # (it turns the tests and the Python module on in the same tree).
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMAPSLEUTH_WERROR=ON -DMAPSLEUTH_TESTS=OFF -DMAPSLEUTH_PYTHON=OFF >/dev/null
  steps=$(ninja -C "$build" -t commands mapsleuth | wc -l)
  step "2/3 building the mapsleuth CLI: $steps steps ([N/$steps] below), about 2 minutes on 2 idle CPUs"
fi
ninja -C "$build" mapsleuth | { grep -v '^ninja: Entering' || true; } >&2
step "3/3 running it: the diagnosis of fixtures/corpus/$case"
# The diagnosis of the crash (MAPSLEUTH_CMD=info|stack|goroutines for the
# other views).
MAPSLEUTH_CMD=${MAPSLEUTH_CMD:-analyze} exec "$here/scripts/run-fixture.sh" "$build" "$case"
