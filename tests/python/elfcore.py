"""A tiny, independent reader of ELF64 little-endian core files and
executables (stdlib only), to drive mapsleuth.open_process the way a
debugger would: memory from the core's PT_LOAD segments, then from the
executable's file-backed segments at the load bias; threads and registers
from NT_PRSTATUS; the auxiliary vector and the signal from NT_AUXV and
NT_SIGINFO. x86-64 only. Memory that neither file holds reads as None."""
import bisect
import struct

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_SIGINFO = 1, 3, 6, 0x53494749
AT_ENTRY = 9
EM_X86_64 = 62

# struct user_regs_struct (x86-64), as NT_PRSTATUS's pr_reg holds it.
X86_64_REGS = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9",
               "r8", "rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip",
               "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es",
               "fs", "gs"]
PRSTATUS_PID = 32     # offsetof(struct elf_prstatus, pr_pid)
PRSTATUS_CURSIG = 12  # offsetof(struct elf_prstatus, pr_cursig)
PRSTATUS_REG = 112    # offsetof(struct elf_prstatus, pr_reg)
PRPSINFO_PID = 24     # offsetof(struct elf_prpsinfo, pr_pid)


class Elf:
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not an ELF64 little-endian file")
        self.data = data
        (self.type, self.machine, _, self.entry, self.phoff, _, _, _,
         self.phentsize, self.phnum) = struct.unpack_from("<HHIQQQIHHH", data, 16)
        self.phdrs = []
        for i in range(self.phnum):
            (p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz,
             _) = struct.unpack_from("<IIQQQQQQ", data, self.phoff + i * self.phentsize)
            self.phdrs.append((p_type, p_offset, p_vaddr, p_filesz, p_memsz))

    def notes(self):
        for p_type, off, _, filesz, _ in self.phdrs:
            if p_type != PT_NOTE:
                continue
            pos, end = off, off + filesz
            while pos + 12 <= end:
                namesz, descsz, ntype = struct.unpack_from("<III", self.data, pos)
                pos += 12 + ((namesz + 3) & ~3)
                yield ntype, self.data[pos:pos + descsz]
                pos += (descsz + 3) & ~3


class CoreProcess:
    """A core file and its executable, seen as a stopped process."""

    def __init__(self, core_bytes, exe_bytes, files_absent=False):
        """files_absent: a host that has only the core, not the files the
        process mapped, and reads what the core did not save of its
        segments as zeros (gdb does that for a core whose mapped files are
        gone): the executable's bytes are not laid in."""
        self.core = Elf(core_bytes)
        self.exe = Elf(exe_bytes)
        self.files_absent = files_absent
        assert self.core.type == 4 and self.core.machine == EM_X86_64
        self.threads, self.auxv, self.signal, self.pid = [], {}, None, 0
        for ntype, desc in self.core.notes():
            if ntype == NT_PRSTATUS:
                tid = struct.unpack_from("<i", desc, PRSTATUS_PID)[0]
                cursig = struct.unpack_from("<h", desc, PRSTATUS_CURSIG)[0]
                vals = struct.unpack_from("<27Q", desc, PRSTATUS_REG)
                self.threads.append({"tid": tid, "signal": cursig,
                                     "registers": dict(zip(X86_64_REGS, vals))})
            elif ntype == NT_PRPSINFO:
                self.pid = struct.unpack_from("<i", desc, PRPSINFO_PID)[0]
            elif ntype == NT_AUXV:
                for i in range(0, len(desc) - 15, 16):
                    k, v = struct.unpack_from("<QQ", desc, i)
                    self.auxv[k] = v
            elif ntype == NT_SIGINFO:
                signo, errno, code = struct.unpack_from("<iii", desc, 0)
                sender = struct.unpack_from("<i", desc, 16)[0]
                self.signal = {"signo": signo, "code": code, "errno": errno,
                               "sender_pid": sender if code <= 0 else 0}
        # The kernel writes the thread that dumped core first.
        self.threads[0]["crashed"] = True
        bias = 0
        if self.exe.type == 3 and AT_ENTRY in self.auxv:  # ET_DYN
            bias = self.auxv[AT_ENTRY] - self.exe.entry
        self.load_bias = bias
        # Regions: (start, end, file bytes, file offset); core first.
        regions = []
        for p_type, off, vaddr, filesz, _ in self.core.phdrs:
            if p_type == PT_LOAD and filesz:
                regions.append((vaddr, vaddr + filesz, self.core.data, off))
        for p_type, off, vaddr, filesz, _ in self.exe.phdrs:
            if p_type == PT_LOAD and filesz and not files_absent:
                regions.append((vaddr + bias, vaddr + bias + filesz, self.exe.data, off))
        self.regions = self._flatten(regions)
        # What such a host answers with zeros: the unsaved rest of each
        # core segment.
        self.zeros = sorted((vaddr + filesz, vaddr + memsz)
                            for p_type, _, vaddr, filesz, memsz in self.core.phdrs
                            if files_absent and p_type == PT_LOAD and memsz > filesz)
        self.starts = [r[0] for r in self.regions]
        self.reads = 0

    @staticmethod
    def _flatten(regions):
        """Non-overlapping pieces; earlier regions win."""
        out = []
        for start, end, data, off in regions:
            pieces = [(start, end)]
            for s, e, _, _ in out:
                nxt = []
                for a, b in pieces:
                    if b <= s or a >= e:
                        nxt.append((a, b))
                        continue
                    if a < s:
                        nxt.append((a, s))
                    if b > e:
                        nxt.append((e, b))
                pieces = nxt
            for a, b in pieces:
                out.append((a, b, data, off + (a - start)))
        out.sort(key=lambda r: r[0])
        return out

    def read_memory(self, addr, size):
        """The bytes at [addr, addr+size), or None if any is missing."""
        self.reads += 1
        out = bytearray()
        cur, end = addr, addr + size
        while cur < end:
            i = bisect.bisect_right(self.starts, cur) - 1
            if i < 0 or cur >= self.regions[i][1]:
                z = next((b for a, b in self.zeros if a <= cur < b), None)
                if z is None:
                    return None
                n = min(z, end) - cur
                if i + 1 < len(self.regions):
                    n = min(n, self.regions[i + 1][0] - cur)
                out += bytes(n)
                cur += n
                continue
            start, stop, data, off = self.regions[i]
            n = min(stop, end) - cur
            out += data[off + cur - start:off + cur - start + n]
            cur += n
        return bytes(out)
