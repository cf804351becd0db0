"""Shared helpers for the end-to-end tests: locate the mapsleuth binary and
the committed corpus of real Go crash cores (fixtures/corpus)."""
import functools
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"


def mapsleuth_bin():
    b = os.environ.get("MAPSLEUTH_BIN")
    if b:
        return b
    for cand in (ROOT / "build" / "cli" / "mapsleuth",):
        if cand.exists():
            return str(cand)
    pytest.skip("MAPSLEUTH_BIN not set and no build/cli/mapsleuth")


def corpus_cases():
    """Every committed case: (id, case_dir, truth dict)."""
    cases = []
    for truth in sorted(CORPUS.glob("*/*/truth.json")):
        t = json.loads(truth.read_text())
        cases.append((t.get("case", str(truth.parent.relative_to(CORPUS))), truth.parent, t))
    return cases


def case_paths(case_dir, truth):
    """The committed (compressed) core and executable of a case."""
    core = case_dir / truth["core"]
    exe = (case_dir / truth["exe"]).resolve()
    return core, exe


def _cache_dir():
    d = os.environ.get("MAPSLEUTH_FIXTURE_CACHE")
    if d:
        return pathlib.Path(d)
    b = pathlib.Path(mapsleuth_bin()).resolve()
    return b.parent.parent / "fixture-cache"  # <build>/fixture-cache


def _unpacked(src, tool):
    """SRC decompressed once into the build tree (atomic rename, so that
    parallel test processes may race)."""
    rel = src.resolve().relative_to(CORPUS.resolve())
    dst = _cache_dir() / rel.with_suffix("")
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".%d.tmp" % os.getpid())
    with open(tmp, "wb") as out:
        subprocess.run([tool, "-dc", str(src)], stdout=out, check=True)
    os.replace(tmp, dst)
    return dst


def unpacked_paths(case_dir, truth):
    """The case's core and executable decompressed into the build tree:
    the tests that run many commands per case use these; test_info reads
    the compressed files directly."""
    core, exe = case_paths(case_dir, truth)
    return _unpacked(core, "zstd"), _unpacked(exe, "xz")


def run(args, timeout=120):
    p = subprocess.run([mapsleuth_bin()] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=timeout)
    return p


@functools.lru_cache(maxsize=None)
def _analyze_cached(core, exe):
    return run(["analyze", core, "--exe", exe, "--format", "json"])


def analyze_json(core, exe):
    """`mapsleuth analyze CORE --exe EXE --format json`, once per session
    (test_analyze and test_batch compare against the same runs)."""
    return _analyze_cached(str(core), str(exe))


CASES = corpus_cases()
CASE_IDS = [c[0] for c in CASES]
