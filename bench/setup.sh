#!/usr/bin/env bash
# What bench/run.py needs beyond the build (scripts/setup.sh): GNU time for
# peak RSS, valgrind for instruction counts, zstd and xz for the corpus.
# Installs with apt-get only what is missing. Delve and the Go toolchain are
# not installed here: see bench/README.md.
set -euo pipefail
PACKAGES=(time valgrind zstd xz-utils python3)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  echo "bench/setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
