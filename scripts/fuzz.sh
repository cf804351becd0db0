#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + coverage) and runs
# each for SECONDS (default 60) on its seed corpus (tests/fuzz/corpus).
# Exits non-zero when a target crashes, hangs, leaks or trips a sanitizer;
# the input that did it is left in $MAPSLEUTH_FUZZ_OUT (default
# build-fuzz/findings/<target>/) — minimize it, fix the bug, and commit it
# under tests/fuzz/regressions/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: MAPSLEUTH_FUZZ_BUILD (build dir, default build-fuzz),
# MAPSLEUTH_FUZZ_CASE (base case of fuzz_target/fuzz_exe, see
# tests/fuzz/README.md), MAPSLEUTH_FUZZ_JOBS (parallel fuzzers, default 1),
# MAPSLEUTH_FUZZ_ARGS (extra libFuzzer flags).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_core fuzz_exe fuzz_target fuzz_log)
build=${MAPSLEUTH_FUZZ_BUILD:-$here/build-fuzz}
out=${MAPSLEUTH_FUZZ_OUT:-$build/findings}

"$here/scripts/setup.sh"
echo "== fuzz build (clang, libFuzzer, ASan + UBSan) in $build"
# Optimized, but with assertions (no -DNDEBUG): LLVM's inline code asserts
# on misuse that a release build would let pass (json::Value with invalid
# UTF-8, unchecked Error).
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" -DMAPSLEUTH_FUZZ=ON -DMAPSLEUTH_SANITIZE=ON \
  -DMAPSLEUTH_TESTS=OFF -DMAPSLEUTH_PYTHON=OFF >/dev/null
ninja -C "$build" -j2 "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
  work=$build/corpus-work/$t        # grows as the fuzzer finds new coverage
  mkdir -p "$work" "$out/$t"
  echo "== $t for ${secs}s"
  # The committed seeds are read, never written: new inputs go to $work.
  if ! "$build/tests/fuzz/$t" "$work" "$here/tests/fuzz/corpus/$t" \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$out/$t/" \
      ${MAPSLEUTH_FUZZ_ARGS:-} 2>"$build/$t.log"; then
    status=1
    echo "!! $t failed; artifacts in $out/$t/, log $build/$t.log:"
    grep -E "ERROR|SUMMARY|Test unit written|runtime error" "$build/$t.log" | head -20
  fi
  grep -E "^(stat::|#[0-9]+[[:space:]]+DONE)" "$build/$t.log" | tr '\n' ' '
  echo
done
exit $status
