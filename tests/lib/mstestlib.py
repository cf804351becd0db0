"""What the Python test suites (e2e, gdb, python, package) share: the
mapsleuth binary under test, and the decompressed copies of corpus files
they hand to mapsleuth and gdb.

A Go core is mostly pages the program never touched: the corpus's 182
cores are 8 GB decompressed and 0.3 GB of it is not zeros. Every copy the
tests write is therefore sparse (zero blocks are holes), so the suites fit
on a machine with little free disk; a full disk fails the run with
"No space left on device" in whatever test comes next."""

import lzma
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

_BLOCK = 1 << 16
_ZEROS = bytes(_BLOCK)


def mapsleuth_bin():
    """The CLI under test: $MAPSLEUTH_BIN (set by CTest), else the build
    tree's build/cli/mapsleuth; the calling test is skipped without one."""
    b = os.environ.get("MAPSLEUTH_BIN")
    if b:
        return b
    cand = ROOT / "build" / "cli" / "mapsleuth"
    if cand.exists():
        return str(cand)
    pytest.skip("MAPSLEUTH_BIN not set and no build/cli/mapsleuth")


def _write_sparse_chunks(f, chunks):
    size = 0
    for chunk in chunks:
        view = memoryview(chunk)
        for at in range(0, len(view), _BLOCK):
            block = view[at:at + _BLOCK]
            if block == _ZEROS[:len(block)]:
                f.seek(len(block), os.SEEK_CUR)
            else:
                f.write(block)
            size += len(block)
    f.truncate(size)


def write_sparse(path, data):
    """DATA written to PATH, its zero blocks as holes."""
    with open(path, "wb") as f:
        _write_sparse_chunks(f, [data])


def decompress(src, dst):
    """SRC (.zst or .xz; anything else is copied) decompressed to DST,
    sparse, through a temporary name and a rename, so that parallel test
    processes unpacking the same file may race."""
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".%d.tmp" % os.getpid())
    if src.suffix == ".zst":
        # (zstd writes holes itself when its output is a file.)
        subprocess.run([shutil.which("zstd") or "zstd", "-q", "-d", "-f",
                        "--sparse", str(src), "-o", str(tmp)], check=True)
    else:
        opener = lzma.open if src.suffix == ".xz" else open
        with opener(src, "rb") as s, open(tmp, "wb") as f:
            _write_sparse_chunks(f, iter(lambda: s.read(1 << 20), b""))
    tmp.chmod(0o755)
    os.replace(tmp, dst)
    return dst


def cache_dir(mapsleuth_bin):
    """Where decompressed corpus files are kept between runs:
    $MAPSLEUTH_FIXTURE_CACHE, or <build>/fixture-cache."""
    d = os.environ.get("MAPSLEUTH_FIXTURE_CACHE")
    if d:
        return pathlib.Path(d)
    return pathlib.Path(mapsleuth_bin).resolve().parent.parent / "fixture-cache"


def cached(src, corpus, cache):
    """SRC, a file under CORPUS, decompressed once into CACHE (again when
    SRC is newer than the copy)."""
    src = pathlib.Path(src)
    rel = src.resolve().relative_to(pathlib.Path(corpus).resolve())
    dst = pathlib.Path(cache) / rel.with_suffix("")
    if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    return decompress(src, dst)


class MinPassed:
    """No vacuous pass: under CTest the environment variable ENV names the
    fewest tests that must pass; fewer (the corpus missing, gdb absent,
    everything skipped...) fail the run. The controller process sees every
    test's report, with or without pytest-xdist. In a conftest.py:

        _guard = mstestlib.MinPassed("MAPSLEUTH_MIN_PASSED")
        pytest_runtest_logreport = _guard.pytest_runtest_logreport
        pytest_sessionfinish = _guard.pytest_sessionfinish
    """

    def __init__(self, env):
        self.env = env
        self.passed = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.passed:
            self.passed.append(report.nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        want = int(os.environ.get(self.env, "0") or 0)
        if want and exitstatus == 0 and len(self.passed) < want:
            print("\nonly %d tests passed, at least %d expected (%s)"
                  % (len(self.passed), want, self.env))
            session.exitstatus = 1
