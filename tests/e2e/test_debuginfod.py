"""The executable fetched by build id from a real debuginfod server:
Debian's `debuginfod`, started here on 127.0.0.1 on a free port over a
folder holding one corpus executable, and stopped at the end. Skipped
where the package is not installed (scripts/setup.sh installs it). The
test without a configured server runs everywhere."""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import CASES, mapsleuth_bin, one_line_error, unpacked_paths

PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "all_proxy", "ALL_PROXY")


def gnu_cases():
    """Corpus cases whose executable carries a GNU build id, one per
    executable, in cores that hold the page with it (qemu-user writes none
    of the executable's read-only pages)."""
    seen, out = set(), []
    for c in CASES:
        g = c[2].get("gnu_build_id")
        if c[2].get("runner", "").startswith("qemu"):
            continue
        if g and g not in seen:
            seen.add(g)
            out.append(c)
    return out


def env_without_debuginfod(**extra):
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("DEBUGINFOD_") and k not in PROXY_VARS}
    e.update(extra)
    return e


def mapsleuth(args, env, timeout=120):
    return subprocess.run([mapsleuth_bin()] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env)


def lone_core(tmp, case):
    """The case's core alone in a folder: no executable beside it, and the
    path its NT_FILE note records does not exist here."""
    _, case_dir, truth = case
    core_src, exe = unpacked_paths(case_dir, truth)
    d = tmp / ("core-" + truth["gnu_build_id"][:8])
    d.mkdir()
    core = d / "core"
    shutil.copy(core_src, core)
    return core, exe, truth


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root):
        self.root = root
        self.dir = root / "served"
        self.dir.mkdir()
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log = open(root / "debuginfod.log", "wb")
        # -F: index ELF files under the folder; -L: follow symbolic links;
        # -c 1: one scanning thread (CI machines are small).
        self.proc = subprocess.Popen(
            ["debuginfod", "-F", "-L", "-c", "1", "-p", str(self.port),
             "-d", str(root / "debuginfod.sqlite"), str(self.dir)],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=env_without_debuginfod())

    def serves(self, build_id, timeout=60):
        """Waits until the server answers for BUILD_ID (it scans the folder
        after starting)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url = "%s/buildid/%s/executable" % (self.url, build_id)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.logtext()
            try:
                with opener.open(urllib.request.Request(url),
                                 timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError("debuginfod did not serve %s in %ds: %s"
                             % (build_id, timeout, self.logtext()))

    def logtext(self):
        self.log.flush()
        return (self.root / "debuginfod.log").read_text(errors="replace")[-3000:]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not shutil.which("debuginfod"):
        pytest.skip("debuginfod is not installed (Debian package debuginfod)")
    cases = gnu_cases()
    if len(cases) < 2:
        pytest.skip("the corpus has fewer than two executables with a GNU build id")
    root = tmp_path_factory.mktemp("debuginfod")
    s = Server(root)
    try:
        served = cases[0]
        _, case_dir, truth = served
        _, exe = unpacked_paths(case_dir, truth)
        shutil.copy(exe, s.dir / "server")
        s.serves(truth["gnu_build_id"])
        yield s, served, cases[1]
    finally:
        s.stop()


def client_env(url, cache):
    return env_without_debuginfod(DEBUGINFOD_URLS=url,
                                  DEBUGINFOD_CACHE_PATH=str(cache),
                                  DEBUGINFOD_TIMEOUT="30")


def without_exe_origin(r):
    r = json.loads(json.dumps(r))
    for k in ("path", "found_by", "debuginfod_url"):
        r["executable"].pop(k, None)
    return r


def test_executable_fetched_by_build_id(server, tmp_path):
    s, served, _ = server
    core, exe, truth = lone_core(tmp_path, served)
    gid = truth["gnu_build_id"]
    cache = tmp_path / "cache"
    env = client_env(s.url, cache)

    # A fresh cache: the executable (megabytes) is downloaded, with progress.
    p = mapsleuth(["analyze", core, "--format", "json"], env)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    x = r["executable"]
    assert x["found_by"] == "debuginfod"
    assert x["debuginfod_url"].startswith(s.url + "/buildid/" + gid), x
    assert pathlib.Path(x["path"]).resolve().is_relative_to(cache.resolve()), x
    assert x["gnu_build_id"] == gid and x["match"]["verdict"] == "match", x
    assert "downloading" in p.stderr and gid in p.stderr, p.stderr
    assert pathlib.Path(x["path"]).read_bytes() == exe.read_bytes()

    # The same report as with --exe, but for where the executable came from.
    q = mapsleuth(["analyze", core, "--exe", exe, "--format", "json"],
                  env_without_debuginfod())
    assert q.returncode == 0, q.stderr
    assert without_exe_origin(r) == without_exe_origin(json.loads(q.stdout))

    # From the cache now: no download, the same executable.
    p = mapsleuth(["analyze", core], env)
    assert p.returncode == 0, p.stderr
    assert "downloading" not in p.stderr
    assert "(found by debuginfod" in p.stdout

    # info, and batch names the rule.
    p = mapsleuth(["info", core], env)
    assert p.returncode == 0, p.stderr
    assert "found by  debuginfod" in p.stdout and gid in p.stdout
    p = mapsleuth(["batch", core.parent, "--format", "jsonl"], env)
    assert p.returncode == 0, p.stderr
    b = json.loads(p.stdout.splitlines()[0])
    assert b["input"]["exe_rule"] == "debuginfod", b["input"]
    assert b["executable"]["found_by"] == "debuginfod"
    # A batch line is the report plus where it came from and its signature.
    line = {k: v for k, v in b.items() if k not in ("input", "signature")}
    assert b["signature"]["version"] >= 2 and b["signature"]["id"], b
    assert without_exe_origin(line) == \
        without_exe_origin({k: v for k, v in r.items() if k != "input"})


def test_build_id_the_server_does_not_have(server, tmp_path):
    s, _, other = server
    core, _, truth = lone_core(tmp_path, other)
    p = mapsleuth(["info", core], client_env(s.url, tmp_path / "cache"))
    line = one_line_error(p, core, truth["gnu_build_id"], s.url)
    assert "no server has it" in line


def test_no_server_configured():
    # Runs without the server: DEBUGINFOD_URLS unset.
    cases = gnu_cases()
    if not cases:
        pytest.skip("no corpus executable with a GNU build id")
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        core, _, truth = lone_core(pathlib.Path(t), cases[0])
        for cmd in (["info", core], ["analyze", core]):
            p = mapsleuth(cmd, env_without_debuginfod())
            line = one_line_error(p, core, truth["gnu_build_id"])
            assert "DEBUGINFOD_URLS is not set" in line
            assert "NT_FILE" in line
        p = mapsleuth(["batch", core], env_without_debuginfod())
        assert p.returncode == 1
        r = json.loads(p.stdout.splitlines()[0])
        assert truth["gnu_build_id"] in r["error"]
        assert "DEBUGINFOD_URLS is not set" in r["error"]


def test_server_not_answering(tmp_path):
    # A configured server that is not there: one line, exit 1, quickly.
    cases = gnu_cases()
    if not cases:
        pytest.skip("no corpus executable with a GNU build id")
    core, _, truth = lone_core(tmp_path, cases[0])
    url = "http://127.0.0.1:%d" % free_port()
    p = mapsleuth(["info", core], client_env(url, tmp_path / "cache"))
    one_line_error(p, core, truth["gnu_build_id"], url)
