#include "loader/Elf.h"

#include <llvm/BinaryFormat/ELF.h>

#include "arch/Arch.h"

namespace ms {

Expected<Elf64> openElf64(const std::string &Path, llvm::StringRef Bytes) {
  namespace ELF = llvm::ELF;
  if (Bytes.size() < 4 || !Bytes.startswith("\x7f" "ELF"))
    return inputError(Path, "not an ELF file (no ELF magic)");
  if (Bytes.size() < sizeof(llvm::object::ELF64LE::Ehdr))
    return inputError(Path, "truncated ELF header ({0} bytes)", Bytes.size());
  if (static_cast<uint8_t>(Bytes[ELF::EI_CLASS]) != ELF::ELFCLASS64 ||
      static_cast<uint8_t>(Bytes[ELF::EI_DATA]) != ELF::ELFDATA2LSB)
    return inputError(Path, "{0}", unsupportedArchText(Bytes));
  auto Obj = Elf64::create(Bytes);
  if (!Obj)
    return inputError(Path, "{0}", errorText(Obj.takeError()));
  return std::move(*Obj);
}

} // namespace ms
