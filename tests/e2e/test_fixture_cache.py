"""The decompressed corpus the suites share stays small on disk: its zero
pages are holes. (CI once ran out of disk after 16 GB of unpacked cores,
0.3 GB of which were not zeros.)"""
import os

from conftest import corpus_cases, unpacked_paths


def test_unpacked_cores_are_sparse():
    cases = corpus_cases()
    assert cases
    _, case_dir, truth = cases[0]
    core, _ = unpacked_paths(case_dir, truth)
    st = os.stat(core)
    assert st.st_size > 1 << 20
    assert st.st_blocks * 512 < st.st_size // 4, (st.st_blocks * 512, st.st_size)
