"""Crash logs as input: the Go runtime's fatal output (the corpus keeps each
core's stderr beside it) analysed with the executable, in batch among the
cores and with `mapsleuth analyze LOG`. A log and the core of the same crash
must get the same signature."""
import collections
import json
import os
import pathlib
import re
import shutil

import pytest

from conftest import CORPUS, batch, run


def jsonl(p):
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


@pytest.fixture(scope="module")
def corpus_pairs():
    p = batch([CORPUS, "--jobs", "2"], logs=True)
    assert p.returncode == 0, p.stderr[-2000:]
    pairs = collections.defaultdict(dict)
    for r in jsonl(p):
        pairs[os.path.dirname(r["input"]["core"])][r["input"]["kind"]] = r
    return pairs


def test_every_log_is_recognised_among_the_cores(corpus_pairs):
    dirs = [d for d in corpus_pairs if (pathlib.Path(d) / "stderr.txt").exists()]
    assert len(dirs) > 100
    for d in dirs:
        v = corpus_pairs[d]
        assert set(v) == {"core", "log"}, d
        log = v["log"]
        assert "error" not in log, (d, log.get("error"))
        assert log["input"]["core"].endswith("stderr.txt")
        # The same executable as the core, by the same rule.
        assert log["input"]["exe"] == v["core"]["input"]["exe"]
        assert log["core"] is None and log["log"]["path"] == log["input"]["core"]


def test_a_log_gets_its_cores_signature(corpus_pairs):
    same, total, misses = 0, 0, []
    for d, v in sorted(corpus_pairs.items()):
        if set(v) != {"core", "log"}:
            continue
        core, log = v["core"], v["log"]
        total += 1
        assert log["fault"]["kind"] == core["fault"]["kind"] or \
            log["fault"]["goroutine"] in core["fault"]["also_faulted"], d
        if core["signature"]["id"] == log["signature"]["id"]:
            same += 1
            continue
        misses.append(d)
        # The documented limits only: a map type the log and the code do
        # not give (generic code reads it from a dictionary), or two
        # goroutines that threw at once, the log printing the other.
        ls, cs = log["signature"], core["signature"]
        assert ls["map_type"] is None or \
            log["fault"]["goroutine"] != core["fault"]["goroutine"], (d, ls, cs)
        if ls["map_type"] is None:
            assert ls["kind"] == cs["kind"] and ls["frames"] == cs["frames"], d
    assert same >= 0.97 * total, misses


def test_what_a_log_gives_agrees_with_the_core(corpus_pairs):
    keys = maps = 0
    for d, v in sorted(corpus_pairs.items()):
        if set(v) != {"core", "log"}:
            continue
        core, log = v["core"], v["log"]
        if log["fault"]["goroutine"] != core["fault"]["goroutine"]:
            continue
        assert log["fault"]["user_frame"]["function"] == \
            core["fault"]["user_frame"]["function"], d
        if log["map"] and log["map"]["address"] not in (None, "0x0") and \
                log["map"]["provenance"]["confidence"] != "low":
            assert log["map"]["address"] == core["map"]["address"], d
            maps += 1
        if log["map"] and log["map"]["type"]:
            assert log["map"]["type"] == core["map"]["type"], d
        if log["key"]:
            # A key from a log is a printed word or a constant: it must be
            # the core's.
            assert log["key"]["go"] == (core["key"] or {}).get("go"), d
            keys += 1
    assert maps > 50 and keys > 20, (maps, keys)


# ---- GOTRACEBACK=single, prefixes and noise ----------------------------------

HIDDEN = re.compile(r"^runtime\.[a-z]")


def single_traceback(text):
    """What GOTRACEBACK=single prints of the same crash: the crashed
    goroutine only, unexported runtime frames hidden, no fp/sp/pc, no
    gp=/m= (runtime.showframe, goroutineheader)."""
    out, lines, i = [], text.splitlines(), 0
    while not lines[i].startswith("fatal error:"):
        i += 1
    out.append(lines[i])
    out.append("")
    while not lines[i].startswith("goroutine "):
        i += 1
    out.append(re.sub(r" gp=\S+| m=\S+| mp=\S+", "", lines[i]))
    i += 1
    while i < len(lines) and lines[i].strip():
        call, loc = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
        i += 2
        if call.startswith("created by"):
            out += [call, loc]
            continue
        if HIDDEN.match(call) or call.startswith("internal/runtime/maps.") and \
                not call.startswith("internal/runtime/maps.fatal"):
            continue
        out += [call, re.sub(r" fp=\S+ sp=\S+ pc=\S+", "", loc)]
    return "\n".join(out) + "\n"


def journald(text):
    out = ["Dec 06 06:09:39 host svc[4242]: listening on :8080"]
    for n, l in enumerate(text.splitlines()):
        out.append("Dec 06 06:09:%02d host svc[4242]: %s" % (39 + n % 20, l))
        if n == 5:
            out.append("Dec 06 06:09:41 host systemd[1]: svc.service: "
                       "Main process exited")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("case", ["go1.22-default/i64rw",
                                  "go1.26-default/strkeys",
                                  "go1.27-pie/i64rw"])
def test_a_default_traceback_in_a_journal_names_the_map_type(case, tmp_path):
    src = CORPUS / case
    truth = json.loads((src / "truth.json").read_text())
    exe = (src / truth["exe"]).resolve()
    log = tmp_path / "journal.txt"
    log.write_text(journald(single_traceback((src / "stderr.txt").read_text())))
    p = run(["analyze", "--format", "json", log, "--exe", exe])
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["map_fault"]
    assert r["log"]["prefix"].startswith("Dec 06 06:09:")
    # The map's type from the code of the call the user's frame made.
    assert r["map"]["type"] == truth["map"]["type"], r["map"]
    assert r["map"]["type_provenance"]["source"] == "callsite_dataflow"
    assert r["map"]["address"] in (None, "0x0")
    # The same signature as the core.
    shutil.copy(exe, tmp_path / "exe.xz")
    logs = jsonl(batch([log], logs=True))
    cores = jsonl(batch([src / "core.zst", "--exe", exe]))
    assert logs[0]["input"]["kind"] == "log"
    assert logs[0]["signature"]["id"] == cores[0]["signature"]["id"]


def test_analyze_a_log_alone_and_with_the_wrong_executable(tmp_path):
    src = CORPUS / "go1.22-default" / "strkeys"
    p = run(["analyze", src / "stderr.txt"])
    assert p.returncode == 0, p.stderr
    assert "crash log" in p.stdout and "no executable" in p.stdout
    j = json.loads(run(["analyze", "-f", "json", src / "stderr.txt"]).stdout)
    assert j["map"]["type"] in (None, "") and j["map"]["address"] != "0x0"
    # An executable the log's frames are not from.
    other = CORPUS / "go1.27-arm64-default" / "exe.xz"
    p = run(["analyze", src / "stderr.txt", "--exe", other])
    assert p.returncode == 1
    assert len(p.stderr.strip().splitlines()) == 1
    assert "not from this executable" in p.stderr
    # Only analyze and batch read logs; the others say so in one line.
    for sub in ("info", "goroutines", "stack"):
        p = run([sub, src / "stderr.txt"])
        assert p.returncode == 1 and "a crash log, not a core" in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    # Text that holds no crash is no log: one line, exit 1.
    t = tmp_path / "notes.txt"
    t.write_text("fatal error: none here\n")
    p = run(["analyze", t])
    assert p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1


# ---- generic code: shape types -------------------------------------------

GENERIC = pathlib.Path(__file__).resolve().parents[1] / "data" / \
    "go1.19-generic-registry"


def test_a_go119_generic_maps_type_comes_from_the_dictionary(tmp_path):
    # The core and its log: the map type the code passed is a shape; the
    # dictionary names the program's types, so both say the same.
    exe = GENERIC / "exe.xz"
    core = json.loads(run(["analyze", "-f", "json", GENERIC / "core.zst",
                           "--exe", exe]).stdout)
    log = json.loads(run(["analyze", "-f", "json", GENERIC / "stderr.txt",
                          "--exe", exe]).stdout)
    for r in (core, log):
        assert r["map"]["type"] == "map[string]main.Plugin", r["map"]
        assert r["map"]["key_type"] == "string"
        assert "dictionary" in r["map"]["type_provenance"]["detail"]
    sigs = jsonl(batch([GENERIC, "--exe", exe], logs=True))
    assert len(sigs) == 2 and {s["input"]["kind"] for s in sigs} == {"core", "log"}
    assert sigs[0]["signature"]["id"] == sigs[1]["signature"]["id"]


def test_logs_in_the_triage_database(tmp_path):
    # A log is recorded by content like a core: the second run analyses
    # nothing and prints the same lines.
    exe = GENERIC / "exe.xz"
    db = tmp_path / "t.db"
    first = batch([GENERIC, "--exe", exe, "--db", db], logs=True)
    second = batch([GENERIC, "--exe", exe, "--db", db], logs=True)
    assert first.returncode == second.returncode == 0, second.stderr
    a, b = jsonl(first), jsonl(second)
    assert [r["input"]["db"] for r in a] == ["new", "new"]
    assert [r["input"]["db"] for r in b] == ["known", "known"]
    assert [r["input"]["kind"] for r in b] == [r["input"]["kind"] for r in a]
    for x, y in zip(a, b):
        del x["input"]["db"], y["input"]["db"]
        assert x == y
