"""Shared helpers for the end-to-end tests: locate the mapsleuth binary and
the committed corpus of real Go crash cores (fixtures/corpus)."""
import functools
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import mstestlib  # noqa: E402
from mstestlib import mapsleuth_bin  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"


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


def run_json(args, timeout=120):
    """`mapsleuth ARGS... --format json`, which must succeed: its report."""
    p = run(list(args) + ["--format", "json"], timeout=timeout)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def info_json(*args):
    """`mapsleuth info ARGS... --format json`, which must succeed."""
    return run_json(["info", *args], timeout=60)


def one_line_error(p, *names):
    """P failed with status 1 and one line of error on stderr that names
    each of NAMES; that line."""
    assert p.returncode == 1, (p.returncode, p.stdout[-2000:], p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("mapsleuth: error: "), lines[0]
    for n in names:
        assert str(n) in lines[0], lines[0]
    return lines[0]


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
