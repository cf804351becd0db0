"""scripts/demo.sh, the README's first command, on the build tree CTest
tests (MAPSLEUTH_BUILD_DIR): with the packages installed and the CLI built
it installs nothing, rebuilds nothing, says what it does at each step and
prints the diagnosis of the bundled core."""
import os
import pathlib
import re
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_demo_reuses_the_build_and_prints_the_diagnosis():
    build = os.environ.get("MAPSLEUTH_BUILD_DIR")
    if not build:
        pytest.skip("MAPSLEUTH_BUILD_DIR not set (CTest sets it)")
    env = dict(os.environ, MAPSLEUTH_DEMO_BUILD=build)
    env.pop("MAPSLEUTH_CMD", None)
    t0 = time.monotonic()
    p = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], capture_output=True,
                       text=True, env=env, cwd="/", timeout=600)
    took = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    steps = re.findall(r"^demo \[\d+m\d\ds\] (\d)/3 (.*)$", p.stderr, re.M)
    assert [s[0] for s in steps] == ["1", "2", "3"], p.stderr
    assert "reusing the build there" in steps[1][1], steps
    demo_case = (ROOT / "fixtures" / "demo-case").read_text().strip()
    assert demo_case in steps[2][1]
    # Nothing installed, nothing compiled or linked: the tree is up to date.
    assert "setup: installing" not in p.stderr
    assert not re.search(r"Building CXX|Linking CXX", p.stderr), p.stderr
    assert took < 60, took
    # The diagnosis of the bundled core, as `mapsleuth analyze` prints it.
    lines = p.stdout.splitlines()
    assert lines and lines[0].startswith("fatal map fault: concurrent map"), p.stdout[:500]
    assert re.search(r"^\s+map\s+map\[", p.stdout, re.M), p.stdout[:1000]
