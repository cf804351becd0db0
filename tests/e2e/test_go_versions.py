"""A Go version outside the traits table (goruntime/GoVersions.cpp) is
refused with one line naming the file and the supported versions, exit 1:
the check USAGE.md's "Adding a Go version" relies on. The executable is a
corpus one whose recorded Go version is rewritten in place."""
import re

import pytest

from conftest import CASES, run, unpacked_paths


def newest_case():
    for cid, case_dir, truth in CASES:
        if truth.get("go_version", "").startswith("go1.27.") and \
                truth.get("goarch") == "amd64":
            return case_dir, truth
    pytest.skip("no go1.27 amd64 case in the corpus")


@pytest.mark.parametrize("version", ["go1.28", "go1.20", "go1.18"])
def test_unsupported_version_is_refused(tmp_path, version):
    case_dir, truth = newest_case()
    core, exe = unpacked_paths(case_dir, truth)
    data = exe.read_bytes()
    old = truth["go_version"].encode()           # "go1.27.4"
    new = version.encode() + old[len("go1.27"):]  # same length
    assert len(new) == len(old)
    assert data.count(old) >= 1
    patched = tmp_path / "exe"
    patched.write_bytes(data.replace(old, new))
    p = run(["analyze", core, "--exe", patched])
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert str(patched) in lines[0], lines[0]
    assert "unsupported Go version " + new.decode() in lines[0], lines[0]
    assert re.search(r"supported: go1\.19, go1\.21 to go1\.\d+\)", lines[0]), lines[0]
