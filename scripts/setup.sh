#!/usr/bin/env bash
# Installs everything mapsleuth needs to build and test, from Debian 12's
# archive. Idempotent: does nothing when the packages are already there.
# Run as root (or with sudo).
#   scripts/setup.sh         everything (scripts/test.sh, scripts/package.sh)
#   scripts/setup.sh --cli   only what building the mapsleuth CLI needs
#                            (scripts/demo.sh)
set -euo pipefail

# Building the CLI (cmake -DMAPSLEUTH_TESTS=OFF -DMAPSLEUTH_PYTHON=OFF).
CLI_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  llvm-dev                      # LLVM libObject, Support (JSON, DataExtractor)
  libdw-dev libelf-dev          # elfutils: DWARF, CFI
  libdeflate-dev                # fast inflation of compressed DWARF sections
  zlib1g-dev libbz2-dev libncurses-dev  # static archives the CLI links (CMakeLists.txt)
  libcapstone-dev               # disassembly for call-site dataflow
  libcli11-dev                  # command line
  libzstd-dev liblzma-dev       # compressed cores and executables
  libdebuginfod-dev             # executables by build id (loaded at run time)
  debuginfod                    # the debuginfod test's server
  liblz4-dev                    # lz4-compressed cores (optional at build time)
  libsqlite3-dev                # batch --db, the triage database
)
PACKAGES=(
  "${CLI_PACKAGES[@]}"
  googletest libgtest-dev       # unit tests
  pybind11-dev python3-dev python3-pytest python3-pytest-xdist  # Python module, tests
  gdb gdb-multiarch              # gdb plugin tests (gdb-multiarch: arm64 cores)
  zstd xz-utils lz4             # fixture handling, batch tests
  clang libclang-rt-14-dev      # fuzzing (libFuzzer) and sanitizer runtimes
  dpkg-dev man-db bash-completion  # scripts/package.sh (dpkg-shlibdeps), its tests
)

if [[ ${1:-} == --cli ]]; then
  PACKAGES=("${CLI_PACKAGES[@]}")
fi

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
  echo "setup: installing ${#missing[@]} packages and what they need: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  # Waits for another apt or dpkg to finish instead of failing.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
  echo "setup: installed" >&2
fi
