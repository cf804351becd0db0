#!/usr/bin/env python3
"""Checks that the library's layers form a DAG in their includes.

Every source file under analyzer/, dwarf/ and disasm/ belongs to the layer
its folder names; it may include its own layer's headers and those of the
layers listed below it in LAYERS, never one above or beside it. The CMake
targets (analyzer/CMakeLists.txt) link in the same order, so an upward
call also fails to link.

Also checked: no layer below report/ includes llvm/Support/JSON.h (the
report model is typed; JSON is written by report/ only); and no code
compares Go version numbers (GoVersion::atLeast) outside the traits table
(goruntime/GoVersions.*, HACKING.md "Adding a Go version").

Usage: check_layers.py [SOURCE_ROOT]   (exit 1 and one line per violation)
"""
import os
import re
import sys

# layer -> the layers it may include (besides itself). Keep in the order of
# analyzer/CMakeLists.txt.
LAYERS = {
    "support": set(),
    "arch": {"support"},
    "disasm": {"support"},
    "dwarf": {"support", "arch"},
    "loader": {"support", "arch"},
    "goruntime": {"support", "arch", "disasm", "dwarf", "loader"},
    "mapfault": {"support", "arch", "disasm", "dwarf", "loader", "goruntime"},
    "report": {"support", "arch", "disasm", "dwarf", "loader", "goruntime",
               "mapfault"},
    "diagnosis": {"support", "arch", "disasm", "dwarf", "loader", "goruntime",
                  "mapfault", "report"},
    "api": {"support", "arch", "disasm", "dwarf", "loader", "goruntime",
            "mapfault", "report", "diagnosis"},
}
JSON_ALLOWED = {"report", "diagnosis", "api"}
# Build-time tools live beside their layer but may use what they like.
TOOLS_DIR = "tools"

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
VERSION_COMPARE = re.compile(r'\batLeast\s*\(')
VERSION_COMPARE_ALLOWED = {"goruntime/GoVersions.h", "goruntime/GoVersions.cpp",
                           "goruntime/BuildInfo.h"}


def layer_of(root, path):
    rel = os.path.relpath(path, root).split(os.sep)
    if rel[0] == "analyzer":
        rel = rel[1:]
    if len(rel) < 2 or rel[0] not in LAYERS:
        return None
    if TOOLS_DIR in rel[1:-1]:
        return None
    return rel[0]


def check(root):
    problems = []
    seen = 0
    for top in ("analyzer", "dwarf", "disasm"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                layer = layer_of(root, path)
                if layer is None:
                    continue
                seen += 1
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        if (VERSION_COMPARE.search(line) and
                                "/".join(rel.split(os.sep)[-2:])
                                not in VERSION_COMPARE_ALLOWED):
                            problems.append(
                                f"{rel}:{lineno}: compares Go versions; ask "
                                f"traitsOf(version) (goruntime/GoVersions.h)")
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        kind, target = m.groups()
                        if kind == "<":
                            if (target == "llvm/Support/JSON.h"
                                    and layer not in JSON_ALLOWED):
                                problems.append(
                                    f"{rel}:{lineno}: {layer}/ includes "
                                    f"llvm/Support/JSON.h (only report/ and "
                                    f"above write JSON)")
                            continue
                        dep = target.split("/")[0]
                        if dep not in LAYERS or dep == layer:
                            continue
                        if dep not in LAYERS[layer]:
                            problems.append(
                                f"{rel}:{lineno}: {layer}/ includes "
                                f"{target}, a layer above or beside it")
    return seen, problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    seen, problems = check(root)
    if seen < 50:
        print(f"check_layers: only {seen} source files found under {root}",
              file=sys.stderr)
        return 1
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"check_layers: {seen} files, includes follow the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
