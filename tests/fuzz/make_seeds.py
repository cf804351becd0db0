#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/)
from the committed fixtures. Deterministic; stdlib only (zstd and xz on
PATH). Run from anywhere: /usr/bin/python3 tests/fuzz/make_seeds.py

fuzz_core    minimized real cores: ELF header, program headers and notes
             of a real core, and only the pages around each thread's SP
             (the other PT_LOADs keep their addresses but lose their bytes),
             plain and zstd-compressed
fuzz_exe     a minimized real executable (headers, build-id notes,
             .go.buildinfo, section headers) and edit scripts over the base
             case's executable
fuzz_target  edit scripts over the base case (see README.md for the format)
"""
import pathlib
import random
import struct
import subprocess

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = ROOT / "fixtures" / "corpus"
BASE = "go1.22-default/strkeys"  # MS_FUZZ_DEFAULT_CASE

# Window indices (FuzzEntryPoints.cpp WindowNames).
W = {n: i for i, n in enumerate([
    "core-headers", "core-notes", "stacks", "g", "gstacks", "map",
    "core-moduledata", "core-any", "exe-headers", "exe-pclntab", "exe-types",
    "exe-buildinfo", "exe-moduledata", "exe-any"])}
EXE_W0 = W["exe-headers"]
OVERWRITE, XOR, ZERO, FF, POINTER, COPY = range(6)


def edit(window, op, pos, n=0, payload=b""):
    if op in (OVERWRITE, XOR):
        assert len(payload) == n
    if op in (POINTER, COPY):
        assert len(payload) == 5
    return bytes([window, op]) + struct.pack("<I", pos) + bytes([n]) + payload


def ref(window, pos):
    return bytes([window]) + struct.pack("<I", pos)


def unpack(path):
    tool = "zstd" if path.suffix == ".zst" else "xz"
    return subprocess.run([tool, "-dc", str(path)], check=True,
                          capture_output=True).stdout


def minimize_core(raw):
    """Header + phdrs + notes; PT_LOADs keep 8 KiB around each thread's SP."""
    phoff, = struct.unpack_from("<Q", raw, 32)
    phnum, = struct.unpack_from("<H", raw, 56)
    phdrs = [list(struct.unpack_from("<IIQQQQQQ", raw, phoff + 56 * i))
             for i in range(phnum)]
    # Thread SPs from NT_PRSTATUS (pr_reg at 112, rsp is word 19 on amd64).
    sps = []
    note_end = 0
    for p in phdrs:
        if p[0] != 4:
            continue
        off, size = p[2], p[5]
        note_end = max(note_end, off + size)
        i = off
        while i + 12 <= off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", raw, i)
            d = i + 12 + ((namesz + 3) & ~3)
            if ntype == 1:
                sps.append(struct.unpack_from("<Q", raw, d + 112 + 19 * 8)[0])
            i = d + ((descsz + 3) & ~3)
    out = bytearray(raw[:note_end])
    for p in phdrs:
        if p[0] != 1:
            continue
        vaddr, filesz = p[3], p[5]
        keep = [sp for sp in sps if vaddr <= sp < vaddr + filesz]
        if keep:
            lo = max(vaddr, (keep[0] & ~0xfff) - 0x1000)
            hi = min(vaddr + filesz, lo + 0x2000)
            src = p[2] + (lo - vaddr)
            p[2], p[3], p[5], p[6] = len(out), lo, hi - lo, hi - lo
            out += raw[src:src + (hi - lo)]
        else:
            p[5] = 0
    for i, p in enumerate(phdrs):
        struct.pack_into("<IIQQQQQQ", out, phoff + 56 * i, *p)
    return bytes(out)


def minimize_exe(raw):
    """First page (ELF header, program headers, notes), the build info and
    the section headers; other sections lose their bytes."""
    shoff, = struct.unpack_from("<Q", raw, 40)
    shnum, shstrndx = struct.unpack_from("<HH", raw, 60)
    shdrs = [list(struct.unpack_from("<IIQQQQIIQQ", raw, shoff + 64 * i))
             for i in range(shnum)]
    stro = shdrs[shstrndx][4]

    def name(s):
        b = raw[stro + s[0]:]
        return b[:b.index(b"\0")].decode()
    out = bytearray(raw[:4096])
    for i, s in enumerate(shdrs):
        n = name(s)
        if i == shstrndx or n in (".go.buildinfo", ".note.go.buildid",
                                  ".note.gnu.build-id"):
            if s[4] + s[5] <= 4096:
                continue
            while len(out) % 16:
                out.append(0)
            data = raw[s[4]:s[4] + s[5]]
            s[4] = len(out)
            out += data
        elif s[1] != 8 and s[4] + s[5] > 4096:  # not NOBITS
            s[5] = 0
    while len(out) % 8:
        out.append(0)
    new_shoff = len(out)
    for s in shdrs:
        out += struct.pack("<IIQQQQIIQQ", *s)
    struct.pack_into("<Q", out, 40, new_shoff)
    return bytes(out)


def write(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    rnd = random.Random(20240611)
    case = CORPUS / BASE
    # fuzz_core
    for c in [BASE, "go1.26-default/nilmap", "go1.23-pie/u32rw"]:
        m = minimize_core(unpack(CORPUS / c / "core.zst"))
        tag = c.replace("/", "-")
        write("fuzz_core", tag + ".core", m)
    m = minimize_core(unpack(case / "core.zst"))
    write("fuzz_core", "zstd-" + BASE.replace("/", "-") + ".core.zst",
          subprocess.run(["zstd", "-q", "-19", "-c"], input=m, check=True,
                         capture_output=True).stdout)
    # fuzz_exe
    for v in ["go1.22-default", "go1.26-stripped", "go1.23-pie"]:
        write("fuzz_exe", v + ".min.exe", minimize_exe(unpack(CORPUS / v / "exe.xz")))
    write("fuzz_exe", "edit-none", b"")  # the base executable as is
    write("fuzz_exe", "edit-headers-flip",
          edit(0, XOR, 16, 8, bytes(rnd.getrandbits(8) | 1 for _ in range(8))))
    write("fuzz_exe", "edit-pclntab-flip", edit(1, XOR, 64, 16,
          bytes(rnd.getrandbits(8) | 1 for _ in range(16))) +
          edit(1, ZERO, 5000, 4))
    write("fuzz_exe", "edit-types-zero", edit(2, ZERO, 256, 16) +
          edit(2, XOR, 4096, 4, b"\x01\x02\x04\x08"))
    write("fuzz_exe", "edit-buildinfo-go117",
          edit(3, OVERWRITE, 33, 8, b"go1.17.1"))
    write("fuzz_exe", "edit-moduledata-ptr", edit(4, POINTER, 0, 0, ref(2, 0)) +
          edit(4, FF, 64, 1))
    # fuzz_target
    write("fuzz_target", "none", b"")
    write("fuzz_target", "g-zeroed", edit(W["g"], ZERO, 0, 64))
    write("fuzz_target", "g-randomized", edit(W["g"], XOR, 0, 200,
          bytes(rnd.getrandbits(8) for _ in range(200))))
    write("fuzz_target", "map-zeroed", edit(W["map"], ZERO, 0, 8))
    write("fuzz_target", "map-randomized", edit(W["map"], XOR, 0, 64,
          bytes(rnd.getrandbits(8) for _ in range(64))) +
          edit(W["map"], XOR, 200, 128, bytes(rnd.getrandbits(8) for _ in range(128))))
    write("fuzz_target", "map-buckets-point-at-stack",
          edit(W["map"], POINTER, 16, 0, ref(W["stacks"], 64)))
    write("fuzz_target", "stack-words-point-at-map",
          edit(W["stacks"], POINTER, 256, 0, ref(W["map"], 0)) +
          edit(W["stacks"], POINTER, 264, 0, ref(W["exe-types"], 0)))
    write("fuzz_target", "gstacks-copy-of-g",
          edit(W["gstacks"], COPY, 0, 32, ref(W["g"], 0)))
    write("fuzz_target", "notes-flip", edit(W["core-notes"], XOR, 300, 4,
          b"\x10\x20\x40\x80"))
    write("fuzz_target", "phdr-zero", edit(W["core-headers"], ZERO, 120, 7))
    write("fuzz_target", "moduledata-core", edit(W["core-moduledata"], XOR, 8, 8,
          bytes(rnd.getrandbits(8) | 1 for _ in range(8))))
    write("fuzz_target", "pclntab-and-types",
          edit(W["exe-pclntab"], XOR, 100000, 8, b"\xff" * 8) +
          edit(W["exe-types"], XOR, 2000, 8, b"\x80" * 8))


if __name__ == "__main__":
    main()
