"""The exact output of `mapsleuth analyze` (text and JSON) for the corpus
cases in tests/golden/cases.txt, compared byte for byte with the files
committed there. A difference is either a regression or a change of what
users see: regenerate with tests/golden/regen.py and review the diff."""
import difflib
import pathlib
import sys

import pytest

from conftest import mapsleuth_bin

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))
import golden  # noqa: E402

CASES = [(c, f) for c in golden.cases() for f in golden.FORMATS]


def test_golden_set_is_not_empty():
    # One classic, one Swiss, one stripped, one iteration fault at least.
    assert len(golden.cases()) >= 4
    assert len(CASES) >= 8


@pytest.mark.parametrize("case,fmt", CASES, ids=["%s.%s" % c for c in CASES])
def test_output_matches_golden(case, fmt):
    path = golden.golden_path(case, fmt)
    assert path.exists(), "no golden file %s: run tests/golden/regen.py" % path
    rc, out, err = golden.produce(pathlib.Path(mapsleuth_bin()).resolve(),
                                  case, fmt)
    assert rc == 0, err
    want = path.read_bytes()
    if out != want:
        diff = difflib.unified_diff(
            want.decode(errors="replace").splitlines(),
            out.decode(errors="replace").splitlines(),
            "golden/" + path.name, "now", lineterm="", n=2)
        lines = list(diff)
        pytest.fail("output differs from %s (%d diff lines; regenerate with "
                    "tests/golden/regen.py if intended):\n%s"
                    % (path.name, len(lines), "\n".join(lines[:120])))
