"""The mapsleuth Python module on committed cores: the same results as the
CLI (JSON and text, byte for byte), attribute access that mirrors the
JSON, Go values as Python values, and exceptions for bad input."""
import json

import pytest

import mapsleuth
from conftest import CORPUS, SOME, SOME_IDS, case_paths, cli, find_case

STRKEYS = "go1.26-default/strkeys"


@pytest.fixture(scope="module")
def strkeys():
    _, case_dir, truth = find_case(STRKEYS)
    core, exe = case_paths(case_dir, truth)
    return core, exe, truth, mapsleuth.open(core, exe=exe)


@pytest.mark.parametrize("case", SOME, ids=SOME_IDS)
def test_analyze_equals_the_cli(case):
    _, case_dir, truth = case
    core, exe = case_paths(case_dir, truth)
    p = cli("analyze", core, "--exe", exe, "--format", "json")
    r = mapsleuth.analyze(core, exe=exe)
    assert r.to_json() + "\n" == p.stdout
    assert r.to_dict() == json.loads(p.stdout)
    text = cli("analyze", core, "--exe", exe)
    assert r.to_text() == text.stdout
    # Attribute access agrees with the truth of the case.
    assert r.fault.kind == truth["fault"]["kind"]
    assert r.fault.goroutine == truth["fault"]["goroutine"]
    assert r.fault.thread == truth["crashed_tid"]
    if r.map is not None and r.map.provenance.confidence != "low":
        assert r.map.address == truth["map"]["address"]
    if r.key is not None and r.key.provenance.confidence != "low":
        assert r.key.value == truth["key"]["value"]


def test_attribute_access(strkeys):
    _, _, truth, s = strkeys
    r = s.analyze()
    assert isinstance(r, mapsleuth.Report)
    assert r.schema == "mapsleuth.report/1"
    assert r.map_fault is True
    assert r.fault.kind == "concurrent_map_writes"
    assert r["fault"]["kind"] == r.fault.kind
    assert r.map.type == "map[string]int"
    assert r.map.address == truth["map"]["address"]
    assert r.map.impl == "swiss"
    assert r.key.value == truth["key"]["value"]
    assert isinstance(r.key.value, str)
    racers = r.racers
    assert racers and isinstance(racers[0].goroutine, int)
    assert {x.goroutine for x in racers} == {x["goroutine"] for x in r.to_dict()["racers"]}
    assert r.executable.go_version == truth["go_version"]
    assert "fault" in r and "nonexistent" not in r
    assert "kind" in dir(r.fault)
    with pytest.raises(AttributeError, match="no field 'colour'.*kind"):
        r.fault.colour
    with pytest.raises(AttributeError):
        r.fault.kind = "x"
    # Helpful reprs.
    assert "concurrent_map_writes" in repr(r) and "map[string]int" in repr(r)
    assert "kind='concurrent_map_writes'" in repr(r.fault)
    # to_dict is plain data, a copy.
    d = r.to_dict()
    assert type(d) is dict and type(d["fault"]) is dict
    d["fault"]["kind"] = "changed"
    assert r.fault.kind == "concurrent_map_writes"
    assert r.to_text(colour=True) != r.to_text() and "\x1b[" in r.to_text(colour=True)


@pytest.mark.parametrize("name", ["go1.26-default/structkey", "go1.26-default/i64rw",
                                  "go1.26-default/delinsert", "go1.26-default/ifacekey",
                                  "go1.26-default/u32rw"])
def test_key_values_are_python_values(name):
    _, case_dir, truth = find_case(name)
    core, exe = case_paths(case_dir, truth)
    r = mapsleuth.analyze(core, exe=exe)
    assert r.key is not None
    want = truth["key"]["value"]
    assert r.key.value == want
    assert type(r.key.value) is type(want)
    if isinstance(want, int):
        assert r.key.value == int(json.dumps(want))  # exact, any size
    if isinstance(want, dict):
        assert type(r.key.value) is dict  # a struct: a plain dict


def test_session_info_goroutines_stacks_equal_the_cli(strkeys):
    core, exe, truth, s = strkeys
    info = s.info()
    assert info.to_json() + "\n" == cli("info", core, "--exe", exe, "--format", "json").stdout
    assert info.to_text() == cli("info", core, "--exe", exe).stdout
    assert info.core.pid == truth["pid"]

    gs = s.goroutines()
    want = json.loads(cli("goroutines", core, "--exe", exe, "--format", "json").stdout)
    assert [g.to_dict() for g in gs] == want["goroutines"]
    g = next(g for g in gs if g.id == truth["fault"]["goroutine"])
    assert g.goroutine == g.id and g.status == "running"
    assert g.thread == truth["crashed_tid"]
    assert g.user_frame.function == truth["fault"]["user_frame"]["function"]
    assert "Goroutine %d [running]" % g.id in repr(g)
    assert s.goroutines_report().to_text() == cli("goroutines", core, "--exe", exe).stdout

    goid = truth["fault"]["goroutine"]
    st = s.stack(goid)
    want = json.loads(cli("stack", core, "--exe", exe, "-g", goid, "--format", "json").stdout)
    assert st.to_dict() == want["goroutines"][0]["stack"]
    assert any(f.function == "runtime.mapassign_faststr" for f in st.frames)
    assert st.complete and st.end == "runtime.goexit"
    every = s.goroutines_report(stacks=True)
    assert every.stacks_text() == cli("stack", core, "--exe", exe, "--all").stdout
    assert all("stack" in g for g in s.stacks())


def test_thread_stack_equals_the_goroutine_stack(strkeys, unpack):
    """Session.thread_stack from each thread's registers (read by the test's
    own ELF reader) gives the frames the goroutines report has for it."""
    import elfcore
    core, exe, _, s = strkeys
    proc = elfcore.CoreProcess(unpack(core).read_bytes(), unpack(exe).read_bytes())
    rep = s.goroutines_report(stacks=True).to_dict()
    by_goid = {g["goroutine"]: g for g in rep["goroutines"]}
    for t, th in zip(rep["threads"], proc.threads):
        assert t["tid"] == th["tid"]
        got = s.thread_stack(th["tid"], th["registers"]).to_dict()
        want = by_goid[t["goroutine"]]["stack"] if t["goroutine"] is not None else t["stack"]
        assert got == want, t["tid"]


def test_bad_input_raises_input_error(strkeys, tmp_path):
    core, exe, _, _ = strkeys
    with pytest.raises(mapsleuth.InputError, match="not a core file") as e:
        mapsleuth.analyze(exe, exe=exe)
    assert e.value.file == str(exe)
    with pytest.raises(mapsleuth.InputError, match="core file, not an executable"):
        mapsleuth.open(core, exe=core)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    with pytest.raises(mapsleuth.InputError, match="not an ELF file"):
        mapsleuth.open(empty, exe=exe)
    with pytest.raises(mapsleuth.Error):
        mapsleuth.open(tmp_path / "missing.core", exe=exe)
    # An executable of another build does not match the core...
    _, other_dir, other_truth = find_case("go1.25-default/strkeys")
    _, other_exe = case_paths(other_dir, other_truth)
    with pytest.raises(mapsleuth.InputError, match="does not match") as e:
        mapsleuth.analyze(core, exe=other_exe)
    assert e.value.file == str(other_exe)
    assert isinstance(e.value, mapsleuth.Error) and isinstance(e.value, Exception)
    # ...unless forced, which leaves a warning.
    s = mapsleuth.open(core, exe=other_exe, force=True)
    assert any("does not match" in w for w in s.info().warnings)
    with pytest.raises(mapsleuth.Error, match="no goroutine 99999"):
        mapsleuth.open(core, exe=exe).stack(99999)


def test_register_names():
    names = mapsleuth.register_names("amd64")
    for n in ("rip", "rsp", "rbp", "fs_base", "r14"):
        assert n in names
    assert mapsleuth.register_number("amd64", "rip") == 16
    assert mapsleuth.register_number("amd64", "pc") == 16
    assert mapsleuth.register_number("amd64", "xmm0") is None
    assert mapsleuth.register_number("arm64", "x29") == 29
    assert mapsleuth.register_number("arm64", "cpsr") == 33
    assert "sp" in mapsleuth.register_names("arm64")
    with pytest.raises(ValueError):
        mapsleuth.register_names("mips")


def test_analyze_log_equals_the_cli():
    # A crash log (the runtime's stderr kept beside a corpus core).
    case_dir = CORPUS / "go1.26-default" / "strkeys"
    log, exe = case_dir / "stderr.txt", case_dir.parent / "exe.xz"
    assert mapsleuth.is_crash_log(log)
    assert not mapsleuth.is_crash_log(case_dir / "truth.json")
    r = mapsleuth.analyze_log(log, exe=exe)
    p = cli("analyze", log, "--exe", exe, "--format", "json")
    assert r.to_json() + "\n" == p.stdout
    assert r.to_text() == cli("analyze", log, "--exe", exe).stdout
    truth = json.loads((case_dir / "truth.json").read_text())
    assert r.fault.kind == truth["fault"]["kind"]
    assert r.map.type == truth["map"]["type"]
    assert r.log.path == str(log)
    with pytest.raises(mapsleuth.InputError):
        mapsleuth.analyze_log(case_dir / "truth.json")
