"""Damaged inputs made from real cores and executables of the corpus: every
CLI command must end with status 0, 1 or 3 within a time bound, never die
by a signal; status 1 means exactly one stderr line `mapsleuth: error: `
naming the file; status 0 with --format json means parseable JSON.

The commands are one table (COMMANDS). The damages are tables too; each test
id names the damage (e.g. `core-trunc-in-notes-go1.22-default/strkeys`)."""
import json
import random
import struct
import subprocess

import pytest

from conftest import CORPUS, mapsleuth_bin

# Every CLI subcommand that exists, as (id, argv before CORE, argv after).
# Status 3 is reserved for `analyze` ("no map fault in this core").
COMMANDS = [
    ("info", ["info"], []),
    ("info-json", ["info"], ["--format", "json"]),
    ("info-force-json", ["info"], ["--force", "--format", "json"]),
    # Every goroutine unwound and reported (the runtime model end to end).
    ("stack-all-json", ["stack"], ["--all", "--format", "json"]),
    # The whole diagnosis (it unwinds every goroutine too, for racers).
    ("analyze-json", ["analyze"], ["--format", "json"]),
    ("analyze-force", ["analyze"], ["--force"]),
]
ALLOWED_STATUS = (0, 1, 3)
TIME_LIMIT = 20  # seconds, per run

# Real cases the damage starts from: non-PIE with symbols (classic maps),
# PIE (classic), stripped (swiss maps).
BASES = ["go1.22-default/strkeys", "go1.23-pie/u32rw", "go1.26-stripped/strkeys"]
# The full set of damages runs on the first; the others get a sample.
PRIMARY = BASES[0]


# ---- reading the pristine files ---------------------------------------------

_cache = {}


def unpack(path):
    if path not in _cache:
        tool = "zstd" if path.suffix == ".zst" else "xz"
        _cache[path] = subprocess.run([tool, "-dc", str(path)], check=True,
                                      capture_output=True).stdout
    return _cache[path]


def base_files(case):
    d = CORPUS / case
    return unpack(d / "core.zst"), unpack(d.parent / "exe.xz"), \
        json.loads((d / "truth.json").read_text())


class Elf:
    """Just enough ELF64 little-endian to find where to damage."""

    def __init__(self, b):
        self.b = b
        self.phoff, = struct.unpack_from("<Q", b, 32)
        self.shoff, = struct.unpack_from("<Q", b, 40)
        self.phnum, = struct.unpack_from("<H", b, 56)
        self.shnum, self.shstrndx = struct.unpack_from("<HH", b, 60)
        self.ph = [struct.unpack_from("<IIQQQQQQ", b, self.phoff + 56 * i)
                   for i in range(self.phnum)]

    def phdr_off(self, i):
        return self.phoff + 56 * i

    def loads(self):
        return [(i, p) for i, p in enumerate(self.ph) if p[0] == 1]

    def note_seg(self):
        for i, p in enumerate(self.ph):
            if p[0] == 4:
                return i, p[2], p[5]
        raise AssertionError("no PT_NOTE")

    def notes(self):
        """[(offset of header, namesz, descsz, type, name, desc offset)]"""
        _, off, size = self.note_seg()
        out, i = [], off
        while i + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", self.b, i)
            name = self.b[i + 12:i + 12 + namesz].rstrip(b"\0").decode("latin-1")
            d = i + 12 + ((namesz + 3) & ~3)
            out.append((i, namesz, descsz, ntype, name, d))
            i = d + ((descsz + 3) & ~3)
        return out

    def sections(self):
        out = []
        for i in range(self.shnum):
            out.append(struct.unpack_from("<IIQQQQIIQQ", self.b, self.shoff + 64 * i))
        stro = out[self.shstrndx][4] if self.shstrndx < len(out) else 0

        def name(s):
            e = self.b.index(b"\0", stro + s[0])
            return self.b[stro + s[0]:e].decode()
        return {name(s): (i, s) for i, s in enumerate(out)}

    def vaddr_to_off(self, va):
        for p in self.ph:
            if p[0] == 1 and p[3] <= va < p[3] + p[5]:
                return p[2] + va - p[3]
        return None

    def u64_at(self, va):
        o = self.vaddr_to_off(va)
        return None if o is None else struct.unpack_from("<Q", self.b, o)[0]


def thread_regs(core):
    """(rsp, fs_base) of each NT_PRSTATUS (amd64 user_regs_struct)."""
    out = []
    for (_, _, _, t, name, d) in core.notes():
        if t == 1 and name == "CORE":
            r = d + 112
            out.append((struct.unpack_from("<Q", core.b, r + 19 * 8)[0],
                        struct.unpack_from("<Q", core.b, r + 21 * 8)[0]))
    return out


# ---- damage helpers -----------------------------------------------------------

# The helpers edit a bytearray in place (the test hands them one copy of the
# 40 MB core) and return it; given bytes, they make the copy.

def patch(b, off, data):
    if not isinstance(b, bytearray):
        b = bytearray(b)
    b[off:off + len(data)] = data
    return b


def xor(b, off, n, seed):
    r = random.Random(seed)
    if not isinstance(b, bytearray):
        b = bytearray(b)
    for k in range(n):
        if off + k < len(b):
            b[off + k] ^= r.randrange(1, 256)
    return b


def fill(b, off, n, byte=0):
    n = max(0, min(n, len(b) - off))
    return patch(b, off, bytes([byte]) * n)


def randomize(b, off, n, seed):
    r = random.Random(seed)
    n = max(0, min(n, len(b) - off))
    return patch(b, off, r.randbytes(n))


def set_phdr(b, i, **kw):
    e = Elf(b)
    p = list(e.ph[i])
    names = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
    for k, v in kw.items():
        p[names.index(k)] = v
    return patch(b, e.phdr_off(i), struct.pack("<IIQQQQQQ", *p))


def with_phdrs(b, phdrs):
    """The file with a new program header table appended at its end."""
    if not isinstance(b, bytearray):
        b = bytearray(b)
    while len(b) % 8:
        b.append(0)
    off = len(b)
    for p in phdrs:
        b += struct.pack("<IIQQQQQQ", *p)
    struct.pack_into("<Q", b, 32, off)
    struct.pack_into("<H", b, 56, len(phdrs))
    return bytes(b)


def with_notes(b, notes):
    """The file with its note segment replaced by NOTES [(name, type, desc)]
    written at the end."""
    e = Elf(b)
    seg = bytearray()
    for name, t, desc in notes:
        nb = name.encode() + b"\0"
        seg += struct.pack("<III", len(nb), len(desc), t)
        seg += nb + b"\0" * (-len(nb) % 4)
        seg += desc + b"\0" * (-len(desc) % 4)
    i, _, _ = e.note_seg()
    out = b if isinstance(b, bytearray) else bytearray(b)
    while len(out) % 8:
        out.append(0)
    off = len(out)
    out += seg
    return set_phdr(out, i, offset=off, filesz=len(seg))


def note_list(b):
    e = Elf(b)
    return [(n[4], n[3], e.b[n[5]:n[5] + n[2]]) for n in e.notes()]


def edit_notes(b, fn):
    return with_notes(b, fn(note_list(b)))


def nt_file_desc(count, page, entries=()):
    d = struct.pack("<QQ", count, page)
    for (s, e, o) in entries:
        d += struct.pack("<QQQ", s, e, o)
    return d


# ---- the damages ---------------------------------------------------------------

def core_damages(core, truth):
    """(id, function of the core bytes) for one base core."""
    e = Elf(core)
    size = len(core)
    nidx, noff, nsize = e.note_seg()
    loads = e.loads()
    notes = e.notes()
    d = []

    def trunc(name, at):
        d.append(("core-trunc-" + name, lambda b, at=at: b[:at]))

    # Truncations: ELF header, program headers, notes, each PT_LOAD, the end.
    for at in (1, 4, 17, 40, 63):
        trunc("in-ehdr-%d" % at, at)
    for at in (64, e.phoff + 56 * 1 + 20, e.phoff + 56 * e.phnum - 1):
        trunc("in-phdrs-%d" % at, at)
    for k, at in enumerate((noff, noff + 12, noff + nsize // 3, noff + nsize - 1)):
        trunc("in-notes-%d" % k, at)
    for (i, p) in loads:
        if p[5] == 0:
            continue
        trunc("load%d-start" % i, p[2])
        trunc("load%d-middle" % i, p[2] + p[5] // 2)
    for back in (1, 7, 4096, 4097):
        trunc("end-minus-%d" % back, size - back)

    # Program headers.
    d.append(("phnum-huge", lambda b: patch(b, 56, struct.pack("<H", 0xffff))))
    d.append(("phnum-7fff", lambda b: patch(b, 56, struct.pack("<H", 0x7fff))))
    d.append(("phentsize-32", lambda b: patch(b, 54, struct.pack("<H", 32))))
    d.append(("phoff-past-end", lambda b: patch(b, 32, struct.pack("<Q", size + 100))))
    d.append(("phoff-wraps", lambda b: patch(b, 32, struct.pack("<Q", 2**64 - 8))))
    d.append(("note-offset-huge", lambda b: set_phdr(b, nidx, offset=2**63)))
    d.append(("note-filesz-huge", lambda b: set_phdr(b, nidx, filesz=2**64 - 1)))
    d.append(("note-filesz-zero", lambda b: set_phdr(b, nidx, filesz=0)))
    d.append(("no-note-segment", lambda b: set_phdr(b, nidx, type=6)))
    li, lp = [x for x in loads if x[1][5]][2]
    d.append(("load-offset-wraps", lambda b: set_phdr(b, li, offset=2**64 - 4096)))
    d.append(("load-vaddr-wraps", lambda b: set_phdr(b, li, vaddr=2**64 - 4096)))
    d.append(("load-filesz-gt-memsz", lambda b: set_phdr(b, li, memsz=16)))
    d.append(("load-filesz-huge", lambda b: set_phdr(b, li, filesz=2**62, memsz=2**62)))
    d.append(("phdr-byte-flips", lambda b: xor(b, e.phoff, 56 * e.phnum, 11)))
    for k in range(3):
        i = loads[(k * 7) % len(loads)][0]
        d.append(("phdr%d-flip" % i, lambda b, i=i, k=k: xor(b, e.phdr_off(i) + 8, 24, k)))
    # Overlapping and duplicate segments.
    ph = list(e.ph)
    d.append(("loads-duplicated", lambda b: with_phdrs(b, ph + [p for p in ph if p[0] == 1])))
    over = [list(p) for p in ph]
    for k, p in enumerate(over):
        if p[0] == 1 and k % 2 == 0:
            p[3] += 0x800  # overlaps the next one
    d.append(("loads-overlapping", lambda b: with_phdrs(b, [tuple(p) for p in over])))
    d.append(("loads-reversed", lambda b: with_phdrs(b, [ph[0]] + list(reversed(ph[1:])))))

    # Notes: flips, zero length, huge sizes and counts.
    for k in range(6):
        at = noff + (k * 997) % nsize
        d.append(("notes-flip-%d" % k, lambda b, at=at, k=k: xor(b, at, 4, 100 + k)))
    d.append(("notes-randomized", lambda b: randomize(b, noff, nsize, 5)))
    d.append(("note-namesz-huge", lambda b: patch(b, notes[0][0], struct.pack("<I", 0xffffffff))))
    d.append(("note-descsz-huge", lambda b: patch(b, notes[0][0] + 4, struct.pack("<I", 0xfffffff0))))
    d.append(("note-descsz-past-segment", lambda b: patch(
        b, notes[-1][0] + 4, struct.pack("<I", notes[-1][2] + 64))))
    for t, tn in ((1, "prstatus"), (3, "prpsinfo"), (0x53494749, "siginfo"),
                  (6, "auxv"), (0x46494c45, "file")):
        d.append(("note-%s-empty" % tn, lambda b, t=t: edit_notes(
            b, lambda ns: [(n, ty, b"" if ty == t else de) for (n, ty, de) in ns])))
        d.append(("note-%s-short" % tn, lambda b, t=t: edit_notes(
            b, lambda ns: [(n, ty, de[:len(de) // 2 + 3] if ty == t else de)
                           for (n, ty, de) in ns])))
    d.append(("no-prstatus", lambda b: edit_notes(b, lambda ns: [x for x in ns if x[1] != 1])))
    d.append(("only-prstatus", lambda b: edit_notes(b, lambda ns: [x for x in ns if x[1] == 1])))
    d.append(("notes-duplicated", lambda b: edit_notes(b, lambda ns: ns + ns)))
    d.append(("notes-many-prstatus", lambda b: edit_notes(
        b, lambda ns: ns + [x for x in ns if x[1] == 1][:1] * 3000)))
    d.append(("nt-file-count-huge", lambda b: edit_notes(b, lambda ns: [
        (n, t, nt_file_desc(2**62, 4096) + de[16:] if t == 0x46494c45 else de)
        for (n, t, de) in ns])))
    d.append(("nt-file-count-1m", lambda b: edit_notes(b, lambda ns: [
        (n, t, nt_file_desc(1 << 20, 4096) + de[16:] if t == 0x46494c45 else de)
        for (n, t, de) in ns])))
    d.append(("nt-file-pagesize-huge", lambda b: edit_notes(b, lambda ns: [
        (n, t, de[:8] + struct.pack("<Q", 2**63) + de[16:] if t == 0x46494c45 else de)
        for (n, t, de) in ns])))
    d.append(("nt-file-no-names", lambda b: edit_notes(b, lambda ns: [
        (n, t, nt_file_desc(3, 4096, [(0x400000, 0x300000, 0), (1, 0, 5), (2**64 - 4096, 2**64 - 1, 2**50)])
         if t == 0x46494c45 else de) for (n, t, de) in ns])))
    d.append(("auxv-unterminated", lambda b: edit_notes(b, lambda ns: [
        (n, t, struct.pack("<QQ", 9, 2**64 - 1) * 40 if t == 6 else de) for (n, t, de) in ns])))

    # Memory: the g structures, the stacks, the map.
    regs = thread_regs(e)
    gs = [g for g in (e.u64_at(fs - 8) for (_, fs) in regs if fs >= 8) if g]
    g_offs = [o for o in (e.vaddr_to_off(g) for g in gs) if o is not None]
    sp_offs = [o for o in (e.vaddr_to_off(sp) for (sp, _) in regs) if o is not None]
    assert g_offs and sp_offs, "base core without g structures or stacks"

    def each(offs, fn):
        def f(b):
            for k, o in enumerate(offs):
                b = fn(b, o, k)
            return b
        return f
    d.append(("g-zeroed", each(g_offs, lambda b, o, k: fill(b, o, 448))))
    d.append(("g-randomized", each(g_offs, lambda b, o, k: randomize(b, o, 448, 20 + k))))
    d.append(("g-ff", each(g_offs, lambda b, o, k: fill(b, o, 448, 0xff))))
    d.append(("stacks-zeroed", each(sp_offs, lambda b, o, k: fill(b, o - 256, 8192))))
    d.append(("stacks-randomized", each(sp_offs, lambda b, o, k: randomize(b, o - 256, 8192, 40 + k))))
    maddr = int(truth["map"]["address"], 16)
    moff = e.vaddr_to_off(maddr) if maddr else None
    if moff is not None:
        ptrs = [e.u64_at(maddr + 8 * k) for k in range(8)]
        p_offs = [o for o in (e.vaddr_to_off(p) for p in ptrs if p) if o is not None]
        d.append(("map-header-zeroed", lambda b: fill(b, moff, 64)))
        d.append(("map-header-randomized", lambda b: randomize(b, moff, 64, 60)))
        d.append(("map-header-ff", lambda b: fill(b, moff, 64, 0xff)))
        d.append(("map-region-randomized", each(
            [moff] + p_offs, lambda b, o, k: randomize(b, o, 16384, 80 + k))))
        d.append(("map-region-zeroed", each([moff] + p_offs, lambda b, o, k: fill(b, o, 16384))))
    # The executable's first page as the core saved it (build ids).
    first = [p for (_, p) in loads if p[5]][0]
    d.append(("exe-first-page-zeroed", lambda b: fill(b, first[2], 4096)))
    d.append(("exe-first-page-randomized", lambda b: randomize(b, first[2], 4096, 90)))
    return d


def exe_damages(exe):
    e = Elf(exe)
    size = len(exe)
    secs = e.sections()
    d = []
    for at in (0, 16, 64, e.phoff + 56 * e.phnum - 3, 4096, size // 2, size - 1):
        d.append(("exe-trunc-%d" % at, lambda b, at=at: b[:at]))
    d.append(("exe-shdrs-zeroed", lambda b: fill(b, e.shoff, 64 * e.shnum)))
    d.append(("exe-shdrs-randomized", lambda b: randomize(b, e.shoff, 64 * e.shnum, 3)))
    d.append(("exe-shoff-past-end", lambda b: patch(b, 40, struct.pack("<Q", size + 64))))
    d.append(("exe-shnum-zero", lambda b: patch(b, 60, struct.pack("<H", 0))))
    d.append(("exe-shstrndx-bad", lambda b: patch(b, 62, struct.pack("<H", 0xfff0))))
    d.append(("exe-phdrs-randomized", lambda b: randomize(b, e.phoff, 56 * e.phnum, 4)))
    # (Each block binds its own section: lambdas see variables late.)
    if ".gopclntab" in secs:
        _, pcl = secs[".gopclntab"]
        d.append(("exe-pclntab-magic", lambda b: fill(b, pcl[4], 8)))
        d.append(("exe-pclntab-header-randomized", lambda b: randomize(b, pcl[4], 64, 5)))
        d.append(("exe-pclntab-middle-randomized",
                  lambda b: randomize(b, pcl[4] + pcl[5] // 2, 8192, 6)))
        d.append(("exe-pclntab-ftab-randomized", lambda b: xor(b, pcl[4] + pcl[5] // 5, 4096, 7)))
    if ".go.buildinfo" in secs:
        _, bi = secs[".go.buildinfo"]
        blob = exe[bi[4]:bi[4] + bi[5]]
        # Removed: no section of that name and no magic to find by scanning.
        name_off = secs[".shstrtab"][1][4] + bi[0] if ".shstrtab" in secs else None

        def removed(b):
            b = fill(b, bi[4], min(bi[5], 64))
            if name_off is not None:
                b = patch(b, name_off, b".go.xxxxxxxxx")
            return b
        d.append(("exe-buildinfo-removed", removed))
        d.append(("exe-buildinfo-randomized", lambda b: randomize(b, bi[4], min(bi[5], 256), 8)))
        k = blob.find(b"go1.")
        if k >= 0:
            ver = blob[k:].split(b"\0")[0][:12].split(b" ")[0]
            for new in (b"go1.17", b"go1.30", b"go2.0", b"gox.y"):
                v = (new + b".1" + b"9" * 12)[:len(ver)] if len(ver) >= len(new) + 2 else new
                d.append(("exe-buildinfo-" + new.decode(),
                          lambda b, v=v: patch(b, bi[4] + k, v[:len(ver)])))
    if ".note.go.buildid" in secs:
        _, nb = secs[".note.go.buildid"]
        d.append(("exe-go-buildid-flipped", lambda b: xor(b, nb[4] + nb[5] - 8, 4, 9)))
    return d


# ---- running -------------------------------------------------------------------

def start(argv):
    return subprocess.Popen([mapsleuth_bin()] + [str(a) for a in argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")


def check_run(argv, files, proc=None):
    proc = proc or start(argv)
    try:
        out, err = proc.communicate(timeout=TIME_LIMIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("no answer within %ds: %s" % (TIME_LIMIT, argv))
    p = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    assert p.returncode >= 0, "killed by signal %d: %s\n%s" % (
        -p.returncode, argv, p.stderr[-3000:])
    assert p.returncode in ALLOWED_STATUS, (p.returncode, argv, p.stderr[-3000:])
    if p.returncode == 1:
        lines = p.stderr.splitlines()
        assert len(lines) == 1, "expected one error line:\n" + p.stderr[-3000:]
        assert lines[0].startswith("mapsleuth: error: "), lines[0]
        assert any(str(f) in lines[0] for f in files), \
            "the error names neither file: " + lines[0]
    elif p.returncode == 0 and "json" in argv:
        json.loads(p.stdout)
    return p


def damage_params():
    params = []
    for case in BASES:
        core, exe, truth = base_files(case)
        cd = core_damages(core, truth)
        xd = exe_damages(exe)
        if case != PRIMARY:
            # A sample: every fourth damage.
            cd, xd = cd[::4], xd[::3]
        for name, fn in cd:
            params.append(pytest.param(case, "core", fn, id="%s-%s" % (name, case)))
        for name, fn in xd:
            params.append(pytest.param(case, "exe", fn, id="%s-%s" % (name, case)))
    return params


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("damaged")


@pytest.mark.parametrize("case,what,damage", damage_params())
def test_damaged(workdir, case, what, damage):
    core, exe, _ = base_files(case)
    tag = case.replace("/", "_")
    # WHAT ("core" or "exe") damaged in bad-<tag>.<what>, the other kept
    # pristine in <tag>.<other> (written once per module).
    paths = {}
    for kind, data in (("core", core), ("exe", exe)):
        if kind == what:
            bad = paths[kind] = workdir / ("bad-%s.%s" % (tag, kind))
            bad.write_bytes(damage(bytearray(data)))
        else:
            paths[kind] = workdir / ("%s.%s" % (tag, kind))
            if not paths[kind].exists():
                paths[kind].write_bytes(data)
    files = (paths["core"], paths["exe"])
    args = (paths["core"], "--exe", paths["exe"])
    try:
        # The commands run side by side (two cores), then each is checked.
        runs = [pre + list(args) + post for _, pre, post in COMMANDS]
        procs = [start(a) for a in runs]
        for a, p in zip(runs, procs):
            check_run(a, files, p)
    finally:
        bad.unlink()
