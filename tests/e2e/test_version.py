"""`mapsleuth --version`: the release and the git commit the executable was
built from (cli/GitCommit.cmake writes the commit at every build)."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import ROOT, mapsleuth_bin

SCRIPT = ROOT / "cli" / "GitCommit.cmake"
VERSION_RE = re.compile(r"^mapsleuth (\d+\.\d+\.\d+) \(git ([0-9a-f]{7,}(?:-dirty)?|unknown)\)$")


def project_version():
    m = re.search(r"project\(mapsleuth VERSION (\S+)", (ROOT / "CMakeLists.txt").read_text())
    assert m
    return m.group(1)


def git(*args, cwd=ROOT):
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)


def version_line():
    p = subprocess.run([mapsleuth_bin(), "--version"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1, p.stdout
    m = VERSION_RE.match(lines[0])
    assert m, lines[0]
    return m.group(1), m.group(2)


def test_version_is_the_projects():
    version, _ = version_line()
    assert version == project_version()


def test_version_names_the_checked_out_commit():
    if not shutil.which("git"):
        pytest.skip("no git")
    top = git("rev-parse", "--show-toplevel")
    if top.returncode != 0 or pathlib.Path(top.stdout.strip()).resolve() != ROOT.resolve():
        pytest.skip("the source tree is not a git checkout")
    head = git("rev-parse", "--short", "HEAD").stdout.strip()
    _, commit = version_line()
    # Built from this checkout: its HEAD, maybe with local changes.
    assert commit in (head, head + "-dirty"), (commit, head)


def run_script(src, out):
    cmake = shutil.which("cmake")
    if not cmake:
        pytest.skip("no cmake")
    subprocess.run([cmake, "-DSRC=%s" % src, "-DOUT=%s" % out, "-P", str(SCRIPT)],
                   check=True, capture_output=True)
    m = re.search(r'#define MAPSLEUTH_GIT_COMMIT "([^"]*)"', out.read_text())
    assert m, out.read_text()
    return m.group(1)


def test_unknown_outside_a_checkout(tmp_path):
    """A tarball's tree says "unknown", also when unpacked inside another
    repository (whose commit is not the tarball's)."""
    src = tmp_path / "mapsleuth-0.1.0"
    src.mkdir()
    assert run_script(src, tmp_path / "a.h") == "unknown"
    if not shutil.which("git"):
        pytest.skip("no git")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert git("rev-parse", "--show-toplevel", cwd=src).returncode == 0
    assert run_script(src, tmp_path / "b.h") == "unknown"


def test_a_new_commit_is_picked_up_and_an_unchanged_one_rewrites_nothing(tmp_path):
    if not shutil.which("git"):
        pytest.skip("no git")
    repo = tmp_path / "repo"
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")

    def commit(text):
        (repo / "f").write_text(text)
        subprocess.run(["git", "-C", str(repo), "add", "f"], check=True, env=env)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", text], check=True, env=env)
        return git("rev-parse", "--short", "HEAD", cwd=repo).stdout.strip()

    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    out = tmp_path / "GitCommit.h"
    first = commit("one")
    assert run_script(repo, out) == first
    stamp = out.stat().st_mtime_ns
    os.utime(out, ns=(stamp - 10**9, stamp - 10**9))
    assert run_script(repo, out) == first
    assert out.stat().st_mtime_ns == stamp - 10**9  # not rewritten
    second = commit("two")
    assert second != first
    assert run_script(repo, out) == second
    (repo / "f").write_text("changed")
    assert run_script(repo, out) == second + "-dirty"
