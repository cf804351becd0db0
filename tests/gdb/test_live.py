"""The gdb plugin on a live Go process: the scenario program of
fixtures/scenarios, built with an installed Go toolchain, run under
`gdb -batch -ex run -ex mapsleuth` until the runtime aborts on its
concurrent map writes (GOTRACEBACK=crash makes the fatal error a SIGABRT
gdb stops on). The report is checked against what the program and the Go
runtime print on stderr: the map the program made (`MAPSLEUTH map=...
maptype=...`), the runtime's `fatal error:` line and the goroutine it
says was running. Skipped when no Go toolchain is installed."""
import json
import os
import pathlib
import re
import subprocess

import pytest

import mstestlib
from conftest import (ROOT, frames_of_bt, go_toolchain, mapsleuth_bin, marked, run_gdb,
                      sections)

SCENARIOS = ROOT / "fixtures" / "scenarios"


def toolchains():
    """The newest installed toolchain, and go1.22 (classic hmap maps) when
    it is installed too (and no toolchain was named by MAPSLEUTH_GO)."""
    newest = go_toolchain()
    out = [newest] if newest else []
    old = "/usr/lib/go-1.22/bin/go"
    if newest and not os.environ.get("MAPSLEUTH_GO") and os.access(old, os.X_OK) \
            and old != newest:
        out.append(old)
    return out


def go_version(go):
    return subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True,
                          env=go_env(), check=True).stdout.strip()


def go_env():
    cache = mstestlib.cache_dir(mapsleuth_bin()) / "go"
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOFLAGS="-buildvcs=false", CGO_ENABLED="0",
               GOCACHE=str(cache / "cache"), GOPATH=str(cache / "path"))
    return env


def build_scenarios(go, out_dir):
    exe = pathlib.Path(out_dir) / "scenarios"
    p = subprocess.run([go, "build", "-o", str(exe), "."], cwd=SCENARIOS, env=go_env(),
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr
    return exe


def first_fatal(stderr):
    """The runtime's first `fatal error: MSG` and the goroutine it shows
    running right after it."""
    m = re.search(r"^fatal error: (.+)$", stderr, re.M)
    assert m, stderr[-3000:]
    g = re.compile(r"^goroutine (\d+) .*\[running\]:", re.M).search(stderr, m.end())
    return m.group(1), int(g.group(1)) if g else None


@pytest.mark.parametrize("which", [0, 1], ids=["newest-go", "go1.22"])
def test_live_process_concurrent_map_writes(which, tmp_path):
    found = toolchains()
    if not found:
        pytest.skip("no Go toolchain (/usr/lib/go-1.X/bin/go, go on PATH or MAPSLEUTH_GO)")
    if which >= len(found):
        pytest.skip("no second toolchain: go1.22 is not installed, or MAPSLEUTH_GO names one")
    go = found[which]
    exe = build_scenarios(go, tmp_path)
    env = dict(os.environ, GOTRACEBACK="crash")
    for k in ("PYTHONPATH", "PYTHONHOME"):
        env.pop(k, None)
    commands = marked(["mapsleuth --json", "mapsleuth", "print $mapsleuth_map", "bt"])
    # Go preempts goroutines with SIGURG: gdb must let it through silently.
    for attempt in range(3):
        p = run_gdb(["--args", exe, "strkeys"],
                    ["run"] + commands,
                    pre=["handle SIGURG nostop noprint pass"], env=env, timeout=300)
        if "received signal SIGABRT" in p.stdout:
            break
    else:
        pytest.fail("the program never stopped on SIGABRT:\n%s\n%s"
                    % (p.stdout[-2000:], p.stderr[-2000:]))
    out = sections(p.stdout, 4)
    report, _ = json.JSONDecoder().raw_decode(out[0].lstrip())

    # What the program and the runtime said on stderr.
    made = re.search(r"^MAPSLEUTH map=(0x[0-9a-f]+) maptype=(\S+)", p.stderr, re.M)
    assert made, p.stderr[-3000:]
    message, goroutine = first_fatal(p.stderr)

    assert report["map_fault"] is True
    assert report["fault"]["kind"] == "concurrent_map_writes"
    assert report["fault"]["message"] == message
    if report["fault"]["goroutine"] != goroutine:
        # Two goroutines threw (the runtime says "fatal error" twice): the
        # one it printed first need not be the one on the thread that took
        # the SIGABRT gdb stopped on; the report names both.
        assert len(re.findall(r"^fatal error: ", p.stderr, re.M)) >= 2, p.stderr[-3000:]
        assert goroutine in report["fault"]["also_faulted"], report["fault"]
    assert report["map"]["type"] == made.group(2)
    assert int(report["map"]["address"], 16) == int(made.group(1), 16)
    assert report["executable"]["go_version"] == go_version(go)
    assert "process" in report["core"]["path"] and "through gdb" in report["core"]["path"]

    # The text report and the convenience variable agree with the JSON.
    assert "fatal map fault: " + message in out[1]
    assert report["map"]["address"] in out[2]
    # bt on the live process reaches the user code past the stack switch.
    names = frames_of_bt(out[3])
    assert report["fault"]["frame"]["function"] in names, out[3]
    user = report["fault"]["user_frame"]["function"]
    assert user in names or user + " (inlined)" in names, out[3]
