"""mapsleuth.analyze_process driven by callbacks, as a debugger drives it:
memory, threads and registers come from a core opened by the test's own
small ELF reader (elfcore.py), not by the library. The report must be the
one mapsleuth.analyze gives on the same core, except for what only a core
file knows (its path, size, mapped files; the build-id match)."""
import subprocess

import pytest

import elfcore
import mapsleuth
from conftest import SOME, SOME_IDS, case_paths, find_case

# elfcore reads x86-64 cores only.
SOME_AMD64 = [c for c in SOME if c[2].get("goarch", "amd64") == "amd64"]
SOME_AMD64_IDS = [c[0] for c in SOME_AMD64]


def without_core_file_facts(report):
    d = report.to_dict()
    d.pop("core")
    d["executable"].pop("match")
    return d


def process_of(case, unpack):
    _, case_dir, truth = case
    core, exe = case_paths(case_dir, truth)
    exe_file = unpack(exe)
    proc = elfcore.CoreProcess(unpack(core).read_bytes(), exe_file.read_bytes())
    return core, exe_file, proc


def analyze_via_callbacks(exe, proc, **kw):
    return mapsleuth.analyze_process(exe, proc.read_memory, proc.threads,
                                     pid=proc.pid, signal=proc.signal,
                                     auxv=proc.auxv, **kw)


@pytest.mark.parametrize("case", SOME_AMD64, ids=SOME_AMD64_IDS)
def test_analyze_process_equals_analyze(case, unpack):
    core, exe, proc = process_of(case, unpack)
    want = mapsleuth.analyze(core, exe=exe)
    got = analyze_via_callbacks(exe, proc)
    assert proc.reads > 0
    assert without_core_file_facts(got) == without_core_file_facts(want)
    assert got.core.pid == want.core.pid
    assert got.core.signal == want.core.signal
    assert got.core.crashed_thread == want.core.crashed_thread
    # The build id in the process's memory names this executable.
    assert got.executable.match.verdict == "match"
    assert got.executable.match.method in ("go build id", "gnu build id")


@pytest.mark.parametrize("case", SOME_AMD64, ids=SOME_AMD64_IDS)
def test_host_without_the_mapped_files(case, unpack):
    """A host that has only the core and reads what it did not save as
    zeros (gdb on a core whose mapped files are gone, the normal
    post-mortem situation): the executable's read-only segments come from
    the executable the library was given, and the report is the same."""
    core, exe, _ = process_of(case, unpack)
    _, case_dir, truth = case
    proc = elfcore.CoreProcess(unpack(case_paths(case_dir, truth)[0]).read_bytes(),
                               exe.read_bytes(), files_absent=True)
    assert proc.zeros, "the core saved every byte of every segment"
    want = mapsleuth.analyze(core, exe=exe)
    got = analyze_via_callbacks(exe, proc)
    assert without_core_file_facts(got) == without_core_file_facts(want)


def test_executable_of_another_build_is_refused(unpack):
    """The process's memory holds another build id than the executable's:
    an error naming both, not a report of garbage."""
    _, _, proc = process_of(find_case("go1.26-default/strkeys"), unpack)
    _, other_dir, other_truth = find_case("go1.22-default/strkeys")
    other = unpack(case_paths(other_dir, other_truth)[1])
    with pytest.raises(mapsleuth.InputError, match="does not match") as e:
        analyze_via_callbacks(other, proc)
    assert str(other) in str(e.value)


def test_without_cache_and_with_load_bias(unpack):
    case = find_case("go1.27-pie/strkeys")
    core, exe, proc = process_of(case, unpack)
    want = without_core_file_facts(mapsleuth.analyze(core, exe=exe))
    assert proc.load_bias != 0
    got = analyze_via_callbacks(exe, proc, cache=False)
    assert without_core_file_facts(got) == want
    # The load bias given explicitly instead of through the auxv.
    got = mapsleuth.analyze_process(exe, proc.read_memory, proc.threads,
                                    pid=proc.pid, signal=proc.signal,
                                    load_bias=proc.load_bias)
    assert without_core_file_facts(got) == want


@pytest.fixture(scope="module")
def strkeys(unpack):
    return process_of(find_case("go1.26-default/strkeys"), unpack)


def test_unreadable_memory_is_a_memory_fault_never_zeros(strkeys):
    """A callback that returns None, raises, or returns too few bytes for a
    word the analysis needs (runtime.allgs): a MemoryFault naming it."""
    _, exe, proc = strkeys
    nm = subprocess.run(["nm", str(exe)], capture_output=True, text=True).stdout
    allgs = next(int(line.split()[0], 16) for line in nm.splitlines()
                 if line.endswith(" runtime.allgs"))

    def hiding(give):
        def read(addr, size):
            if addr <= allgs < addr + size:
                return give(addr, size)
            return proc.read_memory(addr, size)
        return read

    for give in (lambda a, n: None, lambda a, n: 1 / 0,
                 lambda a, n: proc.read_memory(a, n)[:allgs - a]):
        for cache in (True, False):
            with pytest.raises(mapsleuth.MemoryFault, match="allgs") as e:
                mapsleuth.analyze_process(exe, hiding(give), proc.threads, cache=cache)
            assert e.value.address == allgs
            assert "0x%x" % allgs in str(e.value)
            assert isinstance(e.value, mapsleuth.Error)
    # Nothing readable at all: not a Go program as far as the library can see.
    with pytest.raises(mapsleuth.InputError, match="firstmoduledata"):
        mapsleuth.analyze_process(exe, lambda a, n: None, proc.threads)


def test_keyboard_interrupt_in_a_callback_propagates(strkeys):
    _, exe, proc = strkeys

    def interrupted(addr, size):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mapsleuth.analyze_process(exe, interrupted, proc.threads)


def test_memoryview_and_bytearray_results(strkeys):
    _, exe, proc = strkeys
    want = without_core_file_facts(analyze_via_callbacks(exe, proc))

    def as_view(addr, size):
        b = proc.read_memory(addr, size)
        return None if b is None else memoryview(bytearray(b))

    got = mapsleuth.analyze_process(exe, as_view, proc.threads, pid=proc.pid,
                                    signal=proc.signal)
    assert without_core_file_facts(got) == want


def test_bad_arguments(strkeys):
    _, exe, proc = strkeys
    with pytest.raises(TypeError):
        mapsleuth.open_process(exe, 42, proc.threads)
    with pytest.raises(ValueError, match="empty"):
        mapsleuth.open_process(exe, proc.read_memory, [])
    with pytest.raises(ValueError, match="tid"):
        mapsleuth.open_process(exe, proc.read_memory, [{"registers": {}}])
    with pytest.raises(ValueError, match="rip or rsp"):
        mapsleuth.open_process(exe, proc.read_memory, [{"tid": 1, "registers": {"rax": 1}}])
    with pytest.raises(mapsleuth.InputError):
        mapsleuth.open_process(exe.parent / "nonexistent", proc.read_memory, proc.threads)
    # Signed register values (as some debuggers give them) are taken mod 2**64.
    t = dict(proc.threads[0])
    t["registers"] = dict(t["registers"], rax=-1)
    s = mapsleuth.open_process(exe, proc.read_memory, [t] + proc.threads[1:])
    assert s.arch == "amd64" and "live process" in repr(s)
