// What a file is, from its first bytes: an ELF core, an executable,
// another ELF file, or not ELF; seen through zstd, xz and lz4. Batch
// analysis recognises cores by content this way, never by name.
#pragma once

#include <cstdint>
#include <string>

#include <llvm/ADT/StringRef.h>

#include "loader/InputFile.h"
#include "support/Error.h"

namespace ms {

struct FileSniff {
  enum class Kind {
    NotElf,     // too short, or no ELF magic
    Core,       // ET_CORE
    Executable, // ET_EXEC, or ET_DYN (a PIE or a shared library)
    OtherElf,   // ET_REL or an unknown type
  };
  Kind What = Kind::NotElf;
  Compression Comp = Compression::None;
  uint16_t Machine = 0; // e_machine when ELF
  bool Is64 = false;
};

// Bytes needed by sniffBytes.
constexpr size_t SniffBytes = 64;

// HEAD: the first (inflated) bytes of a file.
FileSniff sniffBytes(llvm::StringRef Head);
// Reads and, when compressed, partly inflates PATH. An error only when the
// file cannot be read at all.
Expected<FileSniff> sniffFile(const std::string &Path);

llvm::StringRef kindName(FileSniff::Kind K);

} // namespace ms
