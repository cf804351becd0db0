"""Shared helpers for the Python module's tests: import the built module
(PYTHONPATH=build/python, set by CTest), find the CLI to compare with, and
the committed corpus of real Go crash cores (fixtures/corpus)."""
import json
import os
import pathlib
import subprocess

import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import mstestlib  # noqa: E402
from mstestlib import mapsleuth_bin  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"

try:
    import mapsleuth  # noqa: F401
except ImportError as e:  # pragma: no cover
    if os.environ.get("MAPSLEUTH_REQUIRE_MODULE"):
        raise
    pytest.skip("mapsleuth module not importable (set PYTHONPATH=build/python): %s" % e,
                allow_module_level=True)


def cli(*args, check=True):
    p = subprocess.run([mapsleuth_bin()] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=300)
    if check:
        assert p.returncode in (0, 3), (args, p.returncode, p.stderr)
    return p


def all_cases():
    cases = []
    for truth in sorted(CORPUS.glob("*/*/truth.json")):
        t = json.loads(truth.read_text())
        cases.append((t["case"], truth.parent, t))
    return cases


def some_cases():
    """One case per build (Go version and variant), scenarios rotating so
    that every scenario is covered; every case with MAPSLEUTH_ALL_CASES=1."""
    cases = all_cases()
    if os.environ.get("MAPSLEUTH_ALL_CASES"):
        return cases
    by_build = {}
    for c in cases:
        by_build.setdefault(c[1].parent.name, []).append(c)
    picked = []
    for i, build in enumerate(sorted(by_build)):
        group = by_build[build]
        picked.append(group[i % len(group)])
    return picked


def case_paths(case_dir, truth):
    return case_dir / truth["core"], (case_dir / truth["exe"]).resolve()


def find_case(name):
    for c in all_cases():
        if c[0] == name:
            return c
    raise KeyError(name)


_UNPACKED = {}


def unpacked(path, tmp_root):
    """The decompressed copy of a .zst or .xz file (cached per session)."""
    path = pathlib.Path(path)
    if path in _UNPACKED:
        return _UNPACKED[path]
    if path.suffix not in (".xz", ".zst"):
        return path
    out = mstestlib.decompress(
        path, tmp_root / ("%d-%s" % (len(_UNPACKED), path.stem)))
    _UNPACKED[path] = out
    return out


@pytest.fixture(scope="session")
def unpack(tmp_path_factory):
    root = tmp_path_factory.mktemp("unpacked")
    return lambda p: unpacked(p, root)


SOME = some_cases()
SOME_IDS = [c[0] for c in SOME]


# ---- no vacuous pass (tests/lib/mstestlib.py) ------------------------------
_guard = mstestlib.MinPassed("MAPSLEUTH_MIN_PASSED")
pytest_runtest_logreport = _guard.pytest_runtest_logreport
pytest_sessionfinish = _guard.pytest_sessionfinish
