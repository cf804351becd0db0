// What every ELF input (core or executable) is checked for before LLVM's
// libObject parses it.
#pragma once

#include <string>

#include <llvm/ADT/StringRef.h>
#include <llvm/Object/ELF.h>

#include "support/Error.h"

namespace ms {

using Elf64 = llvm::object::ELFFile<llvm::object::ELF64LE>;

// The ELF magic, a whole header, 64-bit little-endian (else the machine
// it is for, as unsupportedArchText says), then libObject's own checks.
// Errors are InputErrors naming Path.
Expected<Elf64> openElf64(const std::string &Path, llvm::StringRef Bytes);

} // namespace ms
