"""Shared helpers for the end-to-end tests: locate the mapsleuth binary and
the committed corpus of real Go crash cores (fixtures/corpus)."""
import functools
import json
import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import mstestlib  # noqa: E402

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


def unpacked_paths(case_dir, truth):
    """The case's core and executable decompressed into the build tree:
    the tests that run many commands per case use these; test_info reads
    the compressed files directly."""
    core, exe = case_paths(case_dir, truth)
    cache = mstestlib.cache_dir(mapsleuth_bin())
    return (mstestlib.cached(core, CORPUS, cache),
            mstestlib.cached(exe, CORPUS, cache))


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


def batch(args, timeout=900, logs=False):
    """`mapsleuth batch ARGS...`: cores only (--no-logs: the corpus keeps
    each core's crash log beside it) unless LOGS."""
    return run(["batch"] + ([] if logs else ["--no-logs"]) +
               [str(a) for a in args], timeout=timeout)


def split_batch_output(stdout):
    """JSONL batch output: (result lines, the summary object or None)."""
    lines = [json.loads(l) for l in stdout.splitlines()]
    summary = None
    if lines and lines[-1].get("schema") == "mapsleuth.batch-summary/1":
        summary = lines.pop()
    return lines, summary


CASES = corpus_cases()
CASE_IDS = [c[0] for c in CASES]


# ---- no vacuous pass (tests/lib/mstestlib.py) ------------------------------
_guard = mstestlib.MinPassed("MAPSLEUTH_E2E_MIN_PASSED")
pytest_runtest_logreport = _guard.pytest_runtest_logreport
pytest_sessionfinish = _guard.pytest_sessionfinish
