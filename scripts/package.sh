#!/usr/bin/env bash
# Builds the Debian package mapsleuth_<version>_<arch>.deb from a build tree
# and prints its path as the last line of standard output (progress goes to
# standard error).
#
#   scripts/package.sh [--no-build] [BUILD_DIR [OUT_DIR]]
#
# BUILD_DIR (default: build, the tree scripts/demo.sh and scripts/test.sh
# use) is configured if it is not yet, then only what the package holds is
# built: the CLI and the Python module (--no-build: package the tree as it
# is). OUT_DIR defaults to BUILD_DIR. The package holds:
#   /usr/bin/mapsleuth                              stripped
#   /usr/lib/python3/dist-packages/mapsleuth/        the module, Debian's python3
#   /usr/share/mapsleuth/gdb/mapsleuth-gdb.py       the gdb plugin, and
#   /etc/gdb/gdbinit.d/mapsleuth.py                 which loads it in every gdb
#                                                   (packaging/debian/gdbinit-mapsleuth.py)
#   /usr/share/man/man1/mapsleuth.1.gz, /usr/share/bash-completion/completions/mapsleuth,
#   /usr/share/doc/mapsleuth/{README.md,USAGE.md}
# Depends: dpkg-shlibdeps on the shared libraries the executable and the
# module link, and the python3 the module is built for.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_step=1
if [[ ${1:-} == --no-build ]]; then
  build_step=0
  shift
fi
build=$(realpath -m "${1:-$here/build}")
out=$(realpath -m "${2:-$build}")
say() { echo "package: $*" >&2; }

for tool in dpkg-deb dpkg-shlibdeps cmake; do
  command -v "$tool" >/dev/null ||
    { echo "package: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

if [[ ! -f $build/CMakeCache.txt ]]; then
  ((build_step)) || { echo "package: $build is not a configured build tree" >&2; exit 1; }
  say "configuring $build"
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
if [[ $(cache MAPSLEUTH_SANITIZE) == ON || $(cache MAPSLEUTH_TSAN) == ON ||
      $(cache MAPSLEUTH_FUZZ) == ON ]]; then
  echo "package: $build is a sanitizer or fuzzing build; package a normal one" >&2
  exit 1
fi
if [[ $(cache MAPSLEUTH_PYTHON) == OFF ]]; then
  # A CLI-only tree (scripts/demo.sh's): turn the module on.
  ((build_step)) || { echo "package: $build has no Python module (MAPSLEUTH_PYTHON=OFF)" >&2; exit 1; }
  say "configuring $build with the Python module (MAPSLEUTH_PYTHON=ON)"
  cmake "$build" -DMAPSLEUTH_PYTHON=ON >/dev/null
fi
if ((build_step)); then
  say "building mapsleuth and the Python module in $build"
  ninja -C "$build" mapsleuth mapsleuth_python >&2
fi

arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

say "installing into a staging root (cmake --install --prefix /usr --strip)"
DESTDIR=$root cmake --install "$build" --prefix /usr --strip >/dev/null
install -D -m 644 "$here/packaging/debian/gdbinit-mapsleuth.py" \
  "$root/etc/gdb/gdbinit.d/mapsleuth.py"
gzip -9n "$root/usr/share/man/man1/mapsleuth.1"
install -D -m 644 -t "$root/usr/share/doc/mapsleuth" "$here/README.md" "$here/USAGE.md"
# Files 644 and directories 755, whatever the umask was.
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod 644 {} +
chmod 755 "$root/usr/bin/mapsleuth"
# "mapsleuth 0.1.0 (git e5e0cfa)": the version of what is packaged.
version=$("$root/usr/bin/mapsleuth" --version | awk '{print $2; exit}')
[[ $version =~ ^[0-9][0-9.]*$ ]] || { echo "package: odd version '$version'" >&2; exit 1; }

# The module's file name says which Python it is for: _mapsleuth.cpython-311-*.so.
ext=$(find "$root/usr/lib/python3/dist-packages/mapsleuth" -name '_mapsleuth.cpython-3*.so')
[[ -n $ext ]] || { echo "package: no Python extension was installed" >&2; exit 1; }
pyminor=$(basename "$ext" | sed -E 's/^_mapsleuth\.cpython-3([0-9]+)-.*/\1/')

say "computing Depends (dpkg-shlibdeps)"
mkdir -p "$work/src/debian"
printf 'Source: mapsleuth\n\nPackage: mapsleuth\nArchitecture: any\n' \
  > "$work/src/debian/control"
if ! shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -e"$root/usr/bin/mapsleuth" -e"$ext" \
                 2>"$work/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p') || [[ -z $shlibs ]]; then
  echo "package: dpkg-shlibdeps failed:" >&2
  cat "$work/shlibdeps.log" >&2
  exit 1
fi

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<EOF
Package: mapsleuth
Version: $version
Architecture: $arch
Maintainer: ${MAPSLEUTH_MAINTAINER:-mapsleuth maintainers <maintainers@users.noreply.r-seed-8238d025.example>}
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $shlibs, python3 (>= 3.$pyminor~), python3 (<< 3.$((pyminor + 1)))
Suggests: gdb, bash-completion
Section: devel
Priority: optional
Description: post-mortem analyzer for Go programs that died on a map fault
 Given the ELF core file of a Go program that died on "concurrent map
 writes" (or a concurrent read, iteration or clone, or a write to a nil
 map) and its executable, mapsleuth tells which goroutine faulted and
 where, which map (address, Go type, decoded header), which key, and which
 other goroutines were inside a map operation on the same map, and how it
 knows each value. Text for people, JSON for tools.
 .
 This package holds the mapsleuth command, the Python module (import
 mapsleuth) and a gdb plugin that gdb loads at start-up (commands
 mapsleuth, mapsleuth goroutines, mapsleuth stack; MAPSLEUTH_GDB_DISABLE=1
 or deleting /etc/gdb/gdbinit.d/mapsleuth.py turns it off).
EOF
echo /etc/gdb/gdbinit.d/mapsleuth.py > "$root/DEBIAN/conffiles"
install -m 755 "$here/packaging/debian/postinst" "$here/packaging/debian/prerm" "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
   xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/mapsleuth_${version}_${arch}.deb
say "building $deb"
dpkg-deb --root-owner-group -Zxz -b "$root" "$deb" >/dev/null
echo "$deb"
