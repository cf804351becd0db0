#!/usr/bin/env bash
# Installs everything mapsleuth needs to build and test, from Debian 12's
# archive. Idempotent: does nothing when the packages are already there.
# Run as root (or with sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  llvm-dev                      # LLVM libObject, Support (JSON, DataExtractor)
  libdw-dev libelf-dev          # elfutils: DWARF, CFI
  libdeflate-dev                # fast inflation of compressed DWARF sections
  zlib1g-dev libbz2-dev libncurses-dev  # static archives the CLI links (CMakeLists.txt)
  libcapstone-dev               # disassembly for call-site dataflow
  libcli11-dev                  # command line
  libzstd-dev liblzma-dev       # compressed cores and executables
  liblz4-dev                    # lz4-compressed cores (optional at build time)
  googletest libgtest-dev       # unit tests
  pybind11-dev python3-dev python3-pytest python3-pytest-xdist  # Python module, tests
  gdb                           # gdb plugin tests
  zstd xz-utils lz4             # fixture handling, batch tests
  clang libclang-rt-14-dev      # fuzzing (libFuzzer) and sanitizer runtimes
  dpkg-dev man-db bash-completion  # scripts/package.sh (dpkg-shlibdeps), its tests
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
  else
    SUDO=
  fi
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
