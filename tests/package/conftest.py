"""The Debian package (scripts/package.sh), built once per session from the
build tree CTest names (MAPSLEUTH_BUILD_DIR, MAPSLEUTH_BIN), listed, and
unpacked with `dpkg -x` into a temporary root whose CLI, Python module, gdb
plugin, manual page and bash completion are run from there."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import mstestlib  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"
PACKAGE_SH = ROOT / "scripts" / "package.sh"
CASE = "go1.26-default/structkey"


def need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.skip("no %s (scripts/setup.sh installs it)" % tool)
    return path


def build_dir():
    b = os.environ.get("MAPSLEUTH_BUILD_DIR")
    if b:
        return pathlib.Path(b)
    cand = ROOT / "build"
    if (cand / "CMakeCache.txt").exists():
        return cand
    pytest.skip("MAPSLEUTH_BUILD_DIR not set and no build/")


def build_cli():
    b = os.environ.get("MAPSLEUTH_BIN")
    return pathlib.Path(b) if b else build_dir() / "cli" / "mapsleuth"


def project_version():
    m = re.search(r"project\(mapsleuth VERSION (\S+)", (ROOT / "CMakeLists.txt").read_text())
    assert m
    return m.group(1)


class Package:
    def __init__(self, deb, root, log):
        self.deb = deb        # the .deb
        self.root = root      # where dpkg -x unpacked it
        self.log = log        # package.sh's standard error

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", str(self.deb), name], check=True,
                              capture_output=True, text=True).stdout.strip()

    @property
    def dist_packages(self):
        return self.root / "usr" / "lib" / "python3" / "dist-packages"

    @property
    def gdbinit(self):
        return self.root / "etc" / "gdb" / "gdbinit.d" / "mapsleuth.py"


@pytest.fixture(scope="session")
def package(tmp_path_factory):
    """scripts/package.sh --no-build on the build tree (what CTest tests is
    what gets packaged; nothing is rebuilt under the other tests' feet),
    then dpkg -x."""
    need("dpkg-deb")
    need("dpkg-shlibdeps")
    out = tmp_path_factory.mktemp("deb")
    p = subprocess.run(["bash", str(PACKAGE_SH), "--no-build", str(build_dir()), str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines, p.stderr
    deb = pathlib.Path(lines[-1])
    assert deb.is_file(), p.stdout
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return Package(deb, root, p.stderr)


@pytest.fixture(scope="session")
def case():
    """A committed real core, inflated: (core, exe, truth)."""
    d = CORPUS / CASE
    truth = json.loads((d / "truth.json").read_text())
    core = (d / truth["core"]).resolve()
    exe = (d / truth["exe"]).resolve()
    return core, exe, truth


@pytest.fixture(scope="session")
def inflated(case, tmp_path_factory):
    """The case's core and executable decompressed (gdb reads neither
    compressed)."""
    core, exe, _ = case
    d = tmp_path_factory.mktemp("case")
    out = []
    for src, tool in ((core, "zstd"), (exe, "xz")):
        need(tool)
        out.append(mstestlib.decompress(src, d / src.with_suffix("").name))
    return out[0], out[1]


# ---- no vacuous pass (tests/lib/mstestlib.py) ------------------------------
_guard = mstestlib.MinPassed("MAPSLEUTH_PACKAGE_MIN_PASSED")
pytest_runtest_logreport = _guard.pytest_runtest_logreport
pytest_sessionfinish = _guard.pytest_sessionfinish
