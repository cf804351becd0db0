"""mapsleuth analyze on every committed core, against the case's independent
truth: fault kind, faulting goroutine, map address and type, key, racers.

Per case: the fault kind and goroutine are always right; any value stated
with confidence other than "low" is right (never a confident wrong answer);
every recovered value carries a provenance. Over the corpus, per
architecture: map address right in at least 95% of the cases, the key in at
least 95% (amd64) and 87% (arm64) of the cases that have one."""
import json

import pytest

from conftest import CASES, CASE_IDS, analyze_json, unpacked_paths


def analyze(case):
    _, case_dir, truth = case
    return analyze_json(*unpacked_paths(case_dir, truth))


def key_equal(ours, truth_key):
    if truth_key is None:
        return ours is None
    if ours is None:
        return False
    if truth_key.get("dynamic_type"):
        if ours.get("dynamic_type") != truth_key["dynamic_type"]:
            return False
    if truth_key["type"] in ("float32", "float64"):
        # A JSON number (905.0 may be written 905), compared exactly: the
        # keys are values the program chose (multiples of 0.25). Not a bool
        # (True == 1) and not a string.
        v = ours["value"]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
    return ours["value"] == truth_key["value"]


def check_provenance(p):
    assert p and p["source"] and p["confidence"] in ("exact", "high", "low"), p


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_analyze_matches_truth(case):
    _, _, truth = case
    p = analyze(case)
    assert p.returncode == 0, (p.returncode, p.stderr)
    r = json.loads(p.stdout)
    assert r["schema"] == "mapsleuth.report/1"
    f = r["fault"]
    assert f["kind"] == truth["fault"]["kind"]
    assert f["message"] == truth["fault"]["message"]
    assert f["goroutine"] == truth["fault"]["goroutine"]
    assert f["thread"] == truth["crashed_tid"]
    assert f["user_frame"]["function"] == truth["fault"]["user_frame"]["function"]
    assert f["user_frame"]["line"] == truth["fault"]["user_frame"]["line"]
    if f["kind"] != "nil_map_write":
        assert f["check"] and f["check"]["which"] in ("entry", "end_of_write")

    m = r["map"]
    if m is not None:
        check_provenance(m["provenance"])
        if m["provenance"]["confidence"] != "low":
            assert m["address"] == truth["map"]["address"], m["provenance"]
        if m["type"] is not None:
            check_provenance(m["type_provenance"])
            if m["type_provenance"]["confidence"] != "low":
                assert m["type"] == truth["map"]["type"]
        assert m["impl"] == ("swiss" if truth["map_impl"] == "swiss" else "hmap")
    k = r["key"]
    if k is not None:
        check_provenance(k["provenance"])
        if k["provenance"]["confidence"] != "low":
            assert key_equal(k, truth["key"]), (k, truth["key"])
    for racer in r["racers"]:
        if racer["map"] is not None:
            check_provenance(racer["map_provenance"])
    # Every goroutine the runtime showed inside a map function is a racer on
    # the same map (the runtime shows only some of them: goroutines running
    # on other threads print "stack unavailable", we unwind them too).
    ours = {x["goroutine"]: x for x in r["racers"]}
    for g in truth["map_goroutines"]:
        if g["goroutine"] == truth["fault"]["goroutine"]:
            continue
        assert g["goroutine"] in ours, g
        racer = ours[g["goroutine"]]
        if racer["same_map"] is not None and racer["map_provenance"]["confidence"] != "low":
            assert racer["same_map"] is True, racer
    for g in truth["fault"].get("also_threw", []):
        assert g in r["fault"]["also_faulted"]


# Recovery rates each architecture must reach on the committed corpus.
RATES = {"amd64": (0.95, 0.95), "arm64": (0.95, 0.87)}  # map, key


@pytest.mark.parametrize("arch", sorted(RATES))
def test_recovery_rates_over_the_corpus(arch):
    maps_total = maps_ok = keys_total = keys_ok = 0
    missing = []
    cases = [c for c in CASES if c[2].get("goarch", "amd64") == arch]
    assert cases, "no %s case in the corpus" % arch
    for case in cases:
        cid, _, truth = case
        p = analyze(case)
        if p.returncode != 0:
            continue
        r = json.loads(p.stdout)
        maps_total += 1
        if r["map"] and r["map"]["address"] == truth["map"]["address"]:
            maps_ok += 1
        else:
            missing.append(cid + ": map")
        if truth["key"] is not None:
            keys_total += 1
            if key_equal(r["key"], truth["key"]):
                keys_ok += 1
            else:
                missing.append(cid + ": key")
    print("%s: maps %d/%d keys %d/%d" % (arch, maps_ok, maps_total, keys_ok, keys_total))
    want_map, want_key = RATES[arch]
    assert maps_total == len(cases)
    assert maps_ok >= want_map * maps_total, missing
    assert keys_ok >= want_key * keys_total, missing


def test_map_reached_through_a_closure_context_register():
    """The closure scenario reads the map through a closure's captured
    variable: the caller loads it through the closure context register,
    which nothing in its frame keeps; on arm64 the map function does not
    spill the map either. The value comes from re-executing the caller
    with the context register its own caller passed."""
    cases = [c for c in CASES if c[2].get("scenario") == "closure"]
    assert cases, "no closure case in the corpus"
    for case in cases:
        _, _, truth = case
        p = analyze(case)
        assert p.returncode == 0, p.stderr
        m = json.loads(p.stdout)["map"]
        assert m and m["address"] == truth["map"]["address"], (case[0], m)
