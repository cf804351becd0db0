// The executable (or a shared library): sections, segments, symbols and
// build ids, read with LLVM libObject from a mapped file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <llvm/ADT/DenseMap.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Object/ELF.h>

#include "arch/Arch.h"
#include "loader/InputFile.h"
#include "support/Warnings.h"

namespace ms {

struct ExeSection {
  std::string Name;
  uint64_t Addr = 0, Offset = 0, Size = 0;
  uint32_t Type = 0;
  uint64_t Flags = 0;
  bool hasBytes() const; // not NOBITS
};

struct ExeSegment {
  uint64_t VAddr = 0, MemSize = 0, Offset = 0, FileSize = 0;
  uint32_t Flags = 0;
};

struct ExeSymbol {
  llvm::StringRef Name; // into the file's string table (lives with ExeFile)
  uint64_t Addr = 0, Size = 0;
  uint8_t Type = 0; // STT_*
};

class ExeFile {
public:
  static Expected<std::unique_ptr<ExeFile>> open(const std::string &Path);
  static Expected<std::unique_ptr<ExeFile>>
  fromInput(std::unique_ptr<InputFile> In);

  const std::string &path() const { return In->path(); }
  const Arch &arch() const { return *A; }
  bool isPIE() const { return Pie; }
  bool hasSymbols() const { return !Symbols.empty(); }
  bool hasDwarf() const { return findSection(".debug_info") != nullptr; }
  std::optional<std::string> interpreter() const { return Interp; }
  uint64_t entry() const { return Entry; }
  uint64_t phdrVAddr() const { return PhdrVAddr; } // vaddr of program headers

  const std::vector<ExeSection> &sections() const { return Sections; }
  const ExeSection *findSection(llvm::StringRef Name) const;
  // Raw bytes of a section (empty for NOBITS or out-of-file ranges).
  llvm::ArrayRef<uint8_t> sectionBytes(const ExeSection &S) const;
  const std::vector<ExeSegment> &segments() const { return Segments; }
  // File bytes backing [VAddr, VAddr+Size) in some PT_LOAD (link-time
  // addresses), or empty if not entirely file-backed.
  llvm::ArrayRef<uint8_t> bytesAt(uint64_t VAddr, uint64_t Size) const;

  const std::vector<ExeSymbol> &symbols() const { return Symbols; }
  const ExeSymbol *findSymbol(llvm::StringRef Name) const;

  // Build ids: the Go build id (from .note.go.buildid) and GNU build id
  // (hex), when present.
  const std::string &goBuildId() const { return GoBuildId; }
  const std::string &gnuBuildId() const { return GnuBuildId; }
  // Link-time address of the Go / GNU build-id note descriptor, to compare
  // with the copy the kernel saved in the core's first page.
  std::optional<uint64_t> goBuildIdAddr() const { return GoBuildIdAddr; }
  std::optional<uint64_t> gnuBuildIdAddr() const { return GnuBuildIdAddr; }

  const InputFile &input() const { return *In; }
  const Warnings &warnings() const { return Warn; }

private:
  template <typename T>
  friend Expected<std::unique_ptr<T>>
  parseElfInput(std::unique_ptr<InputFile> In);
  ExeFile() = default;
  Error parse();

  std::unique_ptr<InputFile> In;
  const Arch *A = nullptr;
  bool Pie = false;
  uint64_t Entry = 0, PhdrVAddr = 0;
  std::optional<std::string> Interp;
  std::vector<ExeSection> Sections;
  std::vector<ExeSegment> Segments;
  std::vector<ExeSymbol> Symbols;
  llvm::DenseMap<llvm::StringRef, size_t> SymbolIndex; // first of a name
  std::string GoBuildId, GnuBuildId;
  std::optional<uint64_t> GoBuildIdAddr, GnuBuildIdAddr;
  Warnings Warn;
};

} // namespace ms
