// What every ELF input (core or executable) is checked for before LLVM's
// libObject parses it.
#pragma once

#include <string>

#include <llvm/ADT/StringRef.h>
#include <llvm/Object/ELF.h>

#include "loader/InputFile.h"
#include "support/Error.h"

namespace ms {

using Elf64 = llvm::object::ELFFile<llvm::object::ELF64LE>;

// The ELF magic, a whole header, 64-bit little-endian (else the machine
// it is for, as unsupportedArchText says), then libObject's own checks.
// Errors are InputErrors naming Path.
Expected<Elf64> openElf64(const std::string &Path, llvm::StringRef Bytes);

class Arch;

// What an input must be.
enum class ElfRole { Core, Executable };

// An ELF input opened for its role: openElf64, then the ELF type the role
// wants (ET_CORE; ET_EXEC or ET_DYN), a machine mapsleuth supports and
// readable program headers. Errors are InputErrors naming In's path.
struct ElfInput {
  Elf64 Obj;
  const Arch *A = nullptr;
  Elf64::Elf_Phdr_Range Phdrs;
};
Expected<ElfInput> openElfInput(const InputFile &In, ElfRole Role);

// A CoreFile or ExeFile of In: a new T holding In, parsed (T::parse).
// The classes make it a friend.
template <typename T>
Expected<std::unique_ptr<T>> parseElfInput(std::unique_ptr<InputFile> In) {
  std::unique_ptr<T> F(new T);
  F->In = std::move(In);
  if (Error E = F->parse())
    return E;
  return F;
}

} // namespace ms
