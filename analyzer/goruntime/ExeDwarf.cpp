// openDwarf(ExeFile). Kept apart from the libdw code: LLVM's ELF headers
// and <elf.h> cannot be included in one translation unit.
#include "goruntime/ExeDwarf.h"

#include "loader/ExeFile.h"

namespace ms {

Expected<std::unique_ptr<DwarfInfo>> openDwarf(const ExeFile &X) {
  const InputFile &In = X.input();
  // A compressed input was inflated into an unlinked file: only the bytes
  // are left, so libdw gets a copy of them.
  if (In.compression() == Compression::None)
    return DwarfInfo::openMapped(X.path(), In.data(), &X.arch());
  return DwarfInfo::openBytes(In.data(), X.path(), &X.arch());
}

} // namespace ms
