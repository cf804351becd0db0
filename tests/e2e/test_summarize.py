"""mapsleuth batch --shard K/N and mapsleuth summarize.

A tree of real cores from the corpus (two variant directories, a directory
mixing non-cores and a damaged core, and a list file naming one core a
second time) is analyzed once whole and once in three shards: the shards
partition the inputs (every core, skipped file and duplicate in exactly
one), each shard's lines are the whole run's lines, and `summarize` over the
shards' outputs writes byte for byte the summary file of the whole run.
Then: summarize's errors on input that is not batch output."""
import json
import shutil

import pytest

from conftest import CORPUS, batch, run
from conftest import split_batch_output as split

SHARDS = 3


def summarize(args, timeout=120):
    return run(["summarize"] + [str(a) for a in args], timeout=timeout)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    variants = sorted(d for d in CORPUS.iterdir()
                      if d.is_dir() and (d / "exe.xz").exists())[:2]
    assert len(variants) == 2
    top = tmp_path_factory.mktemp("fleet")
    mixed = top / "mixed"
    mixed.mkdir()
    cores = sorted(variants[0].glob("*/core.zst"))
    assert len(cores) >= 2
    shutil.copy(variants[0] / "exe.xz", mixed / "exe.xz")
    (mixed / "a").mkdir()
    shutil.copy(cores[0], mixed / "a" / "core.zst")
    (mixed / "b").mkdir()
    data = cores[1].read_bytes()
    (mixed / "b" / "core.zst").write_bytes(data[:len(data) // 3])  # damaged
    for i in range(6):
        (mixed / f"notes{i}.txt").write_text("not a core %d\n" % i)
    # A list file naming a core the directories also reach: a duplicate.
    listing = top / "again.list"
    listing.write_text(str(mixed / "a" / "core.zst") + "\n")
    return [variants[0], variants[1], mixed, "@" + str(listing)]


@pytest.fixture(scope="module")
def whole(tree, tmp_path_factory):
    d = tmp_path_factory.mktemp("whole")
    p = batch(tree + ["--jobs", "2", "--summary-file", d / "summary.json"])
    assert p.returncode == 1, p.stderr[-2000:]  # the damaged core
    lines, summary = split(p.stdout)
    assert summary is None  # it went to the file
    return lines, (d / "summary.json").read_bytes()


@pytest.fixture(scope="module")
def shards(tree, tmp_path_factory):
    d = tmp_path_factory.mktemp("shards")
    out = []
    for k in range(1, SHARDS + 1):
        p = batch(tree + ["--jobs", "2", "--shard", f"{k}/{SHARDS}",
                          "--summary"])
        assert p.returncode in (0, 1), p.stderr[-2000:]
        f = d / f"shard{k}.jsonl"
        f.write_text(p.stdout)
        out.append(f)
    return out


def test_whole_run_numbers_its_inputs(whole):
    lines, summary_file = whole
    assert [r["input"]["index"] for r in lines] == list(range(len(lines)))
    assert all("shard" not in r["input"] for r in lines)
    s = json.loads(summary_file)
    assert "shard" not in s
    assert s["duplicates"] == 1 and s["skipped_files"] >= 6
    assert s["failed"] == 1
    statuses = [r["input"]["status"] for r in lines]
    assert statuses.count("error") == 1
    assert s["map_faults"] == statuses.count("map_fault")
    for r in lines:
        assert r["input"]["crash_time_source"] == "mtime"
        assert r["input"]["crash_time"].endswith("Z")


def test_shards_partition_the_inputs(whole, shards):
    lines, summary_file = whole
    by_index = {r["input"]["index"]: r for r in lines}
    seen = set()
    skipped = duplicates = 0
    nonempty = 0
    for k, f in enumerate(shards, 1):
        mine, s = split(f.read_text())
        assert s is not None and s["shard"] == f"{k}/{SHARDS}"
        skipped += s["skipped_files"]
        duplicates += s["duplicates"]
        nonempty += bool(mine)
        for r in mine:
            i = r["input"]["index"]
            assert i not in seen
            seen.add(i)
            assert r["input"].pop("shard") == f"{k}/{SHARDS}"
            # The same line as in the whole run.
            assert r == by_index[i]
    assert seen == set(by_index)
    whole_summary = json.loads(summary_file)
    assert skipped == whole_summary["skipped_files"]
    assert duplicates == whole_summary["duplicates"]
    # The hash spreads ~30 inputs over all three shards.
    assert nonempty == SHARDS


def test_summarize_of_the_shards_is_the_whole_runs_summary(whole, shards,
                                                           tmp_path):
    _, summary_file = whole
    merged = tmp_path / "merged.json"
    # Any order of the shard files.
    p = summarize(list(reversed(shards)) + ["--summary-file", merged])
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert merged.read_bytes() == summary_file
    # To stdout: the same object on one line.
    p = summarize(shards)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == json.loads(summary_file)
    # Text: the table batch --format text prints.
    p = summarize(shards + ["--format", "text"])
    assert p.returncode == 0, p.stderr
    for g in json.loads(summary_file)["groups"]:
        assert g["id"] in p.stdout and g["example"] in p.stdout


def test_summarize_of_one_unsharded_run(tree, whole, tmp_path):
    _, summary_file = whole
    p = batch(tree + ["--jobs", "2", "--summary"])
    out = tmp_path / "all.jsonl"
    out.write_text(p.stdout)
    merged = tmp_path / "merged.json"
    p = summarize([out, "--summary-file", merged])
    assert p.returncode == 0, p.stderr
    assert merged.read_bytes() == summary_file
    # A --summary-file (pretty-printed) is input too: it adds its skipped
    # files and duplicates to the results' numbers.
    results_only = tmp_path / "results.jsonl"
    results_only.write_text("".join(
        l + "\n" for l in out.read_text().splitlines()[:-1]))
    p = summarize([results_only, tmp_path / "merged.json",
                   "--summary-file", tmp_path / "again.json"])
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "again.json").read_bytes() == summary_file


def test_a_missing_shard_is_a_warning(shards):
    p = summarize(shards[:2])
    assert p.returncode == 0, p.stderr
    assert f"no results of shard {SHARDS}/{SHARDS}" in p.stderr


def one_line_error(p, *parts):
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mapsleuth: error: "), p.stderr
    for x in parts:
        assert str(x) in lines[0], (x, lines[0])
    return lines[0]


def test_summarize_refuses_what_is_not_batch_output(shards, tmp_path):
    good = shards[0].read_text().splitlines()
    result = next(l for l in good if '"input"' in l)

    f = tmp_path / "garbage.jsonl"
    f.write_text(result + "\n{not json\n")
    one_line_error(summarize([f]), f"{f}:2", "not JSON")

    f = tmp_path / "other.jsonl"
    f.write_text('{"schema": "mapsleuth.report/1"}\n')
    one_line_error(summarize([f]), f"{f}:1", "neither")

    r = json.loads(result)
    del r["input"]["index"]
    f = tmp_path / "old.jsonl"
    f.write_text(json.dumps(r) + "\n")
    one_line_error(summarize([f]), f"{f}:1", "input.index")

    r = json.loads(result)
    if "signature" in r:
        r["signature"]["version"] = 1
        f = tmp_path / "v1.jsonl"
        f.write_text(json.dumps(r) + "\n")
        one_line_error(summarize([f]), f"{f}:1", "signature version 1")

    s = json.loads(good[-1])
    s["signature_version"] = 1
    f = tmp_path / "v1-summary.jsonl"
    f.write_text(json.dumps(s) + "\n")
    one_line_error(summarize([f]), f"{f}:1", "version 1")

    # The same shard twice.
    one_line_error(summarize([shards[0], shards[0]]), "already read",
                   f"{shards[0]}:")

    one_line_error(summarize([tmp_path / "nope.jsonl"]), "nope.jsonl")


def test_shard_usage_errors(tree):
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "2/1x"):
        p = batch(tree[:1] + ["--shard", bad])
        assert p.returncode == 2, (bad, p.stderr)
        assert "--shard" in p.stderr, p.stderr
