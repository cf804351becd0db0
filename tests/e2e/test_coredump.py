"""What systemd-coredump records with a core, on real files: the
user.coredump.* extended attributes (set on a copy of a corpus core in the
build folder, as systemd-coredump sets them), the executable they name,
and cores cut short (ProcessSizeMax, the core rlimit, a full disk) in the
middle of a memory segment."""
import datetime
import errno
import json
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile

import pytest

from conftest import (CASES, case_paths, info_json, mapsleuth_bin, one_line_error, run,
                      unpacked_paths)


def case(name):
    for c in CASES:
        if c[0] == name:
            return c
    pytest.skip("corpus case %s missing" % name)


@pytest.fixture
def build_tmp():
    """A temporary folder in the build tree: the file system the build
    folder is on (tmpfs /tmp may not keep user attributes)."""
    base = pathlib.Path(mapsleuth_bin()).resolve().parent.parent
    d = pathlib.Path(tempfile.mkdtemp(prefix="coredump-e2e-", dir=base))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def set_xattrs(path, values):
    try:
        for k, v in values.items():
            os.setxattr(path, "user.coredump." + k, v.encode())
    except OSError as e:
        if e.errno in (errno.ENOTSUP, errno.EPERM):
            pytest.skip("the build folder's file system refuses user xattrs")
        raise


def without_exe_origin(r):
    r = json.loads(json.dumps(r))
    for k in ("path", "found_by", "debuginfod_url"):
        r["executable"].pop(k, None)
    return r


# ---- extended attributes -----------------------------------------------------

def test_xattrs_shown_and_user_coredump_exe_used(build_tmp):
    _, case_dir, truth = case("go1.26-default/strkeys")
    core_src, exe_src = unpacked_paths(case_dir, truth)
    core = build_tmp / ("core.server.1000.%s.%d.1764145465000000"
                        % ("0123456789abcdef" * 2, truth["pid"]))
    shutil.copy(core_src, core)
    # The executable lives where neither the NT_FILE path nor the batch
    # rules look: only user.coredump.exe leads to it.
    exe = build_tmp / "bin" / "my server"
    exe.parent.mkdir()
    shutil.copy(exe_src, exe)
    attrs = {"exe": str(exe), "pid": str(truth["pid"]), "uid": "1000",
             "gid": "1000", "signal": str(truth["signal"]),
             "timestamp": "1764145465000000", "rlimit": "18446744073709551615",
             "hostname": "build-7", "comm": "server"}
    set_xattrs(core, attrs)

    # Without the attributes, nothing names an existing executable.
    bare = build_tmp / "bare.core"
    shutil.copy(core_src, bare)
    one_line_error(run(["info", bare]), bare, "NT_FILE")

    r = info_json(core)
    cd = r["core"]["coredump"]
    assert cd["exe"] == str(exe) and cd["hostname"] == "build-7"
    assert cd["pid"] == truth["pid"] and cd["signal"] == truth["signal"]
    assert cd["uid"] == 1000 and cd["gid"] == 1000 and cd["comm"] == "server"
    assert cd["timestamp"] == 1764145465000000 and cd["rlimit"] == "unlimited"
    assert r["executable"]["found_by"] == "user.coredump.exe"
    assert r["executable"]["path"] == str(exe)
    assert r["executable"]["match"]["verdict"] == "match"
    assert info_json(bare, "--exe", exe)["core"]["coredump"] is None

    p = run(["info", core])
    assert p.returncode == 0, p.stderr
    line = [l for l in p.stdout.splitlines() if "systemd-coredump" in l]
    assert len(line) == 1 and str(exe) in line[0] and "build-7" in line[0], p.stdout
    assert "found by  user.coredump.exe" in p.stdout

    # The analysis is the one --exe gives, and says where its inputs came from.
    a = run(["analyze", core, "--format", "json"])
    b = run(["analyze", core, "--exe", exe_src, "--format", "json"])
    assert a.returncode == b.returncode == 0, (a.stderr, b.stderr)
    ra, rb = json.loads(a.stdout), json.loads(b.stdout)
    assert ra["executable"]["found_by"] == "user.coredump.exe"
    assert rb["executable"]["found_by"] == "--exe"
    assert ra["core"]["coredump"]["hostname"] == "build-7"
    assert without_exe_origin(ra) == without_exe_origin(rb)
    t = run(["analyze", core])
    assert t.returncode == 0, t.stderr
    assert "systemd-coredump  exe " + str(exe) in t.stdout
    assert "(found by user.coredump.exe)" in t.stdout

    # batch: the rule is named, after the directory rules found nothing.
    p = run(["batch", core, "--format", "jsonl"])
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.splitlines()[0])
    assert r["input"]["exe_rule"] == "user.coredump.exe", r["input"]
    assert r["input"]["exe"] == str(exe)
    assert r["executable"]["found_by"] == "user.coredump.exe"


def test_xattr_exe_missing_is_said(build_tmp):
    _, case_dir, truth = case("go1.22-default/strkeys")
    core_src, _ = unpacked_paths(case_dir, truth)
    core = build_tmp / "core"
    shutil.copy(core_src, core)
    set_xattrs(core, {"exe": "/nonexistent/server"})
    line = one_line_error(run(["info", core]), core)
    assert "user.coredump.exe '/nonexistent/server' does not exist" in line


def test_xattr_comm_feeds_the_comm_rule(build_tmp):
    _, case_dir, truth = case("go1.24-default/strkeys")
    core_src, exe_src = unpacked_paths(case_dir, truth)
    (build_tmp / "c").mkdir()
    core = build_tmp / "c" / "dump"
    shutil.copy(core_src, core)
    shutil.copy(exe_src, build_tmp / "c" / "my-daemon")
    stamp = 1764145465123456  # microseconds, as systemd-coredump writes it
    set_xattrs(core, {"comm": "my-daemon", "timestamp": str(stamp)})
    p = run(["batch", core, "--format", "jsonl", "--summary"])
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.splitlines()[0])
    assert r["input"]["exe_rule"] == "comm", r["input"]
    assert r["input"]["exe"].endswith("my-daemon")
    # The crash time is the attribute's, not the copy's modification time.
    summary = json.loads(p.stdout.splitlines()[-1])
    when = datetime.datetime.fromtimestamp(stamp // 10**6, datetime.timezone.utc)
    assert summary["groups"][0]["first_seen"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the build ids the core holds ---------------------------------------------

@pytest.mark.parametrize("c", CASES, ids=[c[0] for c in CASES])
def test_build_ids_read_from_the_core(c):
    _, case_dir, truth = c
    core, exe = case_paths(case_dir, truth)
    ids = info_json(core, "--exe", exe)["core"]["exe_build_ids"]
    if truth.get("runner", "").startswith("qemu"):
        # qemu-user writes none of the executable's read-only pages.
        assert ids == {"gnu": None, "go": None}, ids
        return
    assert ids["gnu"] == truth.get("gnu_build_id"), ids
    assert ids["go"] == truth.get("go_build_id"), ids


# ---- truncated cores ------------------------------------------------------------

def load_segments(b):
    phoff, = struct.unpack_from("<Q", b, 32)
    phnum, = struct.unpack_from("<H", b, 56)
    segs = []
    for i in range(phnum):
        p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", b, phoff + 56 * i)
        if p_type == 1 and filesz:
            segs.append((off, filesz))
    return segs


def truncation_cases():
    out = []
    for name in ("go1.26-default/strkeys", "go1.22-default/i64rw",
                 "go1.23-pie/u32rw"):
        for where in ("first", "largest", "last"):
            out.append((name, where))
    return out


@pytest.mark.parametrize("name,where", truncation_cases(),
                         ids=["%s-%s" % x for x in truncation_cases()])
def test_truncated_core_says_so_in_one_line(build_tmp, name, where):
    _, case_dir, truth = case(name)
    core_src, exe = unpacked_paths(case_dir, truth)
    b = core_src.read_bytes()
    segs = load_segments(b)
    off, size = {"first": segs[0], "last": segs[-1],
                 "largest": max(segs, key=lambda s: s[1])}[where]
    keep = off + size // 2  # the middle of a PT_LOAD segment
    core = build_tmp / "cut.core"
    core.write_bytes(b[:keep])
    needed = max(o + s for o, s in segs)

    # info, text and JSON
    p = run(["info", core, "--exe", exe], timeout=60)
    assert p.returncode == 0, p.stderr
    lines = [l for l in p.stdout.splitlines() if "truncated" in l]
    assert len(lines) == 1, p.stdout
    assert str(keep) in lines[0] and str(needed) in lines[0], lines[0]
    r = info_json(core, "--exe", exe)
    t = r["core"]["truncated"]
    assert t["file_size"] == keep and t["needed_size"] == needed, t
    cut = [s for s in segs if s[0] + s[1] > keep]
    assert t["segments_cut"] == len(cut) and t["segments"] == len(segs), t
    assert t["missing_bytes"] == sum(o + s - max(o, keep) for o, s in cut), t
    assert [w for w in r["warnings"] if "truncated" in w] == [t["message"]]

    # analyze: as far as it goes (any exit but a crash), or one clean line.
    for fmt in ("text", "json"):
        p = run(["analyze", core, "--exe", exe, "--format", fmt], timeout=120)
        assert p.returncode in (0, 1, 3), (p.returncode, p.stderr)
        if p.returncode == 1:
            line = one_line_error(p, core)
            assert "truncated" in line
            continue
        assert p.stderr == "", p.stderr
        if fmt == "text":
            lines = [l for l in p.stdout.splitlines() if "truncated" in l]
            if p.returncode == 3:
                assert lines[0].startswith("no map fault found in what the "
                                           "truncated core holds"), lines
                lines = lines[1:]
            assert len(lines) == 1, p.stdout
            assert t["message"] in lines[0]
        else:
            a = json.loads(p.stdout)
            assert a["core"]["truncated"] == t
            assert (p.returncode == 0) == a["map_fault"]


def test_intact_core_is_not_truncated():
    _, case_dir, truth = CASES[0]
    core, exe = case_paths(case_dir, truth)
    r = info_json(core, "--exe", exe)
    assert r["core"]["truncated"] is None
    assert not [w for w in r["warnings"] if "truncated" in w]


def test_truncated_core_still_diagnosed_when_the_cut_spares_what_is_needed(build_tmp):
    # Cut in the middle of the last segment (the top of the main thread's
    # stack, which this analysis does not read): the same diagnosis.
    _, case_dir, truth = case("go1.26-default/strkeys")
    core_src, exe = unpacked_paths(case_dir, truth)
    b = core_src.read_bytes()
    off, size = load_segments(b)[-1]
    core = build_tmp / "cut.core"
    core.write_bytes(b[:off + size // 2])
    whole = json.loads(run(["analyze", core_src, "--exe", exe, "--format", "json"]).stdout)
    p = run(["analyze", core, "--exe", exe, "--format", "json"])
    assert p.returncode == 0, p.stderr
    cut = json.loads(p.stdout)
    assert cut["fault"] == whole["fault"]
    assert cut["map"] == whole["map"]
    assert cut["key"] == whole["key"]
