#!/usr/bin/env bash
# One command: install dependencies, build (warnings are errors), run the
# whole test suite, then build again with AddressSanitizer + UBSan and run
# the suite once more, then a short run of the libFuzzer targets
# (scripts/fuzz.sh; MAPSLEUTH_CI_FUZZ=0 skips it, MAPSLEUTH_CI_FUZZ_SECONDS
# sets the seconds per target, 20 by default).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"

# Both builds' suites share one folder of decompressed corpus files
# (sparse: ~1 GB on disk for 16 GB of cores). How much disk there is, in
# case a stage runs out.
export MAPSLEUTH_FIXTURE_CACHE=${MAPSLEUTH_FIXTURE_CACHE:-$here/build/fixture-cache}
df -h "$here" | sed 's/^/disk: /'

echo "== build (RelWithDebInfo, -Werror)"
# (TESTS and PYTHON on: the tree may be scripts/demo.sh's, CLI only.)
"$here/scripts/build.sh" "$here/build" -DMAPSLEUTH_WERROR=ON \
  -DMAPSLEUTH_TESTS=ON -DMAPSLEUTH_PYTHON=ON
echo "== tests"
ctest --test-dir "$here/build" --output-on-failure -j2

if [[ ${MAPSLEUTH_SKIP_SANITIZERS:-0} != 1 ]]; then
  echo "== build (ASan + UBSan)"
  # (No Python module: its tests need an uninstrumented interpreter, so
  # this build does not run them; tests/CMakeLists.txt.)
  "$here/scripts/build.sh" "$here/build-asan" -DMAPSLEUTH_WERROR=ON \
    -DMAPSLEUTH_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DMAPSLEUTH_PYTHON=OFF
  echo "== tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$here/build-asan" --output-on-failure -j2
fi
if [[ ${MAPSLEUTH_CI_FUZZ:-1} != 0 ]]; then
  echo "== fuzzing (short run)"
  "$here/scripts/fuzz.sh" "${MAPSLEUTH_CI_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
