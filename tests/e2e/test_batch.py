"""mapsleuth batch: many cores at once.

On the whole committed corpus (executables found by the per-directory rule):
every line parses, each result equals `mapsleuth analyze --format json` for
the same core, the order is the enumeration order whatever --jobs, and the
summary groups every analyzed core exactly once. On small trees built in a
temporary directory: cores are recognised by content (non-cores skipped, a
damaged core is an error line and exit 1 without stopping the others), list
files, systemd-coredump names, CSV and text output, usage errors, and the
progress bar on a terminal."""
import concurrent.futures
import copy
import csv
import datetime
import io
import json
import os
import pathlib
import pty
import re
import shutil
import subprocess

import pytest

from conftest import CORPUS, analyze_json, mapsleuth_bin, run

SUMMARY_SCHEMA = "mapsleuth.batch-summary/1"
CSV_COLUMNS = ["core", "exe", "exe_rule", "status", "kind", "message",
               "goroutine", "thread", "operation", "map_type", "map_address",
               "map_confidence", "key", "key_confidence", "user_frame",
               "racer_goroutine", "racer_user_frame", "racers", "go_version",
               "signature", "error", "known_issue"]


def walk_cores(top):
    """The enumeration order batch promises, computed independently: each
    directory's entries sorted by name, directories entered in place."""
    out = []
    for name in sorted(os.listdir(top)):
        p = os.path.join(top, name)
        if os.path.isdir(p) and not os.path.islink(p):
            out.extend(walk_cores(p))
        elif name == "core.zst":
            out.append(p)
    return out


def batch(args, timeout=600):
    # Cores only: the corpus keeps each core's crash log beside it
    # (test_crash_logs.py analyses those).
    return run(["batch", "--no-logs"] + [str(a) for a in args], timeout=timeout)


def jsonl(p):
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    summary = None
    if lines and lines[-1].get("schema") == SUMMARY_SCHEMA:
        summary = lines.pop()
    return lines, summary


def without_input(r):
    """The report alone: without what batch adds (input, signature)."""
    r = copy.deepcopy(r)
    del r["input"]
    del r["signature"]
    return r


@pytest.fixture(scope="module")
def corpus_run():
    p = batch([CORPUS, "--jobs", "2", "--summary"])
    assert p.returncode == 0, p.stderr[-2000:]
    return p


@pytest.fixture(scope="module")
def corpus_lines(corpus_run):
    return jsonl(corpus_run)


# ---- the corpus ---------------------------------------------------------

def test_corpus_every_line_parses_in_enumeration_order(corpus_lines):
    lines, summary = corpus_lines
    expected = walk_cores(str(CORPUS))
    assert len(expected) > 0
    assert [r["input"]["core"] for r in lines] == expected
    for r in lines:
        assert "error" not in r, r
        assert r["schema"] == "mapsleuth.report/1"
        core = r["input"]["core"]
        # fixtures/corpus/go1.X-variant/<scenario>/core.zst and the exe its
        # truth.json names: ../exe.xz, or exe.xz next to the core for a case
        # built after the label's shared executable (found first).
        with open(os.path.join(os.path.dirname(core), "truth.json")) as f:
            exe_rel = json.load(f)["exe"]
        assert exe_rel in ("../exe.xz", "exe.xz")
        assert r["input"]["exe"] == os.path.normpath(
            os.path.join(os.path.dirname(core), exe_rel))
        assert r["input"]["exe_rule"] in ("comm", "exe")
    assert summary is not None


def test_corpus_results_equal_analyze(corpus_lines):
    lines, _ = corpus_lines
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(
            lambda r: analyze_json(r["input"]["core"], r["input"]["exe"]),
            lines))
    for r, p in zip(lines, procs):
        assert p.returncode == 0, (r["input"], p.stderr)
        # The report says how its executable was found: the batch rule
        # here, --exe there; everything else is the same.
        a, b = json.loads(p.stdout), without_input(r)
        assert a["executable"].pop("found_by") == "--exe"
        assert b["executable"].pop("found_by") == r["input"]["exe_rule"]
        assert a == b, r["input"]["core"]


def test_output_is_the_same_with_one_or_two_jobs(corpus_run):
    # Two variant directories: enough cores to interleave two workers.
    variants = sorted(d for d in CORPUS.iterdir() if d.is_dir())[:2]
    one = batch(variants + ["--jobs", "1"])
    two = batch(variants + ["--jobs", "2"])
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    # ... and the same lines as in the whole-corpus run.
    whole = {json.loads(l)["input"]["core"]: l
             for l in corpus_run.stdout.splitlines()[:-1]}
    for l in one.stdout.splitlines():
        assert whole[json.loads(l)["input"]["core"]] == l


def test_corpus_summary_groups_every_core_once(corpus_lines):
    lines, s = corpus_lines
    assert s["cores"] == len(lines)
    assert s["failed"] == 0 and s["failed_cores"] == []
    assert s["analyzed"] == s["map_faults"] + s["no_map_fault"] == len(lines)
    by_core = {r["input"]["core"]: r for r in lines}
    seen = []
    ids = set()
    for g in s["groups"]:
        assert g["id"] not in ids
        ids.add(g["id"])
        assert g["count"] == len(g["cores"]) >= 1
        assert g["example"] in g["cores"]
        assert g["first_seen"] <= g["last_seen"]
        seen.extend(g["cores"])
        sig = g["signature"]
        assert sig["id"] == g["id"] and sig["version"] == s["signature_version"] == 3
        assert sum(r["count"] for r in g["racers"]) == g["count"]
        for c in g["cores"]:
            r = by_core[c]
            # Every result line carries its signature, the group's.
            assert r["signature"]["id"] == g["id"]
            assert r["signature"]["frames"] == sig["frames"]
            assert r["fault"]["kind"] == sig["kind"]
            assert (r["map"] or {}).get("type") == sig["map_type"]
        # Different scenarios are different code: never one signature.
        assert len({pathlib.Path(c).parent.name for c in g["cores"]}) == 1, g
    assert sorted(seen) == sorted(by_core)
    counts = [g["count"] for g in s["groups"]]
    assert counts == sorted(counts, reverse=True)
    # One signature per bug: a scenario's cores, whatever the Go version,
    # map implementation, architecture or build mode, and whether a racer
    # was caught, form exactly one group per fault class and side of the
    # race (the function that detected it), never more.
    sides = {}
    for r in lines:
        scen = pathlib.Path(r["input"]["core"]).parent.name
        uf = (r["fault"]["user_frame"] or {}).get("function") or ""
        uf = re.sub(r"\.init\.\d+|\.glob\.", ".init", uf)
        sides.setdefault(scen, set()).add((r["fault"]["kind"], uf))
    groups_of = {}
    for g in s["groups"]:
        scen = pathlib.Path(g["cores"][0]).parent.name
        groups_of[scen] = groups_of.get(scen, 0) + 1
    for scen, n in groups_of.items():
        assert n <= len(sides[scen]), (scen, n, sides[scen])


# ---- small trees ---------------------------------------------------------

def variant_dir():
    return sorted(p.parent for p in CORPUS.glob("*/exe.xz"))[0]


def scenario_cores(n):
    cores = sorted(variant_dir().glob("*/core.zst"))
    assert len(cores) >= n
    return cores[:n]


def test_mixed_directory_skips_non_cores_and_reports_damaged_core(tmp_path):
    v = tmp_path / "v"
    a, b, c = scenario_cores(3)
    v.mkdir()
    shutil.copy(variant_dir() / "exe.xz", v / "exe.xz")
    (v / "a").mkdir()
    shutil.copy(a, v / "a" / "core.zst")
    shutil.copy(a.parent / "stderr.txt", v / "a" / "stderr.txt")
    (v / "b").mkdir()
    # Not compressed, and not named like a core: found by content.
    subprocess.run(["zstd", "-dq", str(b), "-o", str(v / "b" / "dump.bin")],
                   check=True)
    (v / "c").mkdir()
    data = c.read_bytes()
    (v / "c" / "core.zst").write_bytes(data[:len(data) // 3])  # truncated
    (v / "notes.txt").write_text("not a core\n")
    (v / "random.bin").write_bytes(os.urandom(4096))
    (v / "empty").write_bytes(b"")
    non_cores = 5  # exe.xz stderr.txt notes.txt random.bin empty

    p = batch([v, "--jobs", "2", "--summary"])
    assert p.returncode == 1, p.stderr
    lines, s = jsonl(p)
    assert [r["input"]["core"] for r in lines] == [
        str(v / "a" / "core.zst"), str(v / "b" / "dump.bin"),
        str(v / "c" / "core.zst")]
    ok, dump, bad = lines
    assert "error" not in ok and "error" not in dump
    assert ok["input"]["exe"] == dump["input"]["exe"] == str(v / "exe.xz")
    assert bad["exit"] == 1 and bad["input"]["exe"] is None
    assert str(v / "c" / "core.zst") in bad["error"]
    assert "\n" not in bad["error"]
    assert set(bad) == {"input", "error", "exit"}
    assert s["skipped_files"] == non_cores
    assert s["failed"] == 1 and s["failed_cores"] == [bad["input"]["core"]]
    assert s["analyzed"] == 2
    # The uncompressed copy gives the same analysis as the original.
    orig = json.loads(analyze_json(b, variant_dir() / "exe.xz").stdout)
    assert dump["fault"] == orig["fault"] and dump["key"] == orig["key"]


def test_lz4_core(tmp_path):
    if not shutil.which("lz4"):
        pytest.skip("no lz4 tool")
    (a,) = scenario_cores(1)
    shutil.copy(variant_dir() / "exe.xz", tmp_path / "exe.xz")
    raw = tmp_path / "raw"
    subprocess.run(["zstd", "-dq", str(a), "-o", str(raw)], check=True)
    subprocess.run(["lz4", "-q", str(raw), str(tmp_path / "crash.lz4")],
                   check=True)
    raw.unlink()
    p = batch([tmp_path])
    assert p.returncode == 0, p.stdout + p.stderr
    (r,), _ = jsonl(p)
    assert r["input"]["core"] == str(tmp_path / "crash.lz4")
    orig = json.loads(analyze_json(a, variant_dir() / "exe.xz").stdout)
    assert r["fault"] == orig["fault"] and r["map"] == orig["map"]


def test_list_files(tmp_path):
    a, b, c = scenario_cores(3)
    exe = variant_dir() / "exe.xz"
    sub = tmp_path / "sub.txt"
    sub.write_text(str(c) + "\n")
    lst = tmp_path / "cores.txt"
    # A comment, a blank line, a core with its executable after a TAB, a
    # nested list, and a path relative to the list's directory.
    rel_b = os.path.relpath(b, tmp_path)
    lst.write_text("# cores from the fleet\n\n%s\t%s\n%s\n@sub.txt\n"
                   % (a, exe, rel_b))
    p = batch(["@" + str(lst)])
    assert p.returncode == 0, p.stderr
    lines, _ = jsonl(p)
    assert [r["input"]["core"] for r in lines] == [
        str(a), str(tmp_path / rel_b), str(c)]
    assert [r["input"]["exe_rule"] for r in lines][0] == "list"
    # The same list named directly is recognised by its content.
    q = batch([lst])
    assert q.returncode == 0, q.stderr
    assert q.stdout == p.stdout
    # stdin
    r = subprocess.run([mapsleuth_bin(), "batch", "@-"], input=str(c) + "\n",
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [json.loads(l)["input"]["core"] for l in r.stdout.splitlines()] == [str(c)]


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_duplicates_share_a_signature_and_span_their_times(tmp_path):
    a, b = scenario_cores(2)
    shutil.copy(variant_dir() / "exe.xz", tmp_path / "exe.xz")
    times = {}
    for src, tag in ((a, "a"), (b, "b")):
        for i in range(3):
            d = tmp_path / ("%s%d" % (tag, i))
            d.mkdir()
            shutil.copy(src, d / "core.zst")
            t = 1_600_000_000 + 86400 * i + (0 if tag == "a" else 3600)
            os.utime(d / "core.zst", (t, t))
            times.setdefault(tag, []).append(t)
    # A core reached twice is analyzed once.
    p = batch([tmp_path, tmp_path / "a0" / "core.zst", "--summary"])
    assert p.returncode == 0, p.stderr
    lines, s = jsonl(p)
    assert len(lines) == 6 and s["duplicates"] == 1
    assert sorted(g["count"] for g in s["groups"]) == [3, 3]
    for g in s["groups"]:
        tag = {pathlib.Path(c).parent.name[0] for c in g["cores"]}
        assert len(tag) == 1
        (tag,) = tag
        assert g["first_seen"] == iso(min(times[tag]))
        assert g["last_seen"] == iso(max(times[tag]))
        assert g["example"] == g["cores"][0]


def test_systemd_coredump_name_pairs_by_command(tmp_path):
    (a,) = scenario_cores(1)
    shutil.copy(variant_dir() / "exe.xz", tmp_path / "myserver.xz")
    name = ("core.myserver.1000.0123456789abcdef0123456789abcdef."
            "4242.1700000000000000.zst")
    shutil.copy(a, tmp_path / name)
    p = batch([tmp_path, "--summary"])
    assert p.returncode == 0, p.stderr
    (r,), s = jsonl(p)
    assert r["input"]["exe"] == str(tmp_path / "myserver.xz")
    assert r["input"]["exe_rule"] == "comm"
    # Crash time from the name (microseconds since the epoch), not mtime.
    assert s["groups"][0]["first_seen"] == "2023-11-14T22:13:20Z"


def test_exe_file_and_exe_option(tmp_path):
    (a,) = scenario_cores(1)
    (tmp_path / "bin").mkdir()
    shutil.copy(variant_dir() / "exe.xz", tmp_path / "bin" / "server.xz")
    (tmp_path / "c").mkdir()
    shutil.copy(a, tmp_path / "c" / "core.zst")
    (tmp_path / "EXE").write_text("bin/server.xz\n")
    p = batch([tmp_path])
    (r,), _ = jsonl(p)
    assert r["input"]["exe"] == str(tmp_path / "bin" / "server.xz")
    assert r["input"]["exe_rule"] == "EXE file"
    p = batch([tmp_path, "--exe", variant_dir() / "exe.xz"])
    (r,), _ = jsonl(p)
    assert r["input"]["exe"] == str(variant_dir() / "exe.xz")
    assert r["input"]["exe_rule"] == "--exe"


def test_no_executable_found(tmp_path):
    """No rule finds an executable and the path the core records does not
    exist: an error line (made so here, whatever is left on this machine of
    the build that made the corpus)."""
    from test_exe_match import exe_path_in_core, files, rewrite_nt_file_paths
    core, _, _ = files(tmp_path, "go1.22-default/strkeys")
    b = core.read_bytes()
    old = exe_path_in_core(b)
    new = b"/nonexistent" + b"x" * (len(old) - len(b"/nonexistent"))
    assert not os.path.exists(new)
    (tmp_path / "exe").unlink()
    core.write_bytes(rewrite_nt_file_paths(b, old, new))
    p = batch([tmp_path])
    (r,), _ = jsonl(p)
    assert p.returncode == 1
    assert "no executable" in r["error"] and "NT_FILE" in r["error"]
    assert new.decode() in r["error"]


def test_explicit_non_core_is_an_error(tmp_path):
    t = tmp_path / "notes.md"
    t.write_text("# not a list: no such path\n\nhello\n")
    p = batch([t, tmp_path / "missing.core"])
    assert p.returncode == 1
    lines, _ = jsonl(p)
    assert "not a core" in lines[0]["error"]
    assert "cannot open" in lines[1]["error"]


def test_csv(corpus_lines, tmp_path):
    v = variant_dir()
    p = batch([v, "--format", "csv", "--summary-file", tmp_path / "s.json"])
    assert p.returncode == 0, p.stderr
    rows = list(csv.reader(io.StringIO(p.stdout)))
    assert rows[0] == CSV_COLUMNS
    rows = [dict(zip(CSV_COLUMNS, r)) for r in rows[1:]]
    assert all(len(r) == len(CSV_COLUMNS) for r in rows)
    lines, _ = corpus_lines
    by_core = {r["input"]["core"]: r for r in lines}
    s = json.loads((tmp_path / "s.json").read_text())
    assert s["schema"] == SUMMARY_SCHEMA and s["cores"] == len(rows)
    group_of = {c: g["id"] for g in s["groups"] for c in g["cores"]}
    for row in rows:
        r = by_core[row["core"]]
        assert row["status"] == ("map_fault" if r["map_fault"] else "no_map_fault")
        assert row["exe"] == r["input"]["exe"]
        assert row["kind"] == r["fault"]["kind"]
        assert row["goroutine"] == str(r["fault"]["goroutine"])
        assert row["map_type"] == ((r["map"] or {}).get("type") or "")
        assert row["map_address"] == ((r["map"] or {}).get("address") or "")
        assert row["key"] == ((r["key"] or {}).get("go") or "")
        assert row["signature"] == group_of[row["core"]]
        assert row["error"] == ""


def test_text(tmp_path):
    v = variant_dir()
    n = len(walk_cores(str(v)))
    p = batch([v, "--format", "text", "--summary"])
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert all(l.startswith(("ok ", "NOMAP ")) for l in out[:n])
    assert out[n] == ""
    assert out[n + 1].startswith("%d cores: %d analyzed" % (n, n))
    assert "signatures" in out[n + 2]


def test_usage_errors(tmp_path):
    assert batch([tmp_path, "--format", "xml"]).returncode == 2
    assert batch([tmp_path, "--format", "csv", "--summary"]).returncode == 2
    assert batch([tmp_path, "--jobs", "0"]).returncode == 2
    assert batch([]).returncode == 2


def test_progress_bar_only_on_a_terminal(tmp_path):
    (a,) = scenario_cores(1)
    args = [mapsleuth_bin(), "batch", str(a), "--exe",
            str(variant_dir() / "exe.xz")]
    master, slave = pty.openpty()
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=slave,
                           timeout=120)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(master)
    assert p.returncode == 0
    assert b"cores/s" in err and b"1/1" in err
    (r,) = [json.loads(l) for l in p.stdout.decode().splitlines()]
    assert r["schema"] == "mapsleuth.report/1"
    # Not a terminal: nothing on stderr.
    q = run(args[1:])
    assert q.returncode == 0 and q.stderr == ""
