// Builds small ELF64 little-endian core files byte by byte for the loader
// tests. Every field is written explicitly, with its name beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mstest {

class Bytes {
public:
  Bytes &u8(uint8_t V) { B.push_back(V); return *this; }
  Bytes &u16(uint16_t V) { for (int I = 0; I < 2; ++I) u8(uint8_t(V >> (8 * I))); return *this; }
  Bytes &u32(uint32_t V) { for (int I = 0; I < 4; ++I) u8(uint8_t(V >> (8 * I))); return *this; }
  Bytes &u64(uint64_t V) { for (int I = 0; I < 8; ++I) u8(uint8_t(V >> (8 * I))); return *this; }
  Bytes &str(const std::string &S, size_t Pad) {
    for (size_t I = 0; I < Pad; ++I) u8(I < S.size() ? uint8_t(S[I]) : 0);
    return *this;
  }
  Bytes &zeros(size_t N) { B.insert(B.end(), N, 0); return *this; }
  Bytes &append(const std::vector<uint8_t> &O) { B.insert(B.end(), O.begin(), O.end()); return *this; }
  Bytes &align(size_t A) { while (B.size() % A) B.push_back(0); return *this; }
  size_t size() const { return B.size(); }
  const std::vector<uint8_t> &data() const { return B; }
  void patchU64(size_t Off, uint64_t V) { for (int I = 0; I < 8; ++I) B[Off + I] = uint8_t(V >> (8 * I)); }
  std::vector<uint8_t> B;
};

struct Note {
  std::string Name;
  uint32_t Type;
  std::vector<uint8_t> Desc;
};

struct Load {
  uint64_t VAddr;
  std::vector<uint8_t> Bytes;
  uint64_t MemSize; // >= Bytes.size()
  uint32_t Flags = 6; // PF_R|PF_W
};

// x86-64 NT_PRSTATUS for thread TID with signal CURSIG, registers given as
// (rip, rsp, fs_base); others zero.
inline std::vector<uint8_t> prstatusAmd64(uint32_t Tid, uint16_t Cursig,
                                          uint64_t Rip, uint64_t Rsp,
                                          uint64_t FsBase) {
  Bytes D;
  D.u32(Cursig).u32(0).u32(0); // pr_info: si_signo, si_code, si_errno
  D.u16(Cursig).u16(0);        // pr_cursig, padding
  D.u64(0).u64(0);             // pr_sigpend, pr_sighold
  D.u32(Tid).u32(1).u32(Tid).u32(1); // pr_pid, pr_ppid, pr_pgrp, pr_sid
  D.zeros(64);                 // pr_utime, pr_stime, pr_cutime, pr_cstime
  // pr_reg: user_regs_struct, 27 words
  D.u64(15).u64(14).u64(13).u64(12); // r15 r14 r13 r12
  D.u64(0x6b6b).u64(3);              // rbp rbx
  D.u64(11).u64(10).u64(9).u64(8);   // r11 r10 r9 r8
  D.u64(0xa0).u64(2).u64(1);         // rax rcx rdx
  D.u64(4).u64(5).u64(0);            // rsi rdi orig_rax
  D.u64(Rip).u64(0x33).u64(0x246).u64(Rsp).u64(0x2b); // rip cs eflags rsp ss
  D.u64(FsBase).u64(0);              // fs_base gs_base
  D.u64(0).u64(0).u64(0).u64(0);     // ds es fs gs
  D.u32(1).u32(0);                   // pr_fpvalid, padding
  return D.B;
}

// Assembles ET_CORE with one PT_NOTE holding NOTES and one PT_LOAD per LOADS.
inline std::vector<uint8_t> buildCore(const std::vector<Note> &Notes,
                                      const std::vector<Load> &Loads,
                                      uint16_t Machine = 62 /*EM_X86_64*/) {
  Bytes NoteSeg;
  for (const auto &N : Notes) {
    NoteSeg.u32(uint32_t(N.Name.size() + 1)); // n_namesz (with NUL)
    NoteSeg.u32(uint32_t(N.Desc.size()));     // n_descsz
    NoteSeg.u32(N.Type);                      // n_type
    NoteSeg.str(N.Name, N.Name.size() + 1).align(4);
    NoteSeg.append(N.Desc).align(4);
  }
  const uint16_t PhNum = uint16_t(1 + Loads.size());
  const uint64_t PhOff = 64, DataOff = PhOff + 56ull * PhNum;
  Bytes F;
  // e_ident
  F.u8(0x7f).u8('E').u8('L').u8('F');
  F.u8(2);  // EI_CLASS: ELFCLASS64
  F.u8(1);  // EI_DATA: little endian
  F.u8(1);  // EI_VERSION
  F.u8(0);  // EI_OSABI: SYSV
  F.zeros(8);
  F.u16(4);        // e_type: ET_CORE
  F.u16(Machine);  // e_machine
  F.u32(1);        // e_version
  F.u64(0);        // e_entry
  F.u64(PhOff);    // e_phoff
  F.u64(0);        // e_shoff
  F.u32(0);        // e_flags
  F.u16(64);       // e_ehsize
  F.u16(56);       // e_phentsize
  F.u16(PhNum);    // e_phnum
  F.u16(64);       // e_shentsize
  F.u16(0);        // e_shnum
  F.u16(0);        // e_shstrndx
  // program headers
  uint64_t Off = DataOff;
  F.u32(4).u32(4);                // p_type PT_NOTE, p_flags PF_R
  F.u64(Off).u64(0).u64(0);       // p_offset p_vaddr p_paddr
  F.u64(NoteSeg.size()).u64(0);   // p_filesz p_memsz
  F.u64(4);                       // p_align
  Off += NoteSeg.size();
  for (const auto &L : Loads) {
    F.u32(1).u32(L.Flags);         // p_type PT_LOAD, p_flags
    F.u64(Off).u64(L.VAddr).u64(0); // p_offset p_vaddr p_paddr
    F.u64(L.Bytes.size()).u64(L.MemSize); // p_filesz p_memsz
    F.u64(0x1000);                 // p_align
    Off += L.Bytes.size();
  }
  F.append(NoteSeg.B);
  for (const auto &L : Loads)
    F.append(L.Bytes);
  return F.B;
}

} // namespace mstest
