// An ELF core file: threads and their registers, signal, auxv, the
// mapped-file table, and the memory the kernel saved. Parsed with LLVM
// libObject; every offset is checked against the file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/Arch.h"
#include "loader/InputFile.h"
#include "loader/Memory.h"
#include "support/Warnings.h"

namespace ms {

// Auxiliary vector keys we use (from <elf.h>).
constexpr uint64_t AuxvPhdr = 3;   // AT_PHDR
constexpr uint64_t AuxvPhnum = 5;  // AT_PHNUM
constexpr uint64_t AuxvEntry = 9;  // AT_ENTRY
constexpr uint64_t AuxvExecFn = 31; // AT_EXECFN

struct CoreThread {
  int Tid = 0;
  int CurSig = 0;     // pr_cursig: the signal this thread was handling
  RegisterSet Regs;
  bool Crashed = false; // the thread that took the fatal signal
};

struct CoreSignal {
  int Signo = 0;
  int Code = 0;
  int Errno = 0;
  uint64_t Addr = 0;       // si_addr for faults
  int SenderPid = 0;       // for kill/tkill
  bool FromSiginfo = false; // false: only pr_cursig was available
};

struct MappedFile {
  uint64_t Start = 0, End = 0, FileOffset = 0;
  std::string Path;
};

struct CoreSegment {
  uint64_t VAddr = 0, MemSize = 0, FileOffset = 0, FileSize = 0;
  uint32_t Flags = 0; // PF_R/W/X
  uint64_t SavedSize = 0; // bytes actually present in the (maybe truncated) file
};

class CoreFile {
public:
  static Expected<std::unique_ptr<CoreFile>> open(const std::string &Path);
  static Expected<std::unique_ptr<CoreFile>>
  fromInput(std::unique_ptr<InputFile> In);

  const std::string &path() const { return In->path(); }
  const Arch &arch() const { return *A; }
  int pid() const { return Pid; }
  int ppid() const { return PPid; }
  const std::string &command() const { return Fname; }
  const std::string &args() const { return PsArgs; }
  const std::vector<CoreThread> &threads() const { return Threads; }
  const CoreThread *crashedThread() const;
  const CoreSignal &signal() const { return Sig; }
  std::optional<uint64_t> auxv(uint64_t Type) const;
  const std::map<uint64_t, uint64_t> &auxvAll() const { return Auxv; }
  const std::vector<MappedFile> &mappedFiles() const { return Files; }
  const std::vector<CoreSegment> &segments() const { return Segments; }
  // Memory the core saved (no executable, no libraries).
  const RegionMemory &memory() const { return Mem; }
  const Warnings &warnings() const { return Warn; }
  uint64_t fileSize() const { return In->size(); }
  const InputFile &input() const { return *In; }

private:
  CoreFile() = default;
  Error parse();
  Error parseNote(uint32_t Type, llvm::StringRef Name,
                  llvm::ArrayRef<uint8_t> Desc);

  std::unique_ptr<InputFile> In;
  const Arch *A = nullptr;
  int Pid = 0, PPid = 0;
  std::string Fname, PsArgs;
  std::vector<CoreThread> Threads;
  CoreSignal Sig;
  std::map<uint64_t, uint64_t> Auxv;
  std::vector<MappedFile> Files;
  std::vector<CoreSegment> Segments;
  RegionMemory Mem;
  Warnings Warn;
};

} // namespace ms
