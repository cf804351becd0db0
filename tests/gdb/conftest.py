"""Shared helpers for the gdb plugin's tests: real gdb (/usr/bin/gdb, batch
mode, no ~/.gdbinit) on the committed corpus of real Go crash cores, the
mapsleuth CLI as the independent reference, and a Go toolchain for the live
test when one is installed.

Environment (set by CTest): MAPSLEUTH_BIN, the CLI; MAPSLEUTH_PYTHONPATH,
the build tree's python/ directory the plugin loads the module from;
MAPSLEUTH_BUILD_DIR, the build tree (for the `cmake --install` test)."""
import functools
import glob
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "lib"))
import mstestlib  # noqa: E402
from mstestlib import mapsleuth_bin  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"
PLUGIN = ROOT / "python" / "gdb" / "mapsleuth-gdb.py"
GDB = "/usr/bin/gdb"
# arm64 cores on this amd64 host: Debian's gdb-multiarch.
GDB_MULTIARCH = "/usr/bin/gdb-multiarch"

# One case of each kind the plugin must handle: classic hmap (go1.22), Swiss
# maps (go1.26), an executable without symbols or DWARF, a PIE executable
# (randomized load address), and a few more builds and scenarios.
CASES = [
    "go1.22-default/strkeys",
    "go1.22-default/i64rw",
    "go1.26-default/strkeys",
    "go1.26-default/structkey",
    "go1.26-stripped/delinsert",
    "go1.22-stripped/structkey",
    "go1.27-pie/iterwrite",
    "go1.27-pie/strkeys",
    "go1.23-pie/ifacekey",
]


def need_gdb():
    if not os.access(GDB, os.X_OK):
        pytest.skip("no %s (apt-get install gdb)" % GDB)


def find_case(name):
    truth = CORPUS / name / "truth.json"
    t = json.loads(truth.read_text())
    return truth.parent, t


def unpacked_case(name):
    """(core, exe, truth) of a case, decompressed (gdb reads neither .zst
    nor .xz). The core is a copy whose NT_FILE note names paths that do not
    exist, as on any machine but the one that crashed: gdb has only the
    executable it was given, whatever is left on this machine from the
    build that made the corpus."""
    case_dir, truth = find_case(name)
    cache = mstestlib.cache_dir(mapsleuth_bin())
    core = mstestlib.cached(case_dir / truth["core"], CORPUS, cache)
    exe = mstestlib.cached((case_dir / truth["exe"]).resolve(), CORPUS, cache)
    absent = core.with_name(core.name + ".absent-files")
    if not absent.exists() or absent.stat().st_mtime < core.stat().st_mtime:
        data = bytearray(core.read_bytes())
        for path in set(nt_file_paths(data)):
            rewrite_nt_file_path(data, path, absent_path(len(path)))
        assert all(not os.path.exists(p) for p in nt_file_paths(data))
        tmp = absent.with_name(absent.name + ".%d.tmp" % os.getpid())
        mstestlib.write_sparse(tmp, data)
        os.replace(tmp, absent)
    return absent, exe, truth


# ---- the paths a core's NT_FILE note records ------------------------------------
NT_FILE = 0x46494C45
PT_NOTE = 4


def _nt_file_names(data):
    """(offset, length) of each path in the NT_FILE note of an ELF64 core."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type != PT_NOTE:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            desc = pos + 12 + ((namesz + 3) & ~3)
            if ntype == NT_FILE:
                count, = struct.unpack_from("<Q", data, desc)
                at = desc + 16 + 24 * count
                for _ in range(count):
                    nul = data.index(b"\0", at, desc + descsz)
                    yield at, nul - at
                    at = nul + 1
            pos = desc + ((descsz + 3) & ~3)


def nt_file_paths(data):
    return [bytes(data[o:o + n]).decode() for o, n in _nt_file_names(data)]


def rewrite_nt_file_path(data, old, new):
    """Every record of path OLD in DATA's NT_FILE note becomes NEW (same
    length: the note keeps its layout)."""
    old, new = old.encode(), new.encode()
    assert len(old) == len(new), (old, new)
    for o, n in list(_nt_file_names(data)):
        if bytes(data[o:o + n]) == old:
            data[o:o + n] = new


def absent_path(length):
    """A path of LENGTH characters that does not exist."""
    p = ("/nonexistent-mapsleuth-test/" + "x" * length)[:length]
    if length < 14:
        p = "/" + "~" * (length - 1)
    assert not os.path.exists(p), p
    return p


@functools.lru_cache(maxsize=None)
def cli_json(core, exe):
    """What `mapsleuth analyze CORE --exe EXE --format json` reports."""
    p = subprocess.run([mapsleuth_bin(), "analyze", str(core), "--exe", str(exe),
                        "--format", "json"], capture_output=True, text=True, timeout=300)
    assert p.returncode in (0, 3), p.stderr
    return json.loads(p.stdout)


def cli_text(core, exe):
    p = subprocess.run([mapsleuth_bin(), "analyze", str(core), "--exe", str(exe)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode in (0, 3), p.stderr
    return p.stdout


def gdb_env(module_path=True):
    env = dict(os.environ)
    # Nothing of the test driver's Python may leak into gdb's.
    for k in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"):
        env.pop(k, None)
    if not module_path:
        env.pop("MAPSLEUTH_PYTHONPATH", None)
    return env


def run_gdb(args, commands, source=True, plugin=PLUGIN, cwd="/tmp", env=None,
            timeout=300, pre=(), gdb=None):
    """gdb -batch -nx [pre commands] [-ex 'source PLUGIN'] -ex CMD... ARGS,
    from another directory than the source tree (cwd=/tmp). Returns the
    CompletedProcess; stdout holds the commands' output."""
    gdb = gdb or GDB
    if not os.access(gdb, os.X_OK):
        pytest.skip("no %s" % gdb)
    cmd = [gdb, "-batch", "-nx", "-iex", "set auto-load no", "-iex", "set pagination off",
           "-iex", "set width 0"]
    for c in pre:
        cmd += ["-ex", c]
    if source:
        cmd += ["-ex", "source %s" % plugin]
    for c in commands:
        cmd += ["-ex", c]
    cmd += [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd,
                          env=gdb_env() if env is None else env, timeout=timeout)


# ---- sections of a batch run's output -----------------------------------------
MARK = "=====mapsleuth-test %s====="


def marked(commands):
    """Commands with an echo of a marker before each, so that the output of
    each can be cut out of gdb's stdout."""
    out = []
    for i, c in enumerate(commands):
        out += ["echo %s\\n" % (MARK % i), c]
    return out


def sections(stdout, n):
    parts = {}
    for i in range(n):
        start = stdout.find(MARK % i)
        assert start >= 0, "no output of command %d:\n%s" % (i, stdout[-3000:])
        start += len(MARK % i) + 1
        end = stdout.find(MARK % (i + 1)) if i + 1 < n else -1
        parts[i] = stdout[start:end if end >= 0 else len(stdout)]
    return parts


def frames_of_bt(text):
    """Function names of a gdb backtrace, innermost first (inlined calls a
    frame filter elides come indented after their frame)."""
    names = []
    for line in text.splitlines():
        m = re.match(r"(?:#\d+\s+|\s+)(?:0x[0-9a-f]+ in )?(\S.*?) \(", line)
        if m:
            names.append(m.group(1))
    return names


# ---- Go toolchains ----------------------------------------------------------
def go_toolchain():
    """The newest installed Go toolchain (/usr/lib/go-1.X/bin/go, else go on
    PATH), or None. MAPSLEUTH_GO names one instead (`none`: no toolchain)."""
    forced = os.environ.get("MAPSLEUTH_GO")
    if forced:
        return None if forced == "none" else forced
    def ver(p):
        m = re.search(r"go-1\.(\d+)", p)
        return int(m.group(1)) if m else -1
    found = sorted(glob.glob("/usr/lib/go-1.*/bin/go"), key=ver)
    if found:
        return found[-1]
    return shutil.which("go")


# ---- no vacuous pass (tests/lib/mstestlib.py) ------------------------------
_guard = mstestlib.MinPassed("MAPSLEUTH_GDB_MIN_PASSED")
pytest_runtest_logreport = _guard.pytest_runtest_logreport
pytest_sessionfinish = _guard.pytest_sessionfinish
