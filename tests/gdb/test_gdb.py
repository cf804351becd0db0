"""The gdb plugin in real gdb (batch mode, -nx) on committed cores: the
`mapsleuth` command prints the CLI's report, read through gdb; the
convenience variables; `bt` reaching the user's code past
runtime.systemstack thanks to the plugin's unwinder (and not without it);
`mapsleuth goroutines` and `mapsleuth stack`. Every expectation comes from
the CLI's JSON for the same core, never from values written here."""
import functools
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile

import pytest

from conftest import (CASES, CORPUS, GDB_MULTIARCH, absent_path, cli_json, cli_text, frames_of_bt, gdb_env,
                      mapsleuth_bin, marked, nt_file_paths, rewrite_nt_file_path, run_gdb,
                      sections, unpacked_case)

COMMANDS = ["mapsleuth", "print $mapsleuth_map", "print $mapsleuth_goroutine",
            "mapsleuth goroutines", "mapsleuth --json", "mapsleuth stack",
            "mapsleuth stack all"]


@functools.lru_cache(maxsize=None)
def plugin_run(case):
    core, exe, _ = unpacked_case(case)
    p = run_gdb([exe, core], marked(COMMANDS))
    assert p.returncode == 0, p.stderr
    return sections(p.stdout, len(COMMANDS)), p


@functools.lru_cache(maxsize=None)
def bt_run(case, plugin):
    """`bt` alone, right after loading the core, with or without the plugin."""
    core, exe, _ = unpacked_case(case)
    p = run_gdb([exe, core], marked(["bt"]), source=plugin)
    assert p.returncode == 0, p.stderr
    return sections(p.stdout, 1)[0]


def without_core_file_facts(d):
    """What only a core file knows (its path, size, the process's command
    line, the build-id match of the file) is not in gdb's view."""
    d = json.loads(json.dumps(d))
    d.pop("core")
    d["executable"].pop("match")
    return d



@pytest.mark.parametrize("case", CASES)
def test_report_is_the_clis(case):
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    out, p = plugin_run(case)
    report = out[0]
    fault = want["fault"]
    assert fault["message"] in report
    assert fault["kind"] in report
    if want["map"] is not None:
        assert want["map"]["type"] in report
        assert want["map"]["address"] in report
    # The very text `mapsleuth analyze` prints, then the variables set.
    assert cli_text(core, exe) in report
    # And the JSON, except what only the core file knows.
    got, _ = json.JSONDecoder().raw_decode(out[4].lstrip())
    assert without_core_file_facts(got) == without_core_file_facts(want)
    for k in ("pid", "signal", "crashed_thread", "arch"):
        assert got["core"][k] == want["core"][k], k
    assert "through gdb" in got["core"]["path"]


@pytest.mark.parametrize("case", CASES)
def test_convenience_variables(case):
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    out, _ = plugin_run(case)
    if want["map"] is not None:
        m = re.match(r"\$\d+ = \(([^)]*)\) (0x[0-9a-f]+)", out[1].strip())
        assert m, out[1]
        assert int(m.group(2), 16) == int(want["map"]["address"], 16)
        if want["map"]["impl"] == "hmap" and want["executable"]["dwarf"]:
            assert m.group(1) == "runtime.hmap *"
    m = re.match(r"\$\d+ = (\d+)", out[2].strip())
    assert m and int(m.group(1)) == want["fault"]["goroutine"], out[2]
    if want["key"] is not None and isinstance(want["key"].get("value"), (int, str)):
        assert "$mapsleuth_key = " in out[0]


def user_frame_function(want):
    uf = want["fault"].get("user_frame")
    assert uf and uf.get("function"), "the CLI names no user frame"
    return uf["function"]


@pytest.mark.parametrize("case", CASES)
def test_bt_reaches_the_user_frame(case):
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    bt = bt_run(case, True)
    names = frames_of_bt(bt)
    map_fn = want["fault"]["frame"]["function"]
    user = user_frame_function(want)
    assert map_fn in names, bt
    assert any(n == user or n == user + " (inlined)" for n in names), bt
    # The map frame is below (inner to) the user frame.
    assert names.index(map_fn) < max(i for i, n in enumerate(names)
                                      if n in (user, user + " (inlined)"))


@pytest.mark.parametrize("case", CASES)
def test_bt_without_the_plugin_stops_at_the_stack_switch(case):
    """The control: gdb alone stops at runtime.systemstack (when the
    faulting thread's stack, as the CLI unwinds it, switches stacks there)
    and never reaches the user frame."""
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    fns = [f["function"] for f in want["faulting_stack"]["frames"]]
    map_fn = want["fault"]["frame"]["function"]
    if "runtime.systemstack" not in fns or map_fn not in fns or \
            fns.index("runtime.systemstack") > fns.index(map_fn):
        pytest.skip("no stack switch between the signal and the map frame")
    names = frames_of_bt(bt_run(case, False))
    user = user_frame_function(want)
    assert user not in names and user + " (inlined)" not in names
    assert map_fn not in names


@pytest.mark.parametrize("case", CASES)
def test_goroutines_lists_the_faulting_goroutine(case):
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    out, _ = plugin_run(case)
    g = want["fault"]["goroutine"]
    lines = out[3].splitlines()
    assert any(re.match(r"\*\s+%d \[" % g, ln) for ln in lines), out[3]
    # The CLI's own listing, line for line.
    p = subprocess.run([mapsleuth_bin(), "goroutines", str(core), "--exe", str(exe)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout == out[3]



@pytest.mark.parametrize("case", CASES)
def test_stack_is_the_clis(case):
    """`mapsleuth stack` (the faulting goroutine) and `mapsleuth stack all`
    print what `mapsleuth stack` and `mapsleuth stack --all` print."""
    core, exe, _ = unpacked_case(case)
    want = cli_json(core, exe)
    out, _ = plugin_run(case)
    for args, section in ((), 5), (("--all",), 6):
        p = subprocess.run([mapsleuth_bin(), "stack", str(core), "--exe", str(exe), *args],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        assert p.stdout == out[section]
    # Through the map frame to the user frame.
    assert want["fault"]["frame"]["function"] in out[5]
    assert user_frame_function(want) in out[5]


def test_source_from_any_directory_finds_the_module_itself(tmp_path):
    """No MAPSLEUTH_PYTHONPATH: the plugin finds the built module next to
    its source tree, whatever gdb's working directory."""
    core, exe, _ = unpacked_case(CASES[0])
    want = cli_json(core, exe)
    p = run_gdb([exe, core], ["mapsleuth"], env=gdb_env(module_path=False),
                cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert re.search(r"mapsleuth \S+ loaded from /", p.stdout), p.stdout
    assert want["fault"]["message"] in p.stdout


def test_installed_plugin_finds_the_installed_module(tmp_path):
    """`cmake --install` puts the plugin beside the package it loads."""
    build = os.environ.get("MAPSLEUTH_BUILD_DIR")
    if not build:
        pytest.skip("MAPSLEUTH_BUILD_DIR not set (CTest sets it)")
    prefix = tmp_path / "prefix"
    subprocess.run([shutil.which("cmake") or "cmake", "--install", build, "--prefix",
                    str(prefix)], check=True, capture_output=True)
    plugins = list(prefix.glob("share/mapsleuth/gdb/mapsleuth-gdb.py"))
    assert len(plugins) == 1
    core, exe, _ = unpacked_case(CASES[2])
    want = cli_json(core, exe)
    env = gdb_env(module_path=False)
    p = run_gdb([exe, core], ["mapsleuth"], plugin=plugins[0], env=env, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    m = re.search(r"mapsleuth \S+ loaded from (\S+):", p.stdout)
    assert m, p.stdout
    assert os.path.realpath(m.group(1)).startswith(os.path.realpath(prefix)), m.group(1)
    assert want["fault"]["message"] in p.stdout


def test_errors_are_gdb_errors_not_tracebacks(tmp_path):
    """Without a process or core, `mapsleuth` says so, as a gdb error."""
    core, exe, _ = unpacked_case(CASES[0])
    p = run_gdb([exe], ["mapsleuth"])
    assert "mapsleuth:" in p.stderr
    assert "Traceback" not in p.stderr + p.stdout



def test_cores_name_files_that_do_not_exist():
    """The guard of every test above: gdb cannot open the files the core
    names, so what it reads of them comes from the executable it was given
    or from nowhere."""
    for case in CASES:
        core, _, _ = unpacked_case(case)
        paths = nt_file_paths(core.read_bytes())
        assert paths, case
        assert not any(os.path.exists(p) for p in paths), case


def test_report_when_the_recorded_executable_exists(tmp_path):
    """The machine that crashed: the path the core records holds the
    executable (and gdb reads the mapping from it). Same report."""
    core, exe, _ = unpacked_case(CASES[0])
    data = bytearray(core.read_bytes())
    recorded = nt_file_paths(data)[0]
    top = tempfile.mkdtemp(prefix="ms", dir="/tmp")
    try:
        there = top + "/" + "e" * (len(recorded) - len(top) - 1)
        shutil.copy(exe, there)
        rewrite_nt_file_path(data, recorded, there)
        for other in set(nt_file_paths(data)) - {there}:
            rewrite_nt_file_path(data, other, absent_path(len(other)))
        moved = tmp_path / "core"
        moved.write_bytes(data)
        p = run_gdb([there, moved], ["mapsleuth"])
        assert p.returncode == 0, p.stderr
        assert "Can't open file %s" % there not in p.stderr
        assert cli_text(moved, exe) in p.stdout
    finally:
        shutil.rmtree(top)


def _phdrs(data):
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        yield struct.unpack_from("<IIQQQQQ", data, phoff + i * phentsize)


PT_LOAD, PF_X = 1, 1


def test_memory_the_core_did_not_save_is_unreadable_not_zeros(tmp_path):
    """The plugin's reads of a core: a segment the kernel did not save
    (gdb reads it as zeros) and that no file gdb loaded holds is an error;
    the executable's code reads as the executable's bytes, a whole page at
    a time."""
    core, exe, truth = unpacked_case(CASES[0])
    assert not truth["pie"]
    xdata = exe.read_bytes()
    loads = [(v, v + m) for t, _, _, v, _, _, m in _phdrs(xdata) if t == PT_LOAD]
    unsaved = next(v for t, _, _, v, _, f, m in _phdrs(core.read_bytes())
                   if t == PT_LOAD and f == 0 and m > 0 and
                   not any(lo <= v < hi for lo, hi in loads))
    text = next((v, o) for t, fl, o, v, _, f, _ in _phdrs(xdata)
                if t == PT_LOAD and fl & PF_X and f > 0x3000)
    page = text[0] + 0x1000
    script = tmp_path / "probe.py"
    script.write_text("""
import gdb
rd = _memory_reader(gdb.selected_inferior())
raw = bytes(gdb.selected_inferior().read_memory(%(unsaved)d, 64))
print("raw-zeros", raw == bytes(64))
try:
    rd(%(unsaved)d, 64)
    print("unsaved-read", "ok")
except gdb.MemoryError as e:
    print("unsaved-read", "error", e)
print("page", bytes(rd(%(page)d, 4096)).hex())
""" % {"unsaved": unsaved, "page": page})
    p = run_gdb([exe, core], ["source %s" % script])
    assert p.returncode == 0, p.stderr
    out = dict(line.split(" ", 1) for line in p.stdout.splitlines()
               if line.split(" ", 1)[0] in ("raw-zeros", "unsaved-read", "page"))
    # What gdb itself answers there: zeros (why the plugin checks).
    assert out["raw-zeros"] == "True", p.stdout
    assert out["unsaved-read"].startswith("error 0x%x: not saved in the core" % unsaved)
    off = text[1] + 0x1000
    assert bytes.fromhex(out["page"]) == xdata[off:off + 4096]


ALL_CASES = sorted(str(t.parent.relative_to(CORPUS)) for t in CORPUS.glob("*/*/truth.json"))


@pytest.mark.parametrize("case", ALL_CASES)
def test_every_corpus_core_gives_the_clis_report(case):
    """`mapsleuth` in gdb prints what `mapsleuth analyze` prints, on every
    committed core, with the files the core names absent."""
    core, exe, truth = unpacked_case(case)
    gdb = GDB_MULTIARCH if truth.get("goarch") == "arm64" else None
    p = run_gdb([exe, core], ["mapsleuth"], gdb=gdb)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert cli_text(core, exe) in p.stdout
