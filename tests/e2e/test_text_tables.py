"""analyze's text on a map with many Swiss tables: a summary and the tables
that matter by default, every table with --all-tables (JSON always has
them all)."""
import json

import pytest

from conftest import CASES, run, unpacked_paths


def many_tables_case():
    for cid, d, t in CASES:
        core, exe = unpacked_paths(d, t)
        p = run(["analyze", core, "--exe", exe, "--format", "json"])
        if p.returncode != 0:
            continue
        m = json.loads(p.stdout).get("map") or {}
        tables = (m.get("swiss") or {}).get("tables") or m.get("tables") or []
        if len(tables) > 16:
            return core, exe, len(tables)
    pytest.fail("no corpus case has a map of more than 16 Swiss tables")


def test_all_tables_lists_every_table():
    core, exe, n = many_tables_case()
    short = run(["analyze", core, "--exe", exe])
    full = run(["analyze", core, "--exe", exe, "--all-tables"])
    assert short.returncode == full.returncode == 0
    assert "  tables     %d, used per table" % n in short.stdout
    assert "--all-tables" in short.stdout
    listed = short.stdout.count("\n  table      ")
    assert 1 <= listed <= 16
    assert full.stdout.count("\n  table      ") == n
    assert "--all-tables" not in full.stdout
