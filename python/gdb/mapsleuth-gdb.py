# mapsleuth-gdb.py: mapsleuth inside gdb.
#
#   (gdb) source /path/to/mapsleuth/python/gdb/mapsleuth-gdb.py
#
# Analyzes whatever gdb has loaded, a core (`gdb EXE CORE`) or a live Go
# process stopped on its fatal signal, by reading memory and registers
# through gdb (never by re-opening the core file):
#
#   mapsleuth [--json]           the map fault, as `mapsleuth CORE` prints it;
#                                sets $mapsleuth_map, $mapsleuth_key and
#                                $mapsleuth_goroutine
#   mapsleuth goroutines         one line per goroutine, then the threads
#   mapsleuth stack [ID...|all]  stacks (default: the faulting goroutine)
#   mapsleuth unwinder [auto|switches|all|off|debug]
#
# It also installs a frame unwinder for Go's stack switches so that gdb's
# `bt` continues past runtime.systemstack (and morestack, asmcgocall) into
# the goroutine's own frames. See USAGE.md.
#
# The plugin finds the mapsleuth Python module by itself: $MAPSLEUTH_PYTHONPATH
# if set, the installed package relative to an installed copy of this file,
# the build tree next to this file's source tree (build/python, then other
# build*/python), then Python's own sys.path.

import glob
import os
import sys

import gdb
import gdb.unwinder
from gdb.FrameDecorator import FrameDecorator

# Filled in by `cmake --install` in the installed copy of this file: the
# package directory relative to the directory holding this file.
_INSTALLED_PACKAGE_DIR = "@MAPSLEUTH_INSTALLED_PACKAGE_DIR@"

_MASK64 = (1 << 64) - 1


def _module_candidates():
    here = os.path.dirname(os.path.realpath(__file__))
    cands = []
    env = os.environ.get("MAPSLEUTH_PYTHONPATH")
    if env:
        cands += [p for p in env.split(os.pathsep) if p]
    if not _INSTALLED_PACKAGE_DIR.startswith("@"):
        cands.append(os.path.join(here, _INSTALLED_PACKAGE_DIR))
    top = os.path.dirname(os.path.dirname(here))  # python/gdb -> source tree
    cands.append(os.path.join(top, "build", "python"))
    others = glob.glob(os.path.join(top, "build*", "python"))
    others.sort(key=lambda p: -os.path.getmtime(p))
    cands += others
    cands.append(os.path.dirname(here))  # a copy in build/python/gdb/
    cands.append(os.path.join(here, "..", "..", "..", "lib", "python3", "dist-packages"))
    seen, out = set(), []
    for c in cands:
        c = os.path.normpath(c)
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


def _import_mapsleuth():
    tried = []
    for c in _module_candidates():
        pkg = os.path.join(c, "mapsleuth")
        if not glob.glob(os.path.join(pkg, "_mapsleuth*.so")):
            tried.append(c)
            continue
        sys.path.insert(0, c)
        try:
            import mapsleuth
        except ImportError as e:
            sys.path.remove(c)
            tried.append("%s (%s)" % (c, e))
            continue
        return mapsleuth
    try:
        import mapsleuth
        return mapsleuth
    except ImportError:
        pass
    raise gdb.GdbError(
        "mapsleuth: cannot find the mapsleuth Python module (built for Python "
        "%d.%d). Build it (scripts/build.sh, or cmake + ninja: it lands in "
        "BUILD/python) or install it (cmake --install), or point "
        "MAPSLEUTH_PYTHONPATH at the directory holding mapsleuth/. Looked in: %s"
        % (sys.version_info[0], sys.version_info[1], ", ".join(tried)))


mapsleuth = _import_mapsleuth()

_GOARCH = {"i386:x86-64": "amd64", "aarch64": "arm64"}


def _goarch():
    name = gdb.selected_inferior().architecture().name()
    if name not in _GOARCH:
        raise gdb.GdbError("mapsleuth: unsupported architecture %s" % name)
    return _GOARCH[name]


class _Regs:
    """Register names of an architecture as the library wants them."""

    def __init__(self, goarch):
        self.names = mapsleuth.register_names(goarch)
        num = {n: mapsleuth.register_number(goarch, n) for n in self.names}
        pcn, spn = mapsleuth.register_number(goarch, "pc"), mapsleuth.register_number(goarch, "sp")
        self.pc = next(n for n in self.names if num[n] == pcn)
        self.sp = next(n for n in self.names if num[n] == spn)


def _read_registers(frame, names):
    regs = {}
    for n in names:
        try:
            regs[n] = int(frame.read_register(n)) & _MASK64
        except (gdb.error, ValueError, TypeError):
            pass
    return regs


def _read_memory(addr, size):
    # A gdb.Membuf (a buffer), or gdb.MemoryError: unreadable for mapsleuth.
    return gdb.selected_inferior().read_memory(addr, size)


_SECTION = None  # compiled on first use


def _sections():
    """gdb's sections, by object: [(kind, start, end, has_contents)] with
    kind "core" for the core file's segments, "file" for the sections of
    the files gdb loaded (executable, shared libraries, vDSO)."""
    global _SECTION
    import re
    if _SECTION is None:
        _SECTION = re.compile(r"^\s*\[\s*\d+\]\s+(0x[0-9a-f]+)->(0x[0-9a-f]+)\s+at\s+"
                              r"0x[0-9a-f]+:\s+(\S+)\s*(.*)$")
    try:
        text = gdb.execute("maint info sections -all-objects", to_string=True)
    except gdb.error:
        return None
    out, kind = [], None
    for line in text.splitlines():
        if line.startswith("Core file:"):
            kind = "core"
            continue
        if line.startswith(("Exec file:", "Object file:")):
            kind = "file"
            continue
        m = _SECTION.match(line)
        if not m or kind is None:
            continue
        flags = m.group(4).split()
        if "ALLOC" not in flags:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        if end > start:
            out.append((kind, start, end, "HAS_CONTENTS" in flags))
    return out


class _CoreMemory:
    """Reads of a core through gdb that never turn into zeros.

    gdb serves a core's memory from the core's segments, then from the
    files the core's NT_FILE note names, then from the files gdb loaded,
    and last reads the segments the kernel did not save (p_filesz 0:
    read-only file mappings, reserved heap) as zeros. When the files of the
    crash are absent (the core analysed on another machine), a read that
    crosses a gap between the executable's sections falls through to those
    zeros, and memory the core never had reads as zeros too. So: a read is
    split at the boundaries of the ranges gdb really has (the core's saved
    segments, the sections of loaded files), each piece is read on its own,
    and a piece that only an unsaved segment covers is unreadable."""

    def __init__(self, sections):
        import bisect
        self._bisect = bisect
        # Sweep the boundaries: in each elementary interval, count the ranges
        # gdb has and the unsaved core segments that cover it.
        events = {}
        for kind, lo, hi, contents in sections:
            if not contents and kind != "core":
                continue
            d = (1, 0) if contents else (0, 1)
            for p, sign in ((lo, 1), (hi, -1)):
                a, b = events.get(p, (0, 0))
                events[p] = (a + sign * d[0], b + sign * d[1])
        self._starts, self._ends, self._ok = [], [], []
        have = holes = 0
        points = sorted(events)
        for lo, hi in zip(points, points[1:]):
            have += events[lo][0]
            holes += events[lo][1]
            if have or holes:
                self._starts.append(lo)
                self._ends.append(hi)
                self._ok.append(have > 0)

    def read(self, addr, size):
        inf = gdb.selected_inferior()
        end = addr + size
        if end > 1 << 64:
            raise gdb.MemoryError("range wraps around the address space")
        parts, cur = [], addr
        while cur < end:
            i = self._bisect.bisect_right(self._starts, cur) - 1
            if i >= 0 and cur < self._ends[i]:
                if not self._ok[i]:
                    raise gdb.MemoryError(
                        "0x%x: not saved in the core, and no file gdb loaded "
                        "holds it" % cur)
                stop = min(end, self._ends[i])
            else:
                # Nothing gdb knows of: let gdb say what it can (registers of
                # a remote target, a live process's memory, or an error).
                stop = self._starts[i + 1] if i + 1 < len(self._starts) else end
                stop = min(end, stop)
            parts.append(bytes(inf.read_memory(cur, stop - cur)))
            cur = stop
        return parts[0] if len(parts) == 1 else b"".join(parts)


def _memory_reader(inf):
    """read_memory(addr, size) for the library: gdb's own for a live
    process, the checked one over a core."""
    conn = getattr(inf, "connection", None)
    if conn is None or conn.type != "core":
        return _read_memory
    sections = _sections()
    if not sections:
        return _read_memory
    return _CoreMemory(sections).read


def _output_words(command):
    """The lines of what the gdb COMMAND prints, each split into words;
    none when gdb refuses it (no process, no core)."""
    try:
        text = gdb.execute(command, to_string=True)
    except gdb.error:
        return []
    return [line.split() for line in text.splitlines()]


def _auxv():
    out = {}
    for parts in _output_words("info auxv"):
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        for tok in parts[1:]:
            if tok.startswith("0x"):
                try:
                    out[int(parts[0])] = int(tok, 16)
                except ValueError:
                    pass
                break
        else:
            if parts[-1].isdigit():
                out[int(parts[0])] = int(parts[-1])
    return out


def _mapped_files():
    files = []
    for parts in _output_words("info proc mappings"):
        if len(parts) < 5 or not parts[0].startswith("0x"):
            continue
        try:
            start, end, _, offset = (int(p, 16) for p in parts[:4])
        except ValueError:
            continue
        rest = parts[4:]
        if rest and len(rest[0]) == 4 and set(rest[0]) <= set("rwxsp-"):
            rest = rest[1:]  # the Perms column of live processes
        path = " ".join(rest)
        if path.startswith("/"):
            files.append({"start": start, "end": end, "offset": offset, "path": path})
    return files


def _siginfo():
    try:
        si = gdb.parse_and_eval("$_siginfo")
        sig = {"signo": int(si["si_signo"]), "code": int(si["si_code"]),
               "errno": int(si["si_errno"])}
        if sig["code"] <= 0:
            sig["sender_pid"] = int(si["_sifields"]["_kill"]["si_pid"])
        elif sig["signo"] in (4, 5, 7, 8, 11):  # SIGILL TRAP BUS FPE SEGV
            sig["addr"] = int(si["_sifields"]["_sigfault"]["si_addr"]) & _MASK64
        return sig
    except (gdb.error, RuntimeError):
        return None


class _State:
    """What mapsleuth knows about the current stop: sessions and, per
    thread, the unwinder's plan. Forgotten whenever the inferior runs,
    memory or registers change, or objfiles come and go."""

    def __init__(self):
        self.generation = 0
        self.busy = False          # collecting registers: unwinder off
        self.mode = "auto"
        self.debug = False
        self.stop_thread = None    # ptid of the thread that reported the stop
        self.stop_signal = None
        self.reset()

    def reset(self, *_):
        self.generation += 1
        self.full = None           # a Session with every thread
        self.light = None          # a Session the unwinder opened
        self.plans = {}            # (inferior num, ptid) -> _Plan
        self.go_exe = {}           # path -> bool
        self.report = None

    def on_stop(self, event):
        self.reset()
        try:
            self.stop_thread = gdb.selected_thread().ptid
        except gdb.error:
            self.stop_thread = None
        self.stop_signal = getattr(event, "stop_signal", None)

    def exe(self):
        path = gdb.current_progspace().filename
        if not path:
            raise gdb.GdbError("mapsleuth: no executable loaded; use `file EXE`")
        return path

    def is_go(self, path):
        if path not in self.go_exe:
            try:
                s = mapsleuth.open_process(path, lambda a, n: None,
                                           [{"tid": 1, "registers": {"pc": 0, "sp": 0}}])
                self.go_exe[path] = bool(s.info().executable.go_version)
            except mapsleuth.Error:
                self.go_exe[path] = False
        return self.go_exe[path]

    def description(self, inf):
        kind = "process"
        conn = getattr(inf, "connection", None)
        if conn is not None and conn.type == "core":
            kind = "core of process"
        return "%s %d (through gdb)" % (kind, inf.pid)

    def session(self):
        """A session over every thread, for the commands."""
        if self.full is not None:
            return self.full
        inf = gdb.selected_inferior()
        if not inf.pid:
            raise gdb.GdbError("mapsleuth: no process or core file is loaded")
        exe = self.exe()
        regs = _Regs(_goarch())
        selected = gdb.selected_thread()
        try:
            frame = gdb.selected_frame()
            frame_level = frame.level()
        except gdb.error:
            frame_level = 0
        crashed = self.crashed_thread(inf)
        threads, signal = [], None
        self.busy = True
        try:
            for t in sorted(inf.threads(), key=lambda t: t.num):
                t.switch()
                entry = {"tid": t.ptid[1] or t.ptid[0],
                         "registers": _read_registers(gdb.newest_frame(), regs.names),
                         "crashed": t.ptid == crashed.ptid}
                if t.ptid == crashed.ptid:
                    signal = _siginfo()
                threads.append(entry)
        finally:
            if selected is not None and selected.is_valid():
                selected.switch()
            self.busy = False
            gdb.invalidate_cached_frames()
            try:
                if frame_level:
                    gdb.execute("frame %d" % frame_level, to_string=True)
            except gdb.error:
                pass
        if signal is None and self.stop_signal:
            signo = _SIGNALS.get(self.stop_signal)
            if signo:
                signal = signo
        threads.sort(key=lambda e: not e["crashed"])
        self.full = mapsleuth.open_process(
            exe, _memory_reader(inf), threads, pid=inf.pid, signal=signal,
            auxv=_auxv(), files=_mapped_files(), description=self.description(inf))
        return self.full

    def crashed_thread(self, inf):
        threads = inf.threads()
        if self.stop_thread is not None:
            for t in threads:
                if t.ptid == self.stop_thread:
                    return t
        # A core: gdb numbers first the thread the kernel wrote first, the
        # one that took the signal.
        return min(threads, key=lambda t: t.num)

    # ---- the unwinder's side -------------------------------------------------
    def plan(self, pending):
        """The plan for the thread being unwound (None: leave it to gdb)."""
        thread = gdb.selected_thread()
        if thread is None:
            return None
        key = (thread.inferior.num, thread.ptid)
        plan = self.plans.get(key)
        if pending.level() != 0:
            return plan
        # The innermost frame: its registers are the thread's.
        exe = self.exe()
        if not self.is_go(exe):
            return None
        regs = _Regs(_goarch())
        values = _read_registers(pending, regs.names)
        if plan is not None and plan.registers == values:
            return plan
        tid = thread.ptid[1] or thread.ptid[0]
        # Remember failures too: every frame 0 of this stop would retry.
        self.plans[key] = _Plan({"frames": []}, values, regs, "off", None)
        sess = self.full or self.light
        if sess is None:
            inf = thread.inferior
            self.light = mapsleuth.open_process(
                exe, _memory_reader(inf), [{"tid": tid, "registers": values, "crashed": True}],
                pid=inf.pid, auxv=_auxv(), description=self.description(inf))
            sess = self.light
        stack = sess.thread_stack(tid, values)
        mode = self.mode
        if mode == "auto":
            mode = "switches" if sess.info().executable.dwarf else "all"
        plan = _Plan(stack.to_dict(), values, regs, mode, _gdb_knows_signal_frame)
        self.plans[key] = plan
        return plan


_SIGNALS = {"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5,
            "SIGABRT": 6, "SIGBUS": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10,
            "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13, "SIGALRM": 14,
            "SIGTERM": 15}


def _gdb_knows_signal_frame(handler_entry_sp):
    """Does gdb recognize the signal trampoline runtime.sigtramp returns to?
    handler_entry_sp is where mapsleuth says the handler's frame ends: its
    SP at entry, where the kernel left the trampoline's address. On amd64
    gdb takes a function for the trampoline only if its name contains
    "sigaction" (Go names it runtime.sigreturn__sigaction since go1.20 for
    that reason; before, it was runtime.sigreturn). On arm64 gdb matches
    the trampoline's instructions."""
    if _goarch() != "amd64":
        return True
    try:
        ra = int.from_bytes(bytes(_read_memory(handler_entry_sp, 8)), "little")
        block = gdb.current_progspace().block_for_pc(ra)
        while block is not None and block.function is None:
            block = block.superblock
        name = block.function.name if block is not None else None
    except (gdb.error, RuntimeError):
        return False
    return name is not None and "sigaction" in name


class _FrameId:
    # gdb 13 wants gdb.Values here (later versions also take ints).
    def __init__(self, sp, pc, special):
        self.sp, self.pc, self.special = gdb.Value(sp), gdb.Value(pc), gdb.Value(special)


class _Step:
    """How to unwind one physical frame: its frame id and its caller's
    registers."""

    def __init__(self, frame_id, caller):
        self.frame_id, self.caller = frame_id, caller


class _Plan:
    """For one thread at one stop: which frames the unwinder answers for,
    from mapsleuth's stack of the thread.

    gdb unwinds Go code itself with the DWARF CFI the Go linker emits, but
    it cannot follow a stack switch (runtime.systemstack, morestack,
    asmcgocall: the caller is on another stack). The unwinder answers for
    those frames. One more obstacle: gdb stops a backtrace when the frame
    ids of two adjacent normal frames go backwards ("previous frame inner
    to this frame"), which a switch from g0 to a goroutine stack below it
    does. gdb skips that check for a frame whose callee is the innermost
    frame's sentinel, a signal trampoline or an inlined call, so the
    unwinder also answers for the frames before the switch back to the
    nearest such frame, and gives them ids no higher than the far side of
    the switch. A frame id's stack address is also what gdb takes as the
    frame's CFA for DWARF variable locations, so each keeps its real CFA
    when that fits (argument values would be wrong otherwise). gdb keeps
    every other frame, with its DWARF view of arguments and locals. In mode
    "all" (the default for executables without DWARF, where gdb has no
    CFI) the unwinder answers for every frame, ids kept in order."""

    def __init__(self, stack, registers, regs, mode, knows_signal_frame):
        self.registers = registers
        self.steps = {}
        self.frames = {}   # (pc, sp as gdb sees it) -> frame, for the frame filter
        frames = []
        inlined = []
        for f in stack["frames"]:
            if f["inlined"]:
                inlined.append(f)
                continue
            pc = int(f["pc"], 16)
            frames.append({
                "pc": pc, "sp": int(f["sp"], 16),
                "fp": int(f["fp"], 16) if f.get("fp") else 0,
                "entry": pc - int(f["offset"], 16) if f.get("offset") else pc,
                "how": f["how"], "registers": f.get("registers") or {},
                "function": f["function"], "file": f["file"], "line": f["line"],
                "inlined": inlined, "inline_before": bool(inlined), "shifted": False})
            inlined = []
        n = len(frames)
        if n < 2 or mode == "off":
            return
        # The SP gdb sees in each frame: a caller found with the pclntab
        # frame size starts where its callee's frame ends (mapsleuth shows
        # runtime.systemstack at the goroutine's SP, where its caller runs).
        for i, f in enumerate(frames):
            prev = frames[i - 1] if i else None
            f["gdb_sp"] = (prev["fp"] if prev and f["how"] == "pclntab" and prev["fp"]
                           else f["sp"])
            f["cfa"] = f["fp"] or f["gdb_sp"]
            self.frames[(f["pc"], f["gdb_sp"])] = f

        def claim(i, id_sp):
            f, c = frames[i], frames[i + 1]
            caller = {name: int(v, 16) for name, v in c["registers"].items()}
            caller[regs.pc] = c["pc"]
            caller[regs.sp] = c["gdb_sp"]
            self.steps[(f["pc"], f["gdb_sp"])] = _Step(
                _FrameId(id_sp, f["entry"], f["gdb_sp"]), caller)
            f["shifted"] = id_sp != f["cfa"]

        if mode == "all":
            id_sp = 0
            for i in range(n - 1):
                id_sp = max(id_sp, frames[i]["cfa"])
                claim(i, id_sp)
            return

        # Mode "switches". Where gdb itself finds a signal frame it shows
        # its "<signal handler called>" frame: leave those to it.
        gdb_sigframe = [i > 0 and f["how"] == "signal context"
                        and knows_signal_frame(frames[i - 1]["cfa"])
                        for i, f in enumerate(frames)]

        def needs_us(i):
            f, prev, nxt = frames[i], frames[i - 1] if i else None, frames[i + 1]
            rewritten = (prev is not None and f["how"] == "pclntab" and prev["fp"]
                         and f["sp"] != prev["fp"])
            return (nxt["how"] == "stack switch" or rewritten
                    or (nxt["how"] == "signal context" and not gdb_sigframe[i + 1]))

        boundary = 0     # gdb compares no ids between this frame and its callee
        last = None      # (index, id stack address) of the last claimed frame
        for i in range(n - 1):
            f = frames[i]
            if gdb_sigframe[i] or f["inline_before"]:
                boundary = i
            if not needs_us(i):
                continue
            ceiling = frames[i + 1]["gdb_sp"]  # gdb's id of the caller is above
            start, floor = boundary, 0
            if last is not None and last[0] >= start:
                start, floor = last[0] + 1, last[1]
            if ceiling < floor:
                continue  # gdb's ids cannot be kept in order: leave it to gdb
            id_sp = floor
            for j in range(start, i + 1):
                id_sp = max(id_sp, min(frames[j]["cfa"], ceiling))
                claim(j, id_sp)
            last = (i, id_sp)

    def step(self, pc, sp):
        return self.steps.get((pc, sp))

    def frame(self, pc, sp):
        return self.frames.get((pc, sp))


class _GoUnwinder(gdb.unwinder.Unwinder):
    """Unwinds Go's stack switches with mapsleuth's unwinder (see _Plan)."""

    def __init__(self):
        super().__init__("mapsleuth-go")
        self.types = {}

    def __call__(self, pending):
        if _state.busy or _state.mode == "off":
            return None
        try:
            return self.unwind(pending)
        except Exception as e:  # never break gdb's own unwinding
            if _state.debug:
                gdb.write("mapsleuth unwinder: %s: %s\n" % (type(e).__name__, e))
            return None

    def unwind(self, pending):
        plan = _state.plan(pending)
        if plan is None:
            return None
        regs = _Regs(_goarch())
        pc = int(pending.read_register(regs.pc)) & _MASK64
        sp = int(pending.read_register(regs.sp)) & _MASK64
        step = plan.step(pc, sp)
        if step is None:
            return None
        info = pending.create_unwind_info(step.frame_id)
        for name, value in step.caller.items():
            t = self.types.get(name)
            if t is None:
                t = pending.read_register(name).type
                self.types[name] = t
            info.add_saved_register(name, gdb.Value(value).cast(t))
        if _state.debug:
            gdb.write("mapsleuth unwinder: frame #%d pc=%#x sp=%#x -> pc=%#x sp=%#x\n" % (
                pending.level(), pc, sp, step.caller[regs.pc], step.caller[regs.sp]))
        return info


class _Named(FrameDecorator):
    """A frame shown with mapsleuth's view where gdb lacks one: names from
    the pclntab for executables without symbols, and no arguments for a
    frame whose id the unwinder had to shift (gdb takes a frame id's stack
    address for the frame's CFA, so the values it would print are wrong)."""

    def __init__(self, base, frame, named):
        super().__init__(base)
        self._f = frame
        self._named = named

    def function(self):
        if self._named:
            return self._f["function"]
        return super().function()

    def filename(self):
        if self._named:
            return self._f["file"] or None
        return super().filename()

    def line(self):
        if self._named:
            return self._f["line"] or None
        return super().line()

    def frame_args(self):
        if self._f["shifted"]:
            return None
        return super().frame_args()

    def frame_locals(self):
        if self._f["shifted"]:
            return None
        return super().frame_locals()

    def elided(self):
        if self._named and self._f["inlined"]:
            return [_Inlined(self.inferior_frame(), f) for f in self._f["inlined"]]
        return super().elided()


class _Inlined(FrameDecorator):
    """A call mapsleuth's pclntab shows inlined in a frame gdb cannot name."""

    def __init__(self, frame, f):
        super().__init__(frame)
        self._f = f

    def function(self):
        return self._f["function"] + " (inlined)"

    def address(self):
        return None

    def filename(self):
        return self._f["file"] or None

    def line(self):
        return self._f["line"] or None

    def frame_args(self):
        return None

    def frame_locals(self):
        return None

    def elided(self):
        return None


class _Unknown(FrameDecorator):
    def function(self):
        return "??"


class _FrameFilter:
    """Decorates frames of `bt` with mapsleuth's knowledge (see _Named)."""

    def __init__(self):
        self.name = "mapsleuth"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        return map(self.decorate, frames)

    def decorate(self, fd):
        try:
            frame = fd.inferior_frame()
            if frame.type() == gdb.INLINE_FRAME:
                return fd
            thread = gdb.selected_thread()
            plan = _state.plans.get((thread.inferior.num, thread.ptid))
            f = None
            if plan is not None:
                regs = _Regs(_goarch())
                f = plan.frame(frame.pc(), int(frame.read_register(regs.sp)) & _MASK64)
            named = frame.name() is None
            if f is None:
                # gdb's default decorator prints an unnamed frame as "in  ()".
                return _Unknown(fd) if named and frame.type() == gdb.NORMAL_FRAME else fd
            if named or f["shifted"]:
                return _Named(fd, f, named)
        except (gdb.error, RuntimeError, ValueError):
            pass
        return fd


def _typed_pointer(addr, type_names):
    for name in type_names:
        if not name:
            continue
        try:
            return gdb.Value(addr).cast(gdb.lookup_type(name).pointer())
        except gdb.error:
            continue
    return gdb.Value(addr).cast(gdb.lookup_type("void").pointer())


def _set_convenience(report):
    shown = []
    m = report.map
    if m is not None:
        impl = {"swiss": "internal/runtime/maps.Map", "hmap": "runtime.hmap"}.get(m.impl)
        v = _typed_pointer(int(m.address, 16), [impl])
        gdb.set_convenience_variable("mapsleuth_map", v)
        shown.append("$mapsleuth_map = (%s) %s" % (v.type, m.address))
    k = report.key
    if k is not None:
        val = k.value
        v = None
        if isinstance(val, bool) or isinstance(val, (int, float, str)):
            v = gdb.Value(val)
            shown.append("$mapsleuth_key = %s" % (k.go or repr(val)))
        elif k.address:
            v = _typed_pointer(int(k.address, 16), [k.type, k.dynamic_type])
            shown.append("$mapsleuth_key = (%s) %s (%s)" % (v.type, k.address, k.go))
        if v is not None:
            gdb.set_convenience_variable("mapsleuth_key", v)
    g = report.fault.goroutine
    if g is not None:
        gdb.set_convenience_variable("mapsleuth_goroutine", g)
        shown.append("$mapsleuth_goroutine = %d" % g)
    if shown:
        gdb.write("\n" + "\n".join(shown) + "\n")


def _run(fn):
    try:
        return fn()
    except mapsleuth.Error as e:
        raise gdb.GdbError("mapsleuth: %s" % e)


class _MapsleuthCommand(gdb.Command):
    """Explain the Go map fault of the program gdb has loaded.

Usage: mapsleuth [--json]
Reads memory and registers through gdb: works on a core file (gdb EXE CORE)
and on a live process stopped on its fatal signal. Prints what
`mapsleuth CORE` prints and sets $mapsleuth_map (the map header),
$mapsleuth_key (the key, or its address) and $mapsleuth_goroutine.

Subcommands: mapsleuth goroutines, mapsleuth stack, mapsleuth unwinder."""

    def __init__(self):
        super().__init__("mapsleuth", gdb.COMMAND_STACK, prefix=True)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        if args and args[0] == "analyze":
            args = args[1:]
        if args not in ([], ["--json"]):
            raise gdb.GdbError("mapsleuth: unknown arguments %s (see help mapsleuth)"
                               % " ".join(args))
        sess = _run(_state.session)
        report = _run(sess.analyze)
        _state.report = report
        if args == ["--json"]:
            gdb.write(report.to_json() + "\n")
        else:
            gdb.write(report.to_text())
        _set_convenience(report)


class _GoroutinesCommand(gdb.Command):
    """One line per goroutine, then the threads (as `mapsleuth goroutines`).

Usage: mapsleuth goroutines [--json]"""

    def __init__(self):
        super().__init__("mapsleuth goroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        r = _run(lambda: _state.session().goroutines_report())
        gdb.write(r.to_json() + "\n" if "--json" in args else r.to_text())


class _StackCommand(gdb.Command):
    """Goroutine stacks as mapsleuth unwinds them.

Usage: mapsleuth stack [ID...|all] [--json]
Without ID, the goroutine that was running on the thread that took the
signal; `all` for every goroutine and the threads running none."""

    def __init__(self):
        super().__init__("mapsleuth stack", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        as_json = "--json" in args
        args = [a for a in args if a != "--json"]
        sess = _run(_state.session)
        if args == ["all"]:
            r = _run(lambda: sess.goroutines_report(stacks=True))
        else:
            try:
                ids = [int(a) for a in args]
            except ValueError:
                raise gdb.GdbError("mapsleuth stack: goroutine ids or `all`, not %s"
                                   % " ".join(args))
            if not ids:
                faulting = _run(sess.goroutines_report).faulting_goroutine
                if faulting is None:
                    raise gdb.GdbError("mapsleuth stack: no goroutine was running on "
                                       "the thread that stopped; give an id or `all`")
                ids = [faulting]
            r = _run(lambda: sess.goroutines_report(stacks=True, only=ids))
        gdb.write(r.to_json() + "\n" if as_json else r.stacks_text())


class _UnwinderCommand(gdb.Command):
    """Control mapsleuth's unwinder for Go stack switches.

Usage: mapsleuth unwinder [auto|switches|all|off|debug|nodebug]
  switches  answer only where gdb cannot unwind (stack switches)
  all       answer for every frame mapsleuth knows
  auto      `all` for executables without DWARF, else `switches` (default)
  off       leave every frame to gdb"""

    def __init__(self):
        super().__init__("mapsleuth unwinder", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        a = arg.strip()
        if a in ("auto", "switches", "all", "off"):
            _state.mode = a
        elif a in ("debug", "nodebug"):
            _state.debug = a == "debug"
        elif a:
            raise gdb.GdbError("mapsleuth unwinder: auto, switches, all, off, debug or nodebug")
        _state.reset()
        gdb.invalidate_cached_frames()
        gdb.write("mapsleuth unwinder: %s%s\n" % (_state.mode, ", debug" if _state.debug else ""))


def _install():
    global _state
    _state = _State()
    for name in ("cont", "exited", "new_objfile", "clear_objfiles", "memory_changed",
                 "register_changed", "inferior_call", "new_inferior"):
        reg = getattr(gdb.events, name, None)
        if reg is not None:
            reg.connect(_state.reset)
    gdb.events.stop.connect(_state.on_stop)
    _MapsleuthCommand()
    _GoroutinesCommand()
    _StackCommand()
    _UnwinderCommand()
    gdb.unwinder.register_unwinder(None, _GoUnwinder(), replace=True)
    _FrameFilter()
    gdb.invalidate_cached_frames()
    gdb.write("mapsleuth %s loaded from %s: commands mapsleuth, mapsleuth goroutines, "
              "mapsleuth stack; Go stack-switch unwinder on\n"
              % (mapsleuth.__version__, os.path.dirname(os.path.dirname(
                  os.path.abspath(mapsleuth.__file__)))))


_install()
