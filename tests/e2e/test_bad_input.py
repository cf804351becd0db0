"""Bad input gets a one-line error that names the file, exit status 1, and
never a crash or a hang."""
import os
import random

import pytest

from conftest import CASES, case_paths, run


def check_one_line_error(p, name):
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("mapsleuth: error: "), lines[0]
    assert name in lines[0], lines[0]


@pytest.fixture(scope="module")
def a_case():
    return CASES[0]


def test_empty_file(tmp_path, a_case):
    _, case_dir, truth = a_case
    _, exe = case_paths(case_dir, truth)
    empty = tmp_path / "empty.core"
    empty.write_bytes(b"")
    p = run(["info", empty, "--exe", exe])
    check_one_line_error(p, str(empty))
    assert "not an ELF file" in p.stderr


def test_random_bytes(tmp_path, a_case):
    _, case_dir, truth = a_case
    _, exe = case_paths(case_dir, truth)
    rnd = tmp_path / "random.core"
    rnd.write_bytes(bytes(random.Random(7).getrandbits(8) for _ in range(4096)))
    p = run(["info", rnd, "--exe", exe])
    check_one_line_error(p, str(rnd))


def check_same_file_as_core_and_exe(path, message):
    """`info PATH --exe PATH`: one error line naming PATH that says MESSAGE."""
    p = run(["info", path, "--exe", path])
    check_one_line_error(p, str(path))
    assert message in p.stderr


def test_executable_given_as_core(tmp_path, a_case):
    _, case_dir, truth = a_case
    _, exe = case_paths(case_dir, truth)
    check_same_file_as_core_and_exe(exe, "not a core file")


def test_core_given_as_executable(a_case):
    _, case_dir, truth = a_case
    core, _ = case_paths(case_dir, truth)
    check_same_file_as_core_and_exe(core, "core file, not an executable")


def test_wrong_executable_is_a_mismatch(a_case):
    _, case_dir, truth = a_case
    core, exe = case_paths(case_dir, truth)
    other = next(c for c in CASES if case_paths(c[1], c[2])[1] != exe)
    _, other_exe = case_paths(other[1], other[2])
    p = run(["info", core, "--exe", other_exe])
    check_one_line_error(p, str(other_exe))
    assert "does not match" in p.stderr
    # --force analyzes anyway and says so in the report.
    p = run(["info", core, "--exe", other_exe, "--force", "--format", "json"])
    assert p.returncode == 0, p.stderr
    assert "mismatch" in p.stdout


def test_missing_files(tmp_path, a_case):
    _, case_dir, truth = a_case
    core, exe = case_paths(case_dir, truth)
    p = run(["info", tmp_path / "nope.core", "--exe", exe])
    check_one_line_error(p, "nope.core")
    p = run(["info", core, "--exe", tmp_path / "nope.exe"])
    check_one_line_error(p, "nope.exe")


@pytest.mark.parametrize("keep", [10, 64, 200, 1000, 5000, 20000])
def test_truncated_core(tmp_path, a_case, keep):
    import subprocess
    _, case_dir, truth = a_case
    core, exe = case_paths(case_dir, truth)
    raw = subprocess.run(["zstd", "-dc", str(core)], capture_output=True, check=True).stdout
    cut = tmp_path / ("cut%d.core" % keep)
    cut.write_bytes(raw[:keep])
    p = run(["info", cut, "--exe", exe], timeout=30)
    assert p.returncode in (0, 1), p.stderr
    if p.returncode == 1:
        check_one_line_error(p, str(cut))
    else:
        assert "truncated" in p.stdout


def test_truncated_compressed_core(tmp_path, a_case):
    _, case_dir, truth = a_case
    core, exe = case_paths(case_dir, truth)
    data = core.read_bytes()
    cut = tmp_path / "cut.core.zst"
    cut.write_bytes(data[: len(data) // 2])
    p = run(["info", cut, "--exe", exe], timeout=30)
    check_one_line_error(p, str(cut))


def test_usage_error_exit_2():
    p = run(["info"])
    assert p.returncode == 2
    p = run(["analyze", "--no-such-flag", "x"])
    assert p.returncode == 2
    p = run([])
    assert p.returncode == 2


def test_bare_path_is_analyze():
    # `mapsleuth CORE` is short for `mapsleuth analyze CORE`.
    p = run(["frobnicate"])
    check_one_line_error(p, "frobnicate")
