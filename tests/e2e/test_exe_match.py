"""Which executable goes with a core: the right one (also stripped), a
rebuilt or patched one, another Go version's, or none given and the path
the core names missing."""
import pathlib
import shutil
import struct
import subprocess
import tempfile

import pytest

from conftest import CORPUS, info_json, one_line_error, run
from test_damaged import Elf, base_files, edit_notes, note_list, set_phdr

NT_FILE = 0x46494C45


def files(tmp_path, case):
    core, exe, truth = base_files(case)
    c, x = tmp_path / "core", tmp_path / "exe"
    c.write_bytes(core)
    x.write_bytes(exe)
    return c, x, truth


@pytest.mark.skipif(shutil.which("strip") is None, reason="no binutils strip")
@pytest.mark.parametrize("case", ["go1.22-default/strkeys", "go1.23-pie/u32rw",
                                  "go1.21-cgo/strkeys"])
def test_stripped_copy_of_the_right_executable_matches(tmp_path, case):
    core, exe, truth = files(tmp_path, case)
    stripped = tmp_path / "exe.stripped"
    subprocess.run(["strip", "-o", str(stripped), str(exe)], check=True)
    assert stripped.stat().st_size < exe.stat().st_size
    r = info_json(core, "--exe", stripped)
    x = r["executable"]
    assert x["match"]["verdict"] == "match", x["match"]
    assert x["stripped"] is True
    assert x["build_id"] == truth["go_build_id"]


def test_executable_of_another_go_version_is_a_mismatch(tmp_path):
    core, _, _ = files(tmp_path, "go1.22-default/strkeys")
    _, other, _ = base_files("go1.26-default/strkeys")
    x = tmp_path / "exe-go1.26"
    x.write_bytes(other)
    line = one_line_error(run(["info", core, "--exe", x]), x)
    assert "does not match" in line and "build id" in line
    r = info_json(core, "--exe", x, "--force")
    assert r["executable"]["match"]["verdict"] == "mismatch"
    assert r["executable"]["go_version"].startswith("go1.26")
    assert any("does not match" in w for w in r["warnings"])


def test_rebuilt_executable_same_path_other_build_id_is_a_mismatch(tmp_path):
    core, exe, truth = files(tmp_path, "go1.22-default/strkeys")
    b = bytearray(exe.read_bytes())
    bid = truth["go_build_id"].encode()
    k = b.find(bid)
    assert k > 0
    b[k + 5] = ord("A") if b[k + 5] != ord("A") else ord("B")
    exe.write_bytes(bytes(b))  # the same path, rebuilt
    line = one_line_error(run(["info", core, "--exe", exe]), exe)
    assert "build id differs" in line


def test_patched_copy_with_the_same_build_id_is_a_mismatch(tmp_path):
    # Same build id, but the bytes the core saved of the executable's
    # read-only segments differ (here: the ELF header's padding).
    core, exe, _ = files(tmp_path, "go1.23-pie/u32rw")
    b = bytearray(exe.read_bytes())
    b[12] ^= 0x5A
    exe.write_bytes(bytes(b))
    line = one_line_error(run(["info", core, "--exe", exe]), exe)
    assert "saved bytes" in line and "differ" in line


def test_core_without_the_first_page_falls_back_to_the_mapping(tmp_path):
    core, exe, _ = files(tmp_path, "go1.22-default/strkeys")
    b = core.read_bytes()
    e = Elf(b)
    i, p = next((i, p) for i, p in e.loads() if p[3] == 0x400000)
    core.write_bytes(set_phdr(b, i, filesz=0))
    r = info_json(core, "--exe", exe)
    m = r["executable"]["match"]
    assert m["verdict"] == "match" and m["method"] == "mapped file size", m


def rewrite_nt_file_paths(core_bytes, old, new):
    assert len(old) == len(new)

    def fix(ns):
        return [(n, t, d.replace(old, new) if t == NT_FILE else d) for (n, t, d) in ns]
    return edit_notes(core_bytes, fix)


def exe_path_in_core(core_bytes):
    d = next(d for (_, t, d) in note_list(core_bytes) if t == NT_FILE)
    count, _ = struct.unpack_from("<QQ", d, 0)
    names = d[16 + 24 * count:].split(b"\0")
    return names[0]


def test_no_exe_and_the_named_path_is_missing(tmp_path):
    core, _, _ = files(tmp_path, "go1.22-default/strkeys")
    b = core.read_bytes()
    old = exe_path_in_core(b)
    new = b"/nonexistent" + b"x" * (len(old) - len(b"/nonexistent"))
    core.write_bytes(rewrite_nt_file_paths(b, old, new))
    line = one_line_error(run(["info", core]), core)
    assert new.decode() in line and "does not exist" in line and "--exe" in line


def test_no_exe_and_no_nt_file(tmp_path):
    core, _, _ = files(tmp_path, "go1.22-default/strkeys")
    core.write_bytes(edit_notes(core.read_bytes(),
                                lambda ns: [x for x in ns if x[1] != NT_FILE]))
    line = one_line_error(run(["info", core]), core)
    assert "names no executable" in line


def test_no_exe_uses_the_path_the_core_names(tmp_path):
    core, exe, _ = files(tmp_path, "go1.22-default/strkeys")
    b = core.read_bytes()
    old = exe_path_in_core(b)
    # A path of the same length as the recorded one, holding the executable.
    top = pathlib.Path(tempfile.mkdtemp(prefix="ms", dir="/tmp"))
    try:
        prefix = str(top / "p")
        assert len(prefix) + len("/exe") <= len(old)
        d = prefix + "x" * (len(old) - len(prefix) - len("/exe"))
        new = (d + "/exe").encode()
        pathlib.Path(d).mkdir(parents=True)
        shutil.copy(exe, d + "/exe")
        core.write_bytes(rewrite_nt_file_paths(b, old, new))
        r = info_json(core)
        assert r["executable"]["path"] == new.decode()
        assert r["executable"]["match"]["verdict"] == "match"
    finally:
        shutil.rmtree(top)
