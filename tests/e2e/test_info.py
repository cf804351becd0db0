"""mapsleuth info on every committed core, checked against the case's
independent truth (truth.json written by the fixture generator from the
process's own output and an independent core reader)."""
import pytest

from conftest import CASES, CASE_IDS, case_paths, run, run_json


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_info_matches_truth(case):
    _, case_dir, truth = case
    core, exe = case_paths(case_dir, truth)
    r = run_json(["info", core, "--exe", exe])
    c, x = r["core"], r["executable"]
    assert c["pid"] == truth["pid"]
    assert c["signal"] == truth["signal"]
    assert c["threads"] == truth["core_threads"]
    # The crashed thread is the first NT_PRSTATUS, and it took the signal.
    crashed = [t for t in c["thread_list"] if t["crashed"]]
    assert len(crashed) == 1 and crashed[0]["tid"] == c["crashed_thread"]
    if "crashed_tid" in truth:
        assert c["crashed_thread"] == truth["crashed_tid"]
    assert x["go_version"] == truth["go_version"]
    assert x["arch"] == truth["goarch"]
    assert x["build_id"] == truth["go_build_id"]
    if truth.get("gnu_build_id"):
        assert x["gnu_build_id"] == truth["gnu_build_id"]
    assert x["stripped"] == truth["stripped"]
    assert x["pie"] == truth["pie"]
    assert x["dwarf"] == truth.get("has_dwarf", not truth["stripped"])
    assert x["cgo"] == truth["cgo"]
    assert x["match"]["verdict"] == "match", x["match"]
    if truth.get("goexperiment"):
        assert truth["goexperiment"] in x["build_settings"].get("GOEXPERIMENT", "")
    # The executable maps where the core says it was mapped (qemu-user
    # writes no NT_FILE note: its cores name no mapped files).
    if truth.get("runner", "").startswith("qemu"):
        assert c["mapped_files"] == []
    else:
        assert any(m["offset"] == "0x0" for m in c["mapped_files"])


def test_info_text_names_the_essentials():
    _, case_dir, truth = CASES[0]
    core, exe = case_paths(case_dir, truth)
    p = run(["info", core, "--exe", exe])
    assert p.returncode == 0, p.stderr
    assert "pid %d" % truth["pid"] in p.stdout
    assert truth["go_version"] in p.stdout
    assert "SIGABRT" in p.stdout or "signal" in p.stdout
