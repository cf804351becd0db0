#!/usr/bin/python3
"""mapsleuth benchmark: wall time, CPU time and peak memory of mapsleuth and,
side by side in the same run, of Delve doing the equivalent, on the
committed corpus of real Go crash cores and optionally on a large core made
by bench/make_large_core.sh.

Debian's /usr/bin/python3, standard library only. See bench/README.md.

    bench/run.py                         # whole corpus, 5 timed runs each
    bench/run.py --only 'go1.26-*' --runs 3
    bench/run.py --no-corpus --large     # the large core only
    bench/run.py --callgrind go1.26-default/strkeys

Each measured run is a fresh child process. Wall time is taken around
fork/exec/wait; CPU time and peak RSS come from that child's own rusage
(os.wait4), so no external `time` is needed.
"""

import argparse
import datetime
import fnmatch
import json
import math
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "corpus"
HERE = pathlib.Path(__file__).resolve().parent


# ---------------------------------------------------------------------------
# What is measured. One Command per measured mapsleuth subcommand, with the
# Delve init script that does the equivalent. To measure another command,
# add one line to COMMANDS. A command the mapsleuth binary does not have
# (not listed in `mapsleuth --help`) is skipped with a note.
#
# delve(ctx) returns the lines of Delve's init script (`exit` is appended),
# or None when there is no equivalent for this core. ctx holds what earlier
# commands learned about the core (see Ctx).
# ---------------------------------------------------------------------------

class Command:
    def __init__(self, name, args, delve, what, unit="goroutines"):
        self.name = name        # mapsleuth subcommand, and the table's label
        self.args = args        # mapsleuth arguments before CORE --exe EXE
        self.delve = delve      # ctx -> [init script lines] | None
        self.what = what        # one line for the README/RESULTS
        self.unit = unit        # what both tools list, compared per core


def delve_map_frame_args(ctx):
    """For `analyze`: Delve prints the faulting goroutine's map frame's
    arguments and locals (the closest it comes to naming the map and key)."""
    if ctx.faulting is None or ctx.delve_map_frame is None:
        return None
    g, k = ctx.faulting, ctx.delve_map_frame
    return ["goroutine %d frame %d args" % (g, k),
            "goroutine %d frame %d locals" % (g, k)]


COMMANDS = [
    Command("stack", ["stack", "--all", "--format", "json"],
            lambda ctx: ["goroutines -t %d" % MAX_FRAMES],
            "every goroutine's stack (mapsleuth also unwinds idle threads) "
            "vs Delve `goroutines -t`"),
    Command("goroutines", ["goroutines", "--format", "json"],
            lambda ctx: ["goroutines"],
            "the goroutine list vs Delve `goroutines`"),
    Command("info", ["info", "--format", "json"],
            lambda ctx: ["threads"],
            "core/executable summary vs Delve loading the core and listing "
            "`threads`", unit="threads"),
    Command("analyze", ["analyze", "--format", "json"], delve_map_frame_args,
            "map-fault diagnosis vs Delve printing the map frame's args and "
            "locals", unit=None),
]

MAX_FRAMES = 1024  # mapsleuth's Unwinder::MaxFrames; Delve's depth to match
# Functions that end a complete goroutine stack (runtime funcFlag_TOPFRAME).
TOP_FRAMES = {"runtime.goexit", "runtime.mstart", "runtime.mstart0",
              "runtime.rt0_go", "runtime.morestack", "runtime.mcall",
              "runtime.systemstack_switch", "runtime.asmcgocall"}


class Ctx:
    """What is known about a core while its commands are measured."""

    def __init__(self):
        self.faulting = None   # goroutine id that took the signal
        self.map_frame = None  # index of its map frame in mapsleuth's stack
        self.delve_map_frame = None  # the same frame in Delve's numbering

    def learn_delve(self, cmd, text):
        """Delve numbers frames its own way (it folds some of the signal
        frames): find the faulting goroutine's map frame in its stack."""
        if cmd != "stack" or self.faulting is None:
            return
        inside = False
        for line in ANSI.sub("", text).splitlines():
            m = DLV_GOROUTINE.match(line)
            if m:
                inside = int(m.group(1)) == self.faulting
                continue
            m = DLV_FRAME_N.match(line)
            if inside and m and is_map_function(m.group(2)):
                self.delve_map_frame = int(m.group(1))
                return

    def learn(self, cmd, mapsleuth_json):
        if not isinstance(mapsleuth_json, dict):
            return
        if mapsleuth_json.get("faulting_goroutine") is not None:
            self.faulting = mapsleuth_json["faulting_goroutine"]
        if cmd == "stack" and self.faulting is not None:
            for g in mapsleuth_json.get("goroutines", []):
                if g.get("goroutine") != self.faulting:
                    continue
                frames = (g.get("stack") or {}).get("frames", [])
                for i, f in enumerate(frames):
                    if is_map_function(f.get("function", "")):
                        self.map_frame = i
                        break


def is_map_function(name):
    # As fixtures/README.md defines map-implementation frames.
    if name.startswith("internal/runtime/maps."):
        return not re.search(r"\.(fatal|newarray|newobject|typedmemmove|"
                             r"typedmemclr|rand)$", name)
    return bool(re.match(r"runtime\.(map|evacuate|growWork|hashGrow|"
                         r"makeBucketArray|\(\*hmap\))", name))


# ---------------------------------------------------------------------------
# Counting what each tool produced, so that "faster" is not "did less".
# ---------------------------------------------------------------------------

def count_mapsleuth(text):
    try:
        j = json.loads(text)
    except ValueError as e:
        return {"parse_error": str(e)[:200]}, None
    c = {}
    if "goroutines" in j:
        gs = j["goroutines"]
        c["goroutines"] = len(gs)
        stacks = [g["stack"] for g in gs if g.get("stack")]
        if stacks:
            c["frames"] = sum(len(s["frames"]) for s in stacks)
            c["complete_stacks"] = sum(1 for s in stacks if s.get("complete"))
            c["stack_warnings"] = sum(len(s.get("warnings", [])) for s in stacks)
        ths = j.get("threads", [])
        c["threads"] = len(ths)
        tstacks = [t["stack"] for t in ths if t.get("stack")]
        if tstacks:
            c["thread_stacks"] = len(tstacks)
            c["thread_frames"] = sum(len(s["frames"]) for s in tstacks)
    core = j.get("core")
    if isinstance(core, dict) and "threads" in core:
        t = core["threads"]
        c.setdefault("threads", len(t) if isinstance(t, list) else t)
    if "map_fault" in j:  # analyze: what it recovered
        mp, key = j.get("map") or {}, j.get("key") or {}
        c["map_found"] = int(mp.get("address") is not None)
        c["key_found"] = int(key.get("value") is not None)
    c["warnings"] = len(j.get("warnings", []))
    return c, j


ANSI = re.compile(r"\x1b\[[0-9;]*m")
DLV_GOROUTINE = re.compile(r"^\*?\s*Goroutine (\d+) - ")
DLV_FRAME = re.compile(r"^\s+\d+\s+0x[0-9a-f]+ in (\S+)")
DLV_FRAME_N = re.compile(r"^\s+(\d+)\s+0x[0-9a-f]+ in (\S+)")
DLV_VALUE = re.compile(r"^(\w+) = (.*)")
DLV_THREAD = re.compile(r"^\*?\s*Thread \d+ at ")
DLV_FOOTER = re.compile(r"^\[(\d+) goroutines\]")
DLV_SCRIPT_ERROR = re.compile(r"^\S+\.dlv:\d+: (.*)")


def count_delve(text):
    text = ANSI.sub("", text)
    c = {"goroutines": 0, "frames": 0, "complete_stacks": 0, "threads": 0}
    errors = []
    last_fn = None
    in_stack = False

    def close():
        if in_stack and last_fn in TOP_FRAMES:
            c["complete_stacks"] += 1

    for line in text.splitlines():
        if DLV_GOROUTINE.match(line):
            close()
            c["goroutines"] += 1
            in_stack, last_fn = True, None
            continue
        m = DLV_FRAME.match(line)
        if m:
            c["frames"] += 1
            last_fn = m.group(1)
            continue
        if DLV_THREAD.match(line):
            c["threads"] += 1
            continue
        m = DLV_FOOTER.match(line)
        if m:
            c["listed"] = int(m.group(1))
            continue
        m = DLV_VALUE.match(line)
        if m:
            c["values"] = c.get("values", 0) + 1
            if m.group(2).startswith("(unreadable"):
                c["unreadable"] = c.get("unreadable", 0) + 1
            continue
        m = DLV_SCRIPT_ERROR.match(line)
        if m:
            errors.append(m.group(1))
        elif line.startswith("Warning:") or line.startswith("error"):
            errors.append(line)
    close()
    if not c["frames"]:
        del c["frames"], c["complete_stacks"]
    if errors:
        c["errors"] = errors[:5]
    return c


# ---------------------------------------------------------------------------
# Running one child and measuring it.
# ---------------------------------------------------------------------------

TIME = "/usr/bin/time"  # Debian's `time` package (GNU time)


def run_child(argv, out_path, err_path, timeout, env=None, cwd=None):
    """Runs argv once with stdin from /dev/null, stdout/stderr to files.
    Returns wall seconds, CPU seconds (user+sys), peak RSS (KiB), minor
    faults and the exit code (negative: killed by that signal; None: timed
    out).

    Peak RSS: a child forked from this Python process inherits its RSS
    high-water mark (Linux keeps ru_maxrss across exec), so after this
    process has parsed a 100 MB output every child would report at least
    that. GNU time forks the tool from its own small process and reports
    that grandchild's ru_maxrss, which is the tool's alone."""
    rss_file = str(err_path) + ".time"
    wrapped = argv
    if os.access(TIME, os.X_OK):
        wrapped = [TIME, "-q", "-o", rss_file, "-f", "%M %U %S %R %F"] + argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=err, env=env, cwd=cwd)
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.kill(p.pid, 9)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc  # reaped here; keep Popen from waiting again
    r = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
         "rss_kib": ru.ru_maxrss, "minflt": ru.ru_minflt,
         "majflt": ru.ru_majflt, "rc": None if timed_out else rc,
         "rss_from": "wait4 (includes the bench's own RSS at fork)"}
    if wrapped is not argv:
        try:
            with open(rss_file) as f:
                last = f.read().strip().splitlines()[-1].split()
            # CPU stays from wait4: it includes the waited-for tool, to the
            # microsecond; GNU time prints hundredths.
            r.update({"rss_kib": int(last[0]),
                      "minflt": int(last[3]), "majflt": int(last[4]),
                      "rss_from": "GNU time"})
            os.unlink(rss_file)
        except (OSError, ValueError, IndexError):
            pass
        if rc == 127 and not timed_out and not os.path.exists(argv[0]):
            r["rc"] = 127
    return r


def tail(path, n=400):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


class Tool:
    def __init__(self, name):
        self.name = name

    def argv(self, cmd, case, script):
        raise NotImplementedError


class Mapsleuth(Tool):
    def __init__(self, path):
        super().__init__("mapsleuth")
        self.path = path

    def argv(self, cmd, case, script):
        return [self.path] + cmd.args + [case["core_path"], "--exe",
                                         case["exe_path"]]


class Delve(Tool):
    def __init__(self, path, workdir):
        super().__init__("delve")
        self.path = path
        self.env = dict(os.environ)
        # A config of its own, so a user's ~/.config/dlv does not change
        # what is measured.
        cfg = workdir / "dlv-config"
        cfg.mkdir(parents=True, exist_ok=True)
        self.env["XDG_CONFIG_HOME"] = str(cfg)
        self.env["TERM"] = "dumb"

    def argv(self, cmd, case, script):
        return [self.path, "core", case["exe_path"], case["core_path"],
                "--init", script, "--allow-non-terminal-interactive=true",
                "--check-go-version=false"]


def measure(tool, cmd, case, ctx, runs, warmup, workdir, timeout, script_lines):
    """Warm-up run(s), then `runs` timed runs, all fresh processes. Returns
    one result dict; counts come from the last run's output."""
    stem = "%s.%s.%s" % (case["slug"], cmd.name, tool.name)
    out_path = workdir / (stem + ".out")
    err_path = workdir / (stem + ".err")
    script = None
    if script_lines is not None:
        script = workdir / (stem + ".dlv")
        script.write_text("\n".join(script_lines + ["exit"]) + "\n")
        script = str(script)
    argv = tool.argv(cmd, case, script)
    env = getattr(tool, "env", None)
    samples = []
    res = {"argv": argv}
    for i in range(warmup + runs):
        s = run_child(argv, out_path, err_path, timeout, env=env)
        if s["rc"] != 0:
            res["rc"] = s["rc"]
            res["error"] = ("timed out after %ds" % timeout if s["rc"] is None
                            else tail(err_path) or tail(out_path))
            break
        if i >= warmup:
            samples.append(s)
    if samples:
        walls = [s["wall"] for s in samples]
        res.update({
            "rc": 0,
            "runs": len(samples),
            "wall_s": [round(w, 6) for w in walls],
            "wall_best_s": round(min(walls), 6),
            "wall_median_s": round(statistics.median(walls), 6),
            "cpu_median_s": round(statistics.median(s["cpu"] for s in samples), 6),
            "rss_peak_kib": max(s["rss_kib"] for s in samples),
            "rss_median_kib": int(statistics.median(s["rss_kib"] for s in samples)),
            "minflt_median": int(statistics.median(s["minflt"] for s in samples)),
            "rss_from": samples[0]["rss_from"],
            "output_bytes": out_path.stat().st_size,
        })
    text = out_path.read_text(errors="replace") if out_path.exists() else ""
    if tool.name == "mapsleuth":
        counts, j = count_mapsleuth(text) if res.get("rc") == 0 else ({}, None)
        if j is not None:
            ctx.learn(cmd.name, j)
    else:
        counts = count_delve(text + "\n" + tail(err_path, 4000))
        if res.get("rc") == 0:
            ctx.learn_delve(cmd.name, text)
        if counts.get("errors") and "error" not in res:
            res["notes"] = counts["errors"]
    res["counts"] = counts
    return res


# ---------------------------------------------------------------------------
# The corpus, decompressed once into the cache.
# ---------------------------------------------------------------------------

def corpus_cases(patterns, limit):
    index = json.loads((CORPUS / "index.json").read_text())
    cases = []
    for e in index["cases"]:
        if patterns and not any(fnmatch.fnmatch(e["case"], p) for p in patterns):
            continue
        truth = json.loads((CORPUS / e["truth"]).read_text())
        cases.append({
            "case": e["case"], "slug": e["case"].replace("/", "_"),
            "label": e["case"].split("/")[0],
            "go_version": e["go_version"], "variant": e["variant"],
            "scenario": e["scenario"], "map_impl": e["map_impl"],
            "core_src": CORPUS / e["core"], "exe_src": CORPUS / e["exe"],
            "core_size": truth.get("core_size", 0),
            "truth_goroutines": len({t["goroutine"] for t in truth.get("traceback", [])
                                     if t.get("goroutine") is not None}),
            "stripped": truth.get("stripped"),
        })
    if limit:
        cases = cases[:limit]
    return cases


def stamp_of(src):
    st = src.stat()
    return "%d %d" % (st.st_size, st.st_mtime_ns)


def unpack(src, dst, kind):
    """Decompresses src (zstd or xz) to dst unless dst is up to date."""
    stamp = dst.with_name(dst.name + ".stamp")
    if dst.exists() and stamp.exists() and stamp.read_text() == stamp_of(src):
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    if kind == "zstd":
        # (sparse: a Go core is mostly zero pages)
        subprocess.run(["zstd", "-q", "-d", "-f", "--sparse", str(src), "-o",
                        str(tmp)], check=True)
    else:
        with open(tmp, "wb") as f:
            subprocess.run(["xz", "-d", "-c", str(src)], stdout=f, check=True)
    if kind == "xz":
        tmp.chmod(0o755)
    tmp.replace(dst)
    stamp.write_text(stamp_of(src))
    return True


def prepare_corpus(cases, cache):
    need = 0
    for c in cases:
        core = cache / "corpus" / c["case"] / "core"
        if not core.exists():
            need += c["core_size"] or 48 << 20
    free = shutil.disk_usage(cache).free
    if need and need + (1 << 30) > free:
        sys.exit("bench: error: decompressing the corpus needs %d MiB in %s; "
                 "%d MiB free (use --cache or --only)" % (need >> 20, cache,
                                                         free >> 20))
    n = 0
    for c in cases:
        core = cache / "corpus" / c["case"] / "core"
        # go1.X-VARIANT/exe.xz -> .../go1.X-VARIANT/exe; a case with its own
        # executable (go1.X-VARIANT/SCENARIO/exe.xz) gets its own copy.
        exe = cache / "corpus" / c["exe_src"].relative_to(CORPUS).with_suffix("")
        n += unpack(c["core_src"], core, "zstd")
        n += unpack(c["exe_src"], exe, "xz")
        c["core_path"], c["exe_path"] = str(core), str(exe)
    return n


def prepare_large(args, cache):
    d = pathlib.Path(args.large_dir) if args.large_dir else cache / "large"
    if not args.large_dir and not args.no_make:
        cmd = [str(HERE / "make_large_core.sh"), "--out", str(d)]
        if args.large_goroutines:
            cmd += ["--goroutines", str(args.large_goroutines)]
        if args.large_heapmb:
            cmd += ["--heapmb", str(args.large_heapmb)]
        r = subprocess.run(cmd)
        if r.returncode != 0:
            sys.exit("bench: error: make_large_core.sh failed (status %d)" % r.returncode)
    core, exe = d / "core", d / "exe"
    if not core.exists() or not exe.exists():
        sys.exit("bench: error: no core/exe in %s (run bench/make_large_core.sh)" % d)
    meta = {}
    if (d / "meta.json").exists():
        meta = json.loads((d / "meta.json").read_text())
    return {"case": "large", "slug": "large", "label": "large",
            "go_version": meta.get("go"), "variant": "default",
            "scenario": "largeprog", "map_impl": "swiss",
            "core_path": str(core), "exe_path": str(exe),
            "core_size": core.stat().st_size,
            "core_allocated": core.stat().st_blocks * 512,
            "truth_goroutines": meta.get("traceback_goroutines"),
            "meta": meta}


# ---------------------------------------------------------------------------
# The machine and the versions.
# ---------------------------------------------------------------------------

def first_line(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        out = (p.stdout or p.stderr).strip().splitlines()
        return " ".join(out[:3]) if out else ""
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unavailable (%s)" % e


def machine_info(mapsleuth, dlv):
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%d MiB" % (int(line.split()[1]) // 1024)
    except OSError:
        pass
    build = {}
    cache = pathlib.Path(mapsleuth).resolve().parent.parent / "CMakeCache.txt"
    if cache.exists():
        for line in cache.read_text().splitlines():
            for key in ("CMAKE_BUILD_TYPE", "CMAKE_CXX_COMPILER",
                        "MAPSLEUTH_SANITIZE"):
                if line.startswith(key + ":"):
                    build[key] = line.split("=", 1)[1]
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": mem,
        "loadavg_start": os.getloadavg(),
        "python": sys.version.split()[0],
        "mapsleuth": mapsleuth,
        "mapsleuth_version": first_line([mapsleuth, "--version"]),
        "mapsleuth_build": build,
        "git": first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]),
    }
    if build.get("CMAKE_CXX_COMPILER"):
        info["compiler"] = first_line([build["CMAKE_CXX_COMPILER"], "--version"]).split("Copyright")[0].strip()
    if dlv:
        info["delve"] = dlv
        info["delve_version"] = first_line([dlv, "version"])
    return info


def delve_version_tuple(text):
    m = re.search(r"Version: (\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(x) for x in m.groups()) if m else None


def mapsleuth_commands(path):
    p = subprocess.run([path, "--help"], capture_output=True, text=True)
    text = p.stdout + p.stderr
    return {c.name for c in COMMANDS if re.search(r"^\s+%s\b" % c.name, text, re.M)}


# ---------------------------------------------------------------------------
# Callgrind: a repeatable instruction count.
# ---------------------------------------------------------------------------

def callgrind(mapsleuth, case, workdir, cmd_args):
    vg = shutil.which("valgrind")
    if not vg:
        return {"error": "valgrind not installed (apt-get install valgrind)"}
    out = workdir / ("callgrind.%s.out" % case["slug"])
    argv = [vg, "--tool=callgrind", "--callgrind-out-file=%s" % out,
            mapsleuth] + cmd_args + [case["core_path"], "--exe", case["exe_path"]]
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        return {"error": p.stderr[-400:]}
    ir = None
    for line in out.read_text(errors="replace").splitlines():
        if line.startswith("summary:") or line.startswith("totals:"):
            ir = int(line.split()[1])
    top = []
    ann = shutil.which("callgrind_annotate")
    if ann:
        a = subprocess.run([ann, "--inclusive=no", str(out)], capture_output=True,
                           text=True)
        for line in a.stdout.splitlines():
            m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$", line)
            if m and len(top) < 15:
                top.append({"ir": int(m.group(1).replace(",", "")),
                            "percent": float(m.group(2)),
                            "function": m.group(3)[:160]})
    return {"case": case["case"], "command": " ".join(cmd_args),
            "instructions": ir, "seconds_under_valgrind": round(secs, 1),
            "valgrind": first_line([vg, "--version"]), "out_file": str(out),
            "top_self": top[1:] if top and "PROGRAM TOTALS" in top[0]["function"] else top}


# ---------------------------------------------------------------------------
# Summaries and tables.
# ---------------------------------------------------------------------------

def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * q
    f, c = math.floor(k), math.ceil(k)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def unit_of(cmd):
    return next((c.unit for c in COMMANDS if c.name == cmd), None)


def did_work(r, tool):
    """The tool exited 0 and listed something (Delve on a stripped
    executable exits 0 having found no goroutines: that is not a run to
    compare times with)."""
    t = r.get(tool) or {}
    if t.get("rc") != 0:
        return False
    unit = unit_of(r["command"])
    return unit is None or bool(t.get("counts", {}).get(unit))


def both_ok(r):
    return did_work(r, "mapsleuth") and did_work(r, "delve")


def ratio(r, key="wall_median_s"):
    if both_ok(r) and r["mapsleuth"].get(key):
        return r["delve"][key] / r["mapsleuth"][key]
    return None


def summarize(rows, cmd, group=None):
    unit = unit_of(cmd)
    sel = [r for r in rows if r["command"] == cmd and (group is None or group(r))]
    ms = [r["mapsleuth"] for r in sel if did_work(r, "mapsleuth")]
    dl = [r["delve"] for r in sel if did_work(r, "delve")]
    ratios = [x for x in (ratio(r) for r in sel) if x]
    cpu_ratios = [x for x in (ratio(r, "cpu_median_s") for r in sel) if x]
    s = {"command": cmd, "cores": len(sel),
         "mapsleuth_ok": len(ms),
         "mapsleuth_failed": len(sel) - len(ms),
         "delve_ran": sum(1 for r in sel if r.get("delve") and "rc" in r["delve"]),
         "delve_ok": len(dl),
         "delve_exit0_but_empty": sum(1 for r in sel if (r.get("delve") or {}).get("rc") == 0
                                      and not did_work(r, "delve"))}
    for tool, worked in (("mapsleuth", ms), ("delve", dl)):
        if worked:
            w = [t["wall_median_s"] for t in worked]
            rss = [t["rss_peak_kib"] for t in worked]
            s.update({tool + "_wall_median_s": statistics.median(w),
                      tool + "_wall_p90_s": pct(w, 0.9),
                      tool + "_wall_max_s": max(w),
                      tool + "_cpu_median_s": statistics.median(t["cpu_median_s"] for t in worked),
                      tool + "_rss_median_kib": int(statistics.median(rss)),
                      tool + "_rss_max_kib": max(rss)})
    if ratios:
        s.update({"ratio_median": statistics.median(ratios),
                  "ratio_geomean": geomean(ratios),
                  "ratio_min": min(ratios), "ratio_max": max(ratios),
                  "cpu_ratio_median": statistics.median(cpu_ratios) if cpu_ratios else None})
    # Did they do the same work?
    both = [r for r in sel if r["mapsleuth"].get("rc") == 0
            and (r.get("delve") or {}).get("rc") == 0]
    if both and unit:
        key = unit
        s["unit"] = unit
        s["same_count"] = sum(
            1 for r in both
            if r["mapsleuth"]["counts"].get(key) == r["delve"]["counts"].get(key))
        s["compared"] = len(both)
        mf = [r for r in both if "frames" in r["mapsleuth"]["counts"]]
        if mf:
            s["frames_mapsleuth"] = sum(r["mapsleuth"]["counts"]["frames"] for r in mf)
            s["frames_delve"] = sum(r["delve"]["counts"].get("frames", 0) for r in mf)
            s["complete_mapsleuth"] = sum(r["mapsleuth"]["counts"].get("complete_stacks", 0) for r in mf)
            s["complete_delve"] = sum(r["delve"]["counts"].get("complete_stacks", 0) for r in mf)
            s["delve_no_stacks"] = sum(1 for r in mf if not r["delve"]["counts"].get("frames"))
    return s


def ms_(x):
    return "-" if x is None else ("%.0f" % (x * 1000) if x >= 10 else "%.1f" % (x * 1000))


def mib(k):
    return "-" if k is None else "%.0f" % (k / 1024)


def fmt_ratio(x):
    return "-" if not x else "%.1f×" % x


def row_table(rows):
    """Per core and command: the full table (markdown pipe table)."""
    head = ("| core | cmd | mapsleuth median ms | best ms | CPU ms | peak RSS MiB "
            "| listed | frames | Delve median ms | best ms | CPU ms | peak RSS MiB "
            "| listed | frames | Delve/mapsleuth | notes |")
    out = [head, "|" + "---|" * 16]
    units = {c.name: c.unit for c in COMMANDS}
    for r in rows:
        m, d = r["mapsleuth"], r.get("delve") or {}
        unit = units.get(r["command"]) or "-"
        mc, dc = m.get("counts", {}), d.get("counts", {})
        notes = []
        if m.get("rc") not in (0, None):
            notes.append("mapsleuth rc=%s: %s" % (m["rc"], m.get("error", "")[:80]))
        if d.get("rc") not in (0, None):
            notes.append("Delve rc=%s: %s" % (d["rc"], d.get("error", "")[:80]))
        for n in d.get("notes", [])[:1]:
            notes.append("Delve: " + n[:80])
        if r.get("delve_skipped"):
            notes.append(r["delve_skipped"])
        cells = [r["case"], r["command"],
                 ms_(m.get("wall_median_s")), ms_(m.get("wall_best_s")),
                 ms_(m.get("cpu_median_s")),
                 mib(m.get("rss_peak_kib")), "%s %s" % (mc.get(unit, "-"), unit),
                 str(mc.get("frames", "-")),
                 ms_(d.get("wall_median_s")), ms_(d.get("wall_best_s")),
                 ms_(d.get("cpu_median_s")),
                 mib(d.get("rss_peak_kib")), str(dc.get(unit, "-")),
                 str(dc.get("frames", "-")), fmt_ratio(ratio(r)),
                 "; ".join(notes).replace("|", "/").replace("\n", " ")]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def summary_table(summaries, title="all"):
    head = ("| %s | cmd | cores | mapsleuth median ms | p90 ms | CPU ms | max RSS MiB "
            "| Delve ok | Delve median ms | p90 ms | CPU ms | max RSS MiB "
            "| wall ratio median | geomean | CPU ratio median | same count | frames mapsleuth/Delve "
            "| complete stacks mapsleuth/Delve |" % title)
    out = [head, "|" + "---|" * 18]
    for s in summaries:
        cells = [s.get("group", "all"), s["command"], str(s["cores"]),
                 ms_(s.get("mapsleuth_wall_median_s")), ms_(s.get("mapsleuth_wall_p90_s")),
                 ms_(s.get("mapsleuth_cpu_median_s")),
                 mib(s.get("mapsleuth_rss_max_kib")),
                 "%d/%d" % (s["delve_ok"], s["delve_ran"]),
                 ms_(s.get("delve_wall_median_s")), ms_(s.get("delve_wall_p90_s")),
                 ms_(s.get("delve_cpu_median_s")),
                 mib(s.get("delve_rss_max_kib")),
                 fmt_ratio(s.get("ratio_median")), fmt_ratio(s.get("ratio_geomean")),
                 fmt_ratio(s.get("cpu_ratio_median")),
                 "%s/%s %s" % (s.get("same_count", "-"), s.get("compared", "-"), s.get("unit", "")),
                 "%s/%s" % (s.get("frames_mapsleuth", "-"), s.get("frames_delve", "-")),
                 "%s/%s" % (s.get("complete_mapsleuth", "-"), s.get("complete_delve", "-"))]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def arch_pairs(rows):
    """mapsleuth on each arm64 core beside the amd64 core of the same
    program (Go version, build variant, scenario): go1.X-arm64-V/S against
    go1.X-V/S. One row per command: pairs, and the arm64/amd64 ratio of
    wall and CPU medians (median, max)."""
    by_key = {(r["case"], r["command"]): r for r in rows
              if did_work(r, "mapsleuth")}
    out = []
    for cmd in sorted({r["command"] for r in rows}):
        wall, cpu, worst = [], [], None
        for (case, c), r in by_key.items():
            if c != cmd or "-arm64-" not in case.split("/")[0]:
                continue
            twin = by_key.get((case.replace("-arm64-", "-", 1), cmd))
            if not twin:
                continue
            a, b = r["mapsleuth"], twin["mapsleuth"]
            w = a["wall_median_s"] / b["wall_median_s"]
            wall.append(w)
            cpu.append(a["cpu_median_s"] / max(b["cpu_median_s"], 1e-6))
            if worst is None or w > worst[0]:
                worst = (w, case)
        if wall:
            out.append({"command": cmd, "pairs": len(wall),
                        "wall_ratio_median": statistics.median(wall),
                        "wall_ratio_geomean": geomean(wall),
                        "wall_ratio_max": worst[0], "worst_case": worst[1],
                        "cpu_ratio_median": statistics.median(cpu)})
    return out


def arch_table(pairs):
    out = ["| cmd | pairs | arm64/amd64 wall median | geomean | max (case) "
           "| CPU median |", "|" + "---|" * 6]
    for p in pairs:
        out.append("| %s | %d | %.2f | %.2f | %.2f (%s) | %.2f |" % (
            p["command"], p["pairs"], p["wall_ratio_median"],
            p["wall_ratio_geomean"], p["wall_ratio_max"], p["worst_case"],
            p["cpu_ratio_median"]))
    return "\n".join(out)


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mapsleuth", default=os.environ.get("MAPSLEUTH_BIN"),
                    help="mapsleuth binary (default: $MAPSLEUTH_BIN, else "
                         "build-bench/, build/ under the repo)")
    ap.add_argument("--dlv", default=os.environ.get("DLV"),
                    help="Delve binary (default: $DLV, else dlv on PATH)")
    ap.add_argument("--no-delve", action="store_true", help="measure mapsleuth only")
    ap.add_argument("--cache", default=os.environ.get("MAPSLEUTH_BENCH_CACHE") or
                    os.path.join(os.environ.get("TMPDIR") or "/tmp", "mapsleuth-bench"),
                    help="where cores are decompressed and outputs kept "
                         "(default: $MAPSLEUTH_BENCH_CACHE or $TMPDIR/mapsleuth-bench)")
    ap.add_argument("--only", action="append", default=[], metavar="GLOB",
                    help="corpus cases matching GLOB (e.g. 'go1.26-*'; repeatable)")
    ap.add_argument("--limit", type=int, default=0, help="first N selected cases")
    ap.add_argument("--no-corpus", action="store_true", help="skip the corpus")
    ap.add_argument("--commands", default=None,
                    help="comma-separated subset of: " + ",".join(c.name for c in COMMANDS))
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool, command and core")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first (page cache)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per run")
    ap.add_argument("--large", action="store_true",
                    help="also the large core (made by make_large_core.sh when missing)")
    ap.add_argument("--large-dir", help="use the core/exe in this directory as the large core")
    ap.add_argument("--large-runs", type=int, default=3)
    ap.add_argument("--large-goroutines", type=int)
    ap.add_argument("--large-heapmb", type=int)
    ap.add_argument("--no-make", action="store_true",
                    help="do not run make_large_core.sh; use what the cache holds")
    ap.add_argument("--callgrind", metavar="CASE", default="go1.26-default/strkeys",
                    help="corpus case to run once under callgrind ('' to skip)")
    ap.add_argument("--callgrind-large", action="store_true",
                    help="also run callgrind once on the large core (slow)")
    ap.add_argument("--out", help="also write the JSON results here")
    args = ap.parse_args()

    cache = pathlib.Path(args.cache).resolve()
    if str(cache).startswith(str(ROOT) + os.sep):
        sys.exit("bench: error: the cache %s is inside the repository" % cache)
    cache.mkdir(parents=True, exist_ok=True)

    mapsleuth = args.mapsleuth
    if not mapsleuth:
        for cand in ("build-bench", "build"):
            p = ROOT / cand / "cli" / "mapsleuth"
            if p.exists():
                mapsleuth = str(p)
                break
    if not mapsleuth or not os.access(mapsleuth, os.X_OK):
        sys.exit("bench: error: no mapsleuth binary (build it, or pass --mapsleuth)")
    mapsleuth = str(pathlib.Path(mapsleuth).resolve())

    dlv = None
    delve_note = None
    if not args.no_delve:
        dlv = args.dlv or shutil.which("dlv")
        if dlv and not os.access(dlv, os.X_OK):
            sys.exit("bench: error: Delve at %s is not executable" % dlv)
        if not dlv:
            delve_note = "Delve not found (set $DLV or put dlv on PATH): mapsleuth only"
            print("bench: " + delve_note, file=sys.stderr)

    info = machine_info(mapsleuth, dlv)
    if not os.access(TIME, os.X_OK):
        print("bench: warning: no %s (bench/setup.sh installs Debian's `time`): "
              "peak RSS then includes this script's own RSS at fork" % TIME,
              file=sys.stderr)
    info["rss_measured_by"] = TIME if os.access(TIME, os.X_OK) else "os.wait4"
    if dlv:
        v = delve_version_tuple(info.get("delve_version", ""))
        if v and v < (1, 25, 0):
            delve_note = ("Delve %d.%d.%d cannot read cores of Go ≥ 1.25 (Debian's "
                          "delve is 1.24): expect failures there" % v)
            print("bench: " + delve_note, file=sys.stderr)
    info["delve_note"] = delve_note

    available = mapsleuth_commands(mapsleuth)
    wanted = [c for c in COMMANDS
              if args.commands is None or c.name in args.commands.split(",")]
    skipped = [c.name for c in wanted if c.name not in available]
    for n in skipped:
        print("bench: mapsleuth has no '%s' command: not measured" % n, file=sys.stderr)
    commands = [c for c in wanted if c.name in available]

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = cache / "runs" / stamp
    workdir.mkdir(parents=True)

    cases = []
    if not args.no_corpus:
        cases = corpus_cases(args.only, args.limit)
        if not cases:
            sys.exit("bench: error: no corpus case matches %s" % args.only)
        t0 = time.time()
        n = prepare_corpus(cases, cache)
        print("bench: %d cores in %s (%d files decompressed in %.0fs)" %
              (len(cases), cache / "corpus", n, time.time() - t0), file=sys.stderr)
    large = prepare_large(args, cache) if args.large else None

    tools = [Mapsleuth(mapsleuth)] + ([Delve(dlv, workdir)] if dlv else [])
    rows = []
    todo = [(c, args.runs) for c in cases] + ([(large, args.large_runs)] if large else [])
    t_start = time.time()
    for i, (case, runs) in enumerate(todo):
        ctx = Ctx()
        for cmd in commands:
            row = {"case": case["case"], "label": case["label"], "command": cmd.name,
                   "go_version": case["go_version"], "variant": case["variant"],
                   "scenario": case["scenario"], "core_size": case["core_size"]}
            for tool in tools:
                script = None
                if tool.name == "delve":
                    script = cmd.delve(ctx)
                    if script is None:
                        row["delve_skipped"] = "Delve: no equivalent for this core"
                        continue
                row[tool.name] = measure(tool, cmd, case, ctx, runs, args.warmup,
                                         workdir, args.timeout, script)
            rows.append(row)
            m, d = row["mapsleuth"], row.get("delve") or {}
            print("[%d/%d] %-32s %-10s mapsleuth %8s ms %6s MiB  delve %8s ms %6s MiB  %s" % (
                i + 1, len(todo), case["case"], cmd.name,
                ms_(m.get("wall_median_s")), mib(m.get("rss_peak_kib")),
                ms_(d.get("wall_median_s")), mib(d.get("rss_peak_kib")),
                fmt_ratio(ratio(row))), file=sys.stderr, flush=True)
    elapsed = time.time() - t_start
    info["loadavg_end"] = os.getloadavg()

    cg = []
    if args.callgrind:
        sel = [c for c in cases if c["case"] == args.callgrind]
        if not sel:
            sel = corpus_cases([args.callgrind], 0)
            if sel:
                prepare_corpus(sel, cache)
        if sel:
            for cmd in commands:
                if cmd.name in ("stack", "goroutines", "info"):
                    print("bench: callgrind: %s %s" % (cmd.name, sel[0]["case"]), file=sys.stderr)
                    cg.append(callgrind(mapsleuth, sel[0], workdir, cmd.args))
        else:
            cg.append({"error": "no corpus case %r" % args.callgrind})
    if args.callgrind_large and large:
        print("bench: callgrind: stack on the large core", file=sys.stderr)
        cg.append(callgrind(mapsleuth, large, workdir, ["stack", "--all", "--format", "json"]))

    summaries = [summarize(rows, c.name) for c in commands]
    corpus_rows = [r for r in rows if r["case"] != "large"]
    by_group = []
    for lbl in sorted({r["label"] for r in corpus_rows},
                      key=lambda s: (s.split("-")[0], s)):
        for c in commands[:1]:
            s = summarize(corpus_rows, c.name, lambda r, lbl=lbl: r["label"] == lbl)
            s["group"] = lbl
            by_group.append(s)
    corpus_summaries = [summarize(corpus_rows, c.name) for c in commands] if corpus_rows else []

    result = {"schema": "mapsleuth.bench/1", "machine": info,
              "settings": {"runs": args.runs, "warmup": args.warmup,
                           "large_runs": args.large_runs, "timeout_s": args.timeout,
                           "commands": [{"name": c.name, "mapsleuth": c.args,
                                         "delve": c.what} for c in commands],
                           "not_measured": skipped,
                           "delve_flags": "core EXE CORE --init SCRIPT "
                                          "--allow-non-terminal-interactive=true "
                                          "--check-go-version=false",
                           "cache": str(cache)},
              "elapsed_s": round(elapsed, 1),
              "summary": summaries, "corpus_summary": corpus_summaries,
              "by_group": by_group, "arch_pairs": arch_pairs(corpus_rows),
              "large": large and {k: v for k, v in large.items() if not k.endswith("_src")},
              "callgrind": cg, "rows": rows}
    res_json = workdir / "results.json"
    res_json.write_text(json.dumps(result, indent=1, default=str) + "\n")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps(result, indent=1, default=str) + "\n")

    text = []
    text.append("mapsleuth bench, %s, %s (%d CPUs), load %.1f→%.1f" % (
        info["date"], info["cpu"], info["cpus"], info["loadavg_start"][0],
        info["loadavg_end"][0]))
    text.append("mapsleuth: %s (%s)" % (info["mapsleuth_version"],
                                        info["mapsleuth_build"].get("CMAKE_BUILD_TYPE", "?")))
    text.append("delve: %s" % (info.get("delve_version") or delve_note or "not run"))
    text.append("runs: %d timed (+%d warm-up) per core; medians of per-core medians\n" %
                (args.runs, args.warmup))
    if corpus_summaries:
        text.append("## Corpus\n")
        text.append(summary_table(corpus_summaries))
        text.append("\n## %s by build\n" % commands[0].name)
        text.append(summary_table(by_group, "build"))
        pairs = result["arch_pairs"]
        if pairs:
            text.append("\n## mapsleuth on arm64 cores vs the same programs' "
                        "amd64 cores\n")
            text.append(arch_table(pairs))
    if large:
        text.append("\n## Large core (%d MiB, %d MiB on disk)\n" % (
            large["core_size"] >> 20, large["core_allocated"] >> 20))
        text.append(row_table([r for r in rows if r["case"] == "large"]))
    for c in cg:
        if c.get("instructions"):
            text.append("\ncallgrind: `mapsleuth %s` on %s: %s instructions" % (
                c["command"], c["case"], format(c["instructions"], ",")))
        elif c.get("error"):
            text.append("\ncallgrind: %s" % c["error"])
    summary_txt = "\n".join(text) + "\n"
    (workdir / "summary.md").write_text(summary_txt)
    (workdir / "table.md").write_text(row_table(rows) + "\n")
    print(summary_txt)
    print("bench: results in %s (results.json, summary.md, table.md); %.0fs" %
          (workdir, elapsed), file=sys.stderr)


if __name__ == "__main__":
    main()
