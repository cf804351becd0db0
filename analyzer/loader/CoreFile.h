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
#include "loader/Coredump.h"
#include "loader/InputFile.h"
#include "support/Memory.h"
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

// A core cut short (systemd-coredump's ProcessSizeMax, the core rlimit, a
// full disk): its program headers describe more bytes than the file holds.
struct CoreTruncation {
  uint64_t FileSize = 0;   // bytes in the file
  uint64_t NeededSize = 0; // where the last segment's bytes should end
  uint64_t MissingBytes = 0; // segment bytes the file lacks
  unsigned SegmentsCut = 0;  // segments with fewer bytes than p_filesz
  unsigned Segments = 0;     // PT_LOAD segments with bytes (p_filesz > 0)
  // One line for people: what is missing and what that means.
  std::string message() const;
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
  // Set when the segments end past the end of the file: the memory they
  // lack is unknown (reads of it fail), the rest is analysed.
  const std::optional<CoreTruncation> &truncation() const { return Trunc; }
  // systemd-coredump's extended attributes of the file (empty when it has
  // none, or for a core not opened from a path).
  const CoredumpXattrs &coredumpXattrs() const { return Xattrs; }

private:
  template <typename T>
  friend Expected<std::unique_ptr<T>>
  parseElfInput(std::unique_ptr<InputFile> In);
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
  std::optional<CoreTruncation> Trunc;
  CoredumpXattrs Xattrs;
  Warnings Warn;
};

} // namespace ms
