"""mapsleuth: explain a Go program's map crash from its core file, or from a
process a debugger holds.

    import mapsleuth
    report = mapsleuth.analyze("core", exe="./server")
    report.fault.kind        # 'concurrent_map_writes'
    report.map.type          # 'map[string]int'
    report.key.value         # 'ap-south/sprocket-1ek'
    report.racers[0].goroutine
    print(report.to_text())  # what `mapsleuth CORE` prints
    report.to_json()         # what `mapsleuth CORE --format json` prints

Results mirror the CLI's JSON (schema ``mapsleuth.report/1``) with
attribute access; see ``records``. Errors raise ``mapsleuth.Error``:
``InputError`` for bad input (not a core, wrong executable...; ``.file``),
``MemoryFault`` for memory the target does not provide (``.address``).
"""

from ._mapsleuth import Error, InputError, MemoryFault  # noqa: F401
from ._mapsleuth import register_names, register_number  # noqa: F401
from . import _mapsleuth
from .records import (Goroutine, Goroutines, Info, Record, Report,  # noqa: F401
                      Stack)

__version__ = "0.1.0"
__all__ = ["analyze", "analyze_log", "is_crash_log", "open", "open_process",
           "analyze_process", "Session",
           "Report", "Info", "Goroutines", "Goroutine", "Stack", "Record",
           "Error", "InputError", "MemoryFault", "register_names",
           "register_number"]



class Session:
    """One analyzed process: a core file and its executable
    (``mapsleuth.open``) or a process held by a host
    (``mapsleuth.open_process``). The Go runtime model is read on first
    use and kept."""

    def __init__(self, impl):
        self._impl = impl

    @property
    def arch(self):
        """GOARCH of the executable: 'amd64' or 'arm64'."""
        return self._impl.arch

    @property
    def description(self):
        return self._impl.description

    def info(self):
        """What the core and the executable are (``mapsleuth info``)."""
        return Info(self._impl.info())

    def analyze(self):
        """The map fault: a Report (``mapsleuth analyze``)."""
        return Report(self._impl.analyze())

    def goroutines_report(self, stacks=False, only=None):
        """Goroutines and threads as ``mapsleuth goroutines`` reports them;
        with their stacks when ``stacks`` (only those goroutine ids in
        ``only`` when given)."""
        return Goroutines(self._impl.goroutines(bool(stacks), list(only or [])))

    def goroutines(self):
        """Every live goroutine: Goroutine records with ``id`` (also
        ``goroutine``), ``status``, ``thread``, ``user_frame``,
        ``created_by``..."""
        return self.goroutines_report().goroutines

    def stack(self, goid):
        """One goroutine's stack: a Stack (``frames``, innermost first)."""
        r = self._impl.goroutines(True, [int(goid)])
        s = r.stack(int(goid))
        if s is None:
            raise Error("goroutine %d has no stack in the report" % goid)
        return Stack(s)

    def stacks(self):
        """Every goroutine with its ``stack``: Goroutine records."""
        return self.goroutines_report(stacks=True).goroutines

    def thread_stack(self, tid, registers):
        """The stack of thread ``tid`` unwound from ``registers`` (a mapping
        of register names, see ``register_names``, to values): for
        debuggers that read registers one thread at a time."""
        return Stack(self._impl.thread_stack(int(tid), registers))

    def __repr__(self):
        return "<mapsleuth.Session %s (%s)>" % (self.description, self.arch)


def open(core, exe=None, force=False):
    """A Session over a core file (plain, .zst or .xz). Without ``exe`` the
    executable is the one the core's NT_FILE note names. ``force`` accepts
    an executable that does not match the core (a warning in reports)."""
    return Session(_mapsleuth._Session.open_core(
        _path(core), None if exe is None else _path(exe), bool(force)))


def analyze(core, exe=None, force=False):
    """The map fault in a core file: a Report. Same arguments as ``open``."""
    return open(core, exe, force).analyze()


def analyze_log(log, exe=None, force=False):
    """The map fault in a crash log (the Go runtime's fatal output: captured
    stderr, a journal, a container log): a Report, as ``mapsleuth analyze
    LOG`` gives. Without ``exe`` only what the text says (no types).
    ``force`` accepts an executable the log's frames do not match."""
    return Report(_mapsleuth._analyze_log(
        _path(log), None if exe is None else _path(exe), bool(force)))


def is_crash_log(path):
    """Whether the file is text holding a Go crash (what batch finds)."""
    return _mapsleuth._is_crash_log(_path(path))


def open_process(exe, read_memory, threads, *, pid=0, signal=None,
                 load_bias=None, auxv=None, files=None, description=None,
                 cache=True):
    """A Session over a process that a host (a debugger) holds stopped.

    exe          path of the executable (plain, .zst or .xz).
    read_memory  callable(address, size) -> bytes (any buffer) or None.
                 None, fewer bytes, or an exception mean the memory is
                 unreadable: the library reports a MemoryFault naming the
                 address, never zeros. Called with the GIL held.
    threads      [{"tid": 7, "registers": {"rip": ..., "rsp": ...,
                 "fs_base": ...}, "crashed": True, "signal": 6}, ...]:
                 register names as debuggers spell them (register_names()
                 lists the useful ones); the thread that stopped on the
                 fatal signal has "crashed" (default: the first).
    signal       the fatal signal: a number, or {"signo", "code", "addr",
                 "sender_pid"}.
    load_bias    where a PIE executable is loaded (else from auxv AT_ENTRY).
    auxv         {type: value} of the process's auxiliary vector.
    files        mapped files: [{"start", "end", "offset", "path"}].
    cache        reads are cached by page: the process must stay stopped
                 while the session is used.
    """
    return Session(_mapsleuth._open_process(
        _path(exe), read_memory, list(threads), pid=int(pid), signal=signal,
        load_bias=load_bias, auxv=auxv, files=files, description=description,
        cache=bool(cache)))


def analyze_process(exe, read_memory, threads, **kwargs):
    """The map fault of a process a host holds: a Report. Same arguments as
    ``open_process``."""
    return open_process(exe, read_memory, threads, **kwargs).analyze()


def _path(p):
    import os
    return os.fspath(p)
