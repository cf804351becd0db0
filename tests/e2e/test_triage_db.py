"""mapsleuth batch --db FILE (the SQLite triage database) and --known FILE.

On real corpus cores: a second run over the same inputs analyzes nothing and
prints the same results and groups (JSONL, CSV and text, from what the
database stored); a growing directory is analyzed only for what is new;
groups keep their history across runs and are marked NEW until a run has
seen them; --known notes are shown with cores and groups; a run killed
halfway keeps what it recorded; two runs share one file; a file that is
not a mapsleuth triage database (text, another application's SQLite
database, a newer schema, a damaged one) is a one-line error and is left
untouched."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading

import pytest

from conftest import CORPUS, batch, mapsleuth_bin
from conftest import split_batch_output as split


def without_db(r):
    r = json.loads(json.dumps(r))
    r["input"].pop("db")
    return r


@pytest.fixture(scope="module")
def variant():
    v = sorted(d for d in CORPUS.iterdir()
               if d.is_dir() and (d / "exe.xz").exists())[0]
    assert len(list(v.glob("*/core.zst"))) >= 4
    return v


def copy_cases(variant, dest, n):
    """The first N cases of VARIANT, with its executable, under DEST."""
    dest.mkdir(exist_ok=True)
    if not (dest / "exe.xz").exists():
        shutil.copy(variant / "exe.xz", dest / "exe.xz")
    for case in sorted(p.parent for p in variant.glob("*/core.zst"))[:n]:
        if not (dest / case.name).exists():
            (dest / case.name).mkdir()
            shutil.copy(case / "core.zst", dest / case.name / "core.zst")


def test_second_run_analyzes_nothing_and_prints_the_same(variant, tmp_path):
    db = tmp_path / "triage.db"
    p1 = batch([variant, "--db", db, "--summary"])
    assert p1.returncode == 0, p1.stderr
    l1, s1 = split(p1.stdout)
    assert l1 and all(r["input"]["db"] == "new" for r in l1)
    assert s1["db"]["new"] == len(l1) and s1["db"]["known"] == 0
    assert s1["db"]["path"] == str(db) and s1["db"]["run"] == 1
    for g in s1["groups"]:
        assert g["new"] is True
        assert g["history"]["cores"] == g["count"]
        assert g["history"]["first_seen"] == g["first_seen"]
        assert "known_issue" not in g  # no --known given

    p2 = batch([variant, "--db", db, "--summary"])
    assert p2.returncode == 0, p2.stderr
    l2, s2 = split(p2.stdout)
    assert all(r["input"]["db"] == "known" for r in l2)
    assert s2["db"]["new"] == 0 and s2["db"]["known"] == len(l1)
    assert s2["db"]["run"] == 2
    # The stored results are the analysis, byte for byte once parsed.
    assert [without_db(r) for r in l2] == [without_db(r) for r in l1]
    # The same groups; none is new any more.
    for g in s2["groups"]:
        assert g.pop("new") is False
    for g in s1["groups"]:
        g.pop("new")
    assert s2["groups"] == s1["groups"]

    # Without the database the same lines (but for input.db).
    p = batch([variant])
    assert [json.loads(l) for l in p.stdout.splitlines()] == \
        [without_db(r) for r in l2]
    # CSV and text from the database equal a fresh analysis.
    for fmt in ("csv", "text"):
        fresh = batch([variant, "--format", fmt])
        known = batch([variant, "--format", fmt, "--db", db])
        assert fresh.returncode == known.returncode == 0, known.stderr
        assert known.stdout == fresh.stdout, fmt

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 1
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x4d534c54
        assert con.execute("SELECT count(*) FROM results").fetchone()[0] == len(l1)
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 4
        assert con.execute("SELECT count(*) FROM results WHERE first_run = 1 "
                           "AND last_run = 4").fetchone()[0] == len(l1)
    finally:
        con.close()


def test_a_growing_directory(variant, tmp_path):
    d = tmp_path / "cores"
    db = tmp_path / "t.db"
    copy_cases(variant, d, 2)
    p = batch([d, "--db", db, "--summary"])
    assert p.returncode == 0, p.stderr
    _, s = split(p.stdout)
    assert (s["db"]["new"], s["db"]["known"]) == (2, 0)
    copy_cases(variant, d, 4)
    p = batch([d, "--db", db, "--summary"])
    assert p.returncode == 0, p.stderr
    lines, s = split(p.stdout)
    assert (s["db"]["new"], s["db"]["known"]) == (2, 2)
    assert [r["input"]["db"] for r in lines] == ["known", "known", "new", "new"]
    first_two = {r["signature"]["id"] for r in lines[:2]}
    for g in s["groups"]:
        assert g["new"] == (g["id"] not in first_two)
    # A copy of a known core under another name is known (by content).
    (d / "zz").mkdir()
    shutil.copy(d / lines[0]["input"]["core"].split("/")[-2] / "core.zst",
                d / "zz" / "core.zst")
    p = batch([d, "--db", db, "--summary"])
    lines, s = split(p.stdout)
    assert (s["db"]["new"], s["db"]["known"]) == (0, 5)
    g = next(g for g in s["groups"] if g["id"] == lines[0]["signature"]["id"])
    assert g["count"] == 2 and g["history"]["cores"] == 1  # one content


def test_known_issues(variant, tmp_path):
    p = batch([variant, "--summary"])
    lines, s = split(p.stdout)
    named = s["groups"][0]["id"]
    known = tmp_path / "known.txt"
    known.write_text("# our tickets\n\n%s https://bugs.example/123 fixed in v2\n"
                     % named)
    p = batch([variant, "--summary", "--known", known])
    assert p.returncode == 0, p.stderr
    lines, s = split(p.stdout)
    for r in lines:
        if r["signature"]["id"] == named:
            assert r["signature"]["known_issue"] == \
                "https://bugs.example/123 fixed in v2"
        else:
            assert "known_issue" not in r["signature"]
    for g in s["groups"]:
        if g["id"] == named:
            assert g["known_issue"].startswith("https://bugs.example/123")
            assert g["new"] is False
        else:
            assert g["known_issue"] is None and g["new"] is True
        assert "history" not in g  # no --db
    p = batch([variant, "--format", "text", "--summary", "--known", known])
    assert "known: https://bugs.example/123" in p.stdout
    assert "NEW" in p.stdout
    p = batch([variant, "--format", "csv", "--known", known])
    rows = p.stdout.splitlines()
    assert rows[0].endswith(",known_issue")
    assert sum(r.endswith(",https://bugs.example/123 fixed in v2")
               for r in rows) == s["groups"][0]["count"]

    bad = tmp_path / "bad.txt"
    bad.write_text("%s ok\nnot-an-id https://x\n" % named)
    p = batch([variant, "--known", bad])
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and f"{bad}:2" in p.stderr, p.stderr


def test_a_killed_run_keeps_what_it_recorded(variant, tmp_path):
    db = tmp_path / "t.db"
    proc = subprocess.Popen([mapsleuth_bin(), "batch", "--no-logs", str(CORPUS), "--jobs",
                             "1", "--db", str(db)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    got = []
    for line in proc.stdout:
        got.append(line)
        if len(got) == 3:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(got) == 3
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        recorded = con.execute("SELECT count(*) FROM results").fetchone()[0]
    finally:
        con.close()
    # Every result printed was recorded first... or right after: at least
    # all but the last printed one.
    assert recorded >= 2
    first = [json.loads(l)["input"]["core"] for l in got]
    p = batch([os.path.dirname(os.path.dirname(first[0])), "--db", db,
               "--summary"])
    assert p.returncode == 0, p.stderr
    lines, s = split(p.stdout)
    status = {r["input"]["core"]: r["input"]["db"] for r in lines}
    assert status[first[0]] == "known" and status[first[1]] == "known"


def test_two_runs_share_a_database(variant, tmp_path):
    db = tmp_path / "t.db"
    a, b = tmp_path / "a", tmp_path / "b"
    copy_cases(variant, a, 2)
    copy_cases(variant, b, 4)
    shutil.rmtree(b / sorted(p.name for p in b.iterdir() if p.is_dir())[0])
    results = {}

    def go(name, d):
        results[name] = batch([d, "--db", db, "--summary", "--jobs", "1"])

    ts = [threading.Thread(target=go, args=(n, d)) for n, d in (("a", a), ("b", b))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for n in "ab":
        assert results[n].returncode == 0, results[n].stderr
    con = sqlite3.connect(db)
    try:
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        # Same contents reached through a and b are one row.
        rows = con.execute("SELECT count(*) FROM results").fetchone()[0]
    finally:
        con.close()
    assert runs == 2 and rows == 4


def one_line_error(p, *parts):
    assert p.returncode == 1, (p.stdout[:500], p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mapsleuth: error: "), p.stderr
    for x in parts:
        assert str(x) in lines[0], (x, lines[0])


def test_files_that_are_not_our_database_are_left_untouched(variant, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("these are my notes, not a database\n" * 100)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE accounts(id INTEGER, balance INTEGER)")
    con.execute("INSERT INTO accounts VALUES(1, 100)")
    con.commit()
    con.close()
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute("PRAGMA application_id = %d" % 0x4d534c54)
    con.execute("PRAGMA user_version = 99")
    con.execute("CREATE TABLE results_v99(x)")
    con.commit()
    con.close()
    damaged = tmp_path / "damaged.db"
    p = batch([variant, "--db", damaged])
    assert p.returncode == 0, p.stderr
    data = bytearray(damaged.read_bytes())
    assert len(data) > 8192
    data[4096:8192] = os.urandom(4096)  # a page of garbage
    damaged.write_bytes(bytes(data))
    for f, what in ((text, "not a mapsleuth triage database"),
                    (other, "another application's"),
                    (newer, "newer mapsleuth"),
                    (damaged, "damaged")):
        before = f.read_bytes()
        one_line_error(batch([variant, "--db", f]), f, what)
        assert f.read_bytes() == before, f
        assert not os.path.exists(str(f) + "-wal") or \
            os.path.getsize(str(f) + "-wal") == 0
    one_line_error(batch([variant, "--db", tmp_path]), tmp_path)
    one_line_error(batch([variant, "--db", tmp_path / "no" / "such.db"]),
                   "such.db")
    # An empty file is an empty database: it becomes ours.
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert batch([variant, "--db", empty]).returncode == 0
