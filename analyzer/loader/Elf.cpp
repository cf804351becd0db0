#include "loader/Elf.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Support/FormatVariadic.h>

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

namespace {
// The ELF type's check for Role: an error text, or empty when it fits.
std::string wrongType(unsigned Type, ElfRole Role) {
  namespace ELF = llvm::ELF;
  if (Role == ElfRole::Core) {
    if (Type == ELF::ET_CORE)
      return {};
    return llvm::formatv("not a core file (ELF type {0})",
                         Type == ELF::ET_EXEC  ? "EXEC"
                         : Type == ELF::ET_DYN ? "DYN"
                         : Type == ELF::ET_REL ? "REL"
                                               : "unknown")
        .str();
  }
  if (Type == ELF::ET_CORE)
    return "is a core file, not an executable";
  if (Type != ELF::ET_EXEC && Type != ELF::ET_DYN)
    return llvm::formatv("not an executable (ELF type {0})", Type).str();
  return {};
}
} // namespace

Expected<ElfInput> openElfInput(const InputFile &In, ElfRole Role) {
  const std::string &Path = In.path();
  llvm::StringRef Bytes = In.bytes();
  auto Obj = openElf64(Path, Bytes);
  if (!Obj)
    return Obj.takeError();
  const auto &Hdr = Obj->getHeader();
  std::string Wrong = wrongType(Hdr.e_type, Role);
  if (!Wrong.empty())
    return inputError(Path, "{0}", Wrong);
  const Arch *A = archForElfMachine(Hdr.e_machine);
  if (!A)
    return inputError(Path, "{0}", unsupportedArchText(Bytes));
  auto Phdrs = Obj->program_headers();
  if (!Phdrs)
    return inputError(Path, "{0}", errorText(Phdrs.takeError()));
  return ElfInput{std::move(*Obj), A, *Phdrs};
}

} // namespace ms
