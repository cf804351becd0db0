#!/usr/bin/env python3
"""Rewrite the golden outputs from a mapsleuth binary (default
build/cli/mapsleuth), then review them as a diff (`git diff tests/golden`)
before committing: every changed line is a change of what users see.

    tests/golden/regen.py [MAPSLEUTH]"""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import golden  # noqa: E402


def main():
    exe = pathlib.Path(sys.argv[1] if len(sys.argv) > 1
                       else golden.ROOT / "build" / "cli" / "mapsleuth")
    changed = 0
    for case in golden.cases():
        for fmt in golden.FORMATS:
            rc, out, err = golden.produce(exe.resolve(), case, fmt)
            if rc != 0:
                sys.exit("%s (%s): exit %d: %s" % (case, fmt, rc, err.strip()))
            path = golden.golden_path(case, fmt)
            old = path.read_bytes() if path.exists() else None
            if old != out:
                path.write_bytes(out)
                changed += 1
                print("rewrote", path.relative_to(golden.ROOT))
    print("%d file(s) changed" % changed)


if __name__ == "__main__":
    main()
