#!/usr/bin/env bash
# Builds bench/largeprog with a local Go toolchain and crashes it with a
# concurrent map write, leaving a large core (10,000 goroutines, ~1 GiB
# heap, a 1,000,000-entry map[string]int by default) in a cache directory outside the repository:
#
#   bench/make_large_core.sh [--goroutines N] [--heapmb M] [--mapentries E] [--out DIR] [--force]
#
# DIR defaults to ${MAPSLEUTH_BENCH_CACHE:-${TMPDIR:-/tmp}/mapsleuth-bench}/large.
# It ends up holding exe, core, stderr.txt and meta.json. An existing core
# made with the same parameters and the same program is kept unless
# --force is given. Nothing here is committed; the core is several GiB.
#
# The Go toolchain: $GO, else /usr/lib/go-1.26/bin/go, else the newest
# /usr/lib/go-1.*/bin/go, else go on PATH. GOTOOLCHAIN=local: nothing is downloaded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
goroutines=10000
heapmb=1024
depth=24
mapentries=1000000
force=0
cache=${MAPSLEUTH_BENCH_CACHE:-${TMPDIR:-/tmp}/mapsleuth-bench}
out=$cache/large

die() { echo "make_large_core: error: $*" >&2; exit 1; }
say() { echo "make_large_core: $*" >&2; }

while (($#)); do
  case $1 in
    --goroutines) goroutines=$2; shift 2 ;;
    --heapmb) heapmb=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --mapentries) mapentries=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $goroutines =~ ^[0-9]+$ && $heapmb =~ ^[0-9]+$ && $depth =~ ^[0-9]+$ && $mapentries =~ ^[0-9]+$ ]] ||
  die "--goroutines, --heapmb, --depth and --mapentries take whole numbers"
((mapentries >= 1)) || die "--mapentries must be at least 1"
((goroutines >= 2)) || die "--goroutines must be at least 2"

repo=$(cd "$here/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
case $out/ in
  "$repo"/*) die "the output directory $out is inside the repository; the core must not be committed" ;;
esac

# --- the Go toolchain
go=${GO:-}
if [[ -z $go && -x /usr/lib/go-1.26/bin/go ]]; then
  go=/usr/lib/go-1.26/bin/go # what the committed results were made with
fi
if [[ -z $go ]]; then
  for g in $(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -t. -k2 -n -r); do
    go=$g; break
  done
fi
if [[ -z $go ]]; then go=$(command -v go || true); fi
[[ -n $go && -x $go ]] || die "no Go toolchain (set GO=/path/to/go; Debian: apt-get install golang-1.26-go)"
export GOTOOLCHAIN=local
goversion=$("$go" env GOVERSION)
say "toolchain $go ($goversion)"

# --- the program (rebuilt when its source or the toolchain changed)
src_hash=$(cat "$here/largeprog/main.go" "$here/largeprog/go.mod" | sha256sum | cut -c1-16)
params="goroutines=$goroutines heapmb=$heapmb depth=$depth mapentries=$mapentries go=$goversion src=$src_hash"
if ((!force)) && [[ -s $out/core && -f $out/meta.json ]] &&
   grep -qF "\"params\": \"$params\"" "$out/meta.json"; then
  say "up to date: $out/core ($params)"
  echo "$out"
  exit 0
fi

# --- room: the core holds the heap (twice over while the GC copies
# nothing, but spans, map groups and stacks add up), the goroutine stacks
# (~8 KiB each at least) and the runtime's own memory.
need_mb=$((heapmb * 3 + goroutines * 64 / 1024 + mapentries * 3 / 10000 + 1024))
avail_mb=$(df -Pm "$out" | awk 'NR==2 {print $4}')
say "free space in $out: ${avail_mb} MiB; needed: ~${need_mb} MiB"
((avail_mb >= need_mb)) ||
  die "not enough disk space in $out: ${avail_mb} MiB free, ~${need_mb} MiB needed (use --out DIR or a smaller --heapmb)"
mem_mb=$(awk '/^MemAvailable:/ {print int($2/1024)}' /proc/meminfo)
((mem_mb >= heapmb * 2 + 512)) ||
  die "not enough memory: ${mem_mb} MiB available, ~$((heapmb * 2 + 512)) MiB needed for a ${heapmb} MiB heap"

pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
  \|*) die "kernel.core_pattern pipes cores to a program ('$pattern'); set it to 'core' (sysctl -w kernel.core_pattern=core) to get a core file in the working directory" ;;
  /*) say "note: kernel.core_pattern is '$pattern': the core is written there, not in $out" ;;
esac

rm -f "$out"/core "$out"/core.* "$out"/meta.json
say "building largeprog"
(cd "$here/largeprog" && CGO_ENABLED=0 "$go" build -o "$out/exe" .)

say "running: $goroutines goroutines, ~$heapmb MiB heap, then a concurrent map write"
start=$(date +%s)
set +e
(
  cd "$out"
  ulimit -c unlimited
  exec env GOTRACEBACK=crash GOMAXPROCS=4 ./exe -goroutines "$goroutines" -heapmb "$heapmb" -depth "$depth" -mapentries "$mapentries"
) 2>"$out/stderr.txt"
rc=$?
set -e
secs=$(($(date +%s) - start))
grep '^LARGEPROG' "$out/stderr.txt" >&2 || true
((rc == 134)) || die "largeprog exited with status $rc, not SIGABRT (134); see $out/stderr.txt"
grep -q '^fatal error: concurrent map' "$out/stderr.txt" ||
  die "largeprog did not die of a concurrent map write; see $out/stderr.txt"

core=
if [[ -s $out/core ]]; then
  core=$out/core
else
  # core_pattern with %p or a path
  pid=$(sed -n 's/^LARGEPROG pid=\([0-9]*\).*/\1/p' "$out/stderr.txt" | head -1)
  for c in "$out"/core.$pid "$out"/core.*; do
    [[ -s $c ]] && { core=$c; break; }
  done
fi
[[ -n $core ]] || die "no core file in $out (kernel.core_pattern is '$pattern')"
[[ $core == "$out/core" ]] || mv "$core" "$out/core"

core_bytes=$(stat -c %s "$out/core")
core_alloc=$(($(stat -c %b "$out/core") * $(stat -c %B "$out/core")))
faulting=$(grep -m1 -o '^goroutine [0-9]*' "$out/stderr.txt" | awk '{print $2}')
printed=$(grep -c '^goroutine [0-9]* ' "$out/stderr.txt" || true)
cat >"$out/meta.json" <<JSON
{
  "params": "$params",
  "goroutines_requested": $goroutines,
  "heapmb_requested": $heapmb,
  "depth": $depth,
  "mapentries_requested": $mapentries,
  "go": "$goversion",
  "go_path": "$go",
  "core_bytes": $core_bytes,
  "core_allocated_bytes": $core_alloc,
  "traceback_goroutines": $printed,
  "faulting_goroutine": ${faulting:-null},
  "seconds": $secs,
  "made": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
JSON
say "core: $out/core ($((core_bytes >> 20)) MiB, $((core_alloc >> 20)) MiB on disk), $printed goroutines in the traceback"
echo "$out"
