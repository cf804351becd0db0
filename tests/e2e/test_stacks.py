"""mapsleuth stack --all on every committed core: every goroutine's stack
lists, in order, every frame the runtime's own GOTRACEBACK=crash traceback
printed for it (function, file:line, PC, SP; inlined frames included).
Frames above the first printed one must be marked as the runtime's hidden
machinery or be system-stack frames; nothing may follow the printed ones."""
import pytest

from conftest import CASES, CASE_IDS, run_json, unpacked_paths


def frame_matches(ours, theirs):
    if ours["function"] != theirs["function"]:
        return False
    if ours["file"] != theirs["file"] or ours["line"] != theirs["line"]:
        return False
    if theirs["inlined"]:
        return ours["inlined"]
    if ours["inlined"]:
        return False
    return (int(ours["pc"], 16) == int(theirs["pc"], 16)
            and int(ours["sp"], 16) == int(theirs["sp"], 16))


def locate(ours, theirs):
    """Index in ours where theirs starts, or None."""
    for k in range(len(ours) - len(theirs) + 1):
        if all(frame_matches(ours[k + i], t) for i, t in enumerate(theirs)):
            return k
    return None


def describe(frames):
    return "\n".join("  %s %s:%s pc=%s sp=%s%s" % (
        f["function"], f["file"], f["line"], f.get("pc"), f.get("sp"),
        " (inlined)" if f["inlined"] else "") for f in frames)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_goroutine_stack_contains_the_runtime_traceback(case):
    _, case_dir, truth = case
    core, exe = unpacked_paths(case_dir, truth)
    r = run_json(["stack", core, "--exe", exe, "--all"])
    ours_by_id = {g["goroutine"]: g for g in r["goroutines"]}
    checked = 0
    seen = set()
    for tg in truth["traceback"]:
        gid = tg["goroutine"]
        if tg.get("stack_unavailable") or not tg["frames"] or gid in seen:
            continue  # printed twice when two goroutines threw at once
        seen.add(gid)
        assert gid in ours_by_id, "goroutine %d missing" % gid
        frames = ours_by_id[gid]["stack"]["frames"]
        theirs = tg["frames"]
        k = locate(frames, theirs)
        assert k is not None, "goroutine %d: runtime printed\n%s\nwe have\n%s" % (
            gid, describe(theirs), describe(frames))
        for f in frames[:k]:
            assert f["runtime_hidden"] or f["system_stack"] or f["how"] in (
                "registers", "signal context"), (gid, f)
        assert k + len(theirs) == len(frames), (
            "goroutine %d: extra frames after the runtime's:\n%s" % (
                gid, describe(frames[k + len(theirs):])))
        checked += 1
    assert checked > 0


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_faulting_goroutine_reaches_the_user_frame(case):
    _, case_dir, truth = case
    core, exe = unpacked_paths(case_dir, truth)
    r = run_json(["stack", core, "--exe", exe])
    assert r["faulting_goroutine"] == truth["fault"]["goroutine"]
    (g,) = r["goroutines"]
    frames = g["stack"]["frames"]
    names = [f["function"] for f in frames]
    mapfn = truth["fault"]["map_function"]
    assert mapfn in names, names
    uf = truth["fault"]["user_frame"]
    idx = names.index(mapfn)
    assert any(f["function"] == uf["function"] and f["line"] == uf["line"]
               for f in frames[idx + 1:]), (uf, names)
    assert g["user_frame"]["function"] == uf["function"]
